// The client in a real browser: @peerwire/client, @peerwire/crypto (WebCrypto backend) and
// @peerwire/transport's browser adapter are bundled for the browser, loaded into headless
// Chromium, and exchange end-to-end encrypted queries with a Node client through a relay.
// Needs Chromium (`apt-get install chromium`; .ci/run installs it). Without it the test is
// reported as skipped locally; in CI (CI=1) a missing browser is a failure.
import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { generatePrivateKey, Keychain } from '@peerwire/crypto';
import { Relay } from '@peerwire/relay';
import { attachWebSocketServer, connectWebSocket, createWebServer } from '@peerwire/transport/node';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpotClient } from '../src/index.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveBrowser = existsSync(CHROMIUM);
if (!haveBrowser && process.env.CI)
  throw new Error(`CI needs Chromium at ${CHROMIUM} for the browser test`);

// The page's program: connect, answer `echo`, query the Node peer, report through window.
const PAGE_SOURCE = `
import { SpotClient } from '@peerwire/client';
import { generatePrivateKey, Keychain } from '@peerwire/crypto';
import { connectBrowserWebSocket } from '@peerwire/transport';

const params = new URLSearchParams(location.search);
const out = {};
try {
  const keychain = new Keychain().add(await generatePrivateKey('P-256'));
  const client = new SpotClient({ keychain, relays: [params.get('relay')], dial: (u) => connectBrowserWebSocket(u), version: 'browser-peer' });
  client.handle('echo', (req) => 'browser says: ' + new TextDecoder().decode(req.payload));
  await client.start();
  await client.waitOnline(10000);
  out.address = client.address;
  const answer = await client.query(params.get('peer') + '/upper', 'from the browser');
  out.answer = new TextDecoder().decode(answer);
  out.ok = true;
} catch (error) {
  out.error = String(error && error.stack || error);
}
window.__result = out;
`;

let relay: Relay;
let server: ReturnType<typeof createWebServer>;
let ws: { close(): Promise<void> };
let node: SpotClient;
let base: string;
let bundle: string;

beforeAll(async () => {
  if (!haveBrowser) return;
  const built = await build({
    stdin: {
      contents: PAGE_SOURCE,
      resolveDir: fileURLToPath(new URL('..', import.meta.url)),
      loader: 'js',
    },
    // The client from its sources (its own dist/ may not be built yet when this test runs).
    alias: { '@peerwire/client': fileURLToPath(new URL('../src/index.ts', import.meta.url)) },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  bundle = built.outputFiles[0]!.text;
  relay = new Relay({ serverCode: 'brws' });
  await relay.start();
  server = createWebServer({}, (req: IncomingMessage, res: ServerResponse) => {
    if (req.url?.startsWith('/app.js')) {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(bundle);
    } else {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(
        '<!doctype html><title>peerwire</title><script type="module" src="/app.js"></script>',
      );
    }
  });
  ws = attachWebSocketServer(server, { path: '/_websocket' }, (link) => {
    const s = relay.accept(link, link.remote?.address ?? '?');
    if (!s) return;
    link.on('message', (p) => s.receive(p));
    link.on('close', (i) => s.closed(i));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  node = new SpotClient({
    keychain: new Keychain().add(await generatePrivateKey('Ed25519')),
    relays: [`${base.replace('http', 'ws')}/_websocket`],
    dial: (u) => connectWebSocket(u),
  });
  node.handle('upper', (req) => new TextDecoder().decode(req.payload).toUpperCase());
  await node.start();
  await node.waitOnline();
});

afterAll(async () => {
  if (!haveBrowser) return;
  await node.stop();
  relay.shutdown();
  await ws.close();
  server.close();
});

describe.runIf(haveBrowser)('in headless Chromium', () => {
  it('a browser client and a Node client exchange encrypted queries through a relay', async () => {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      const relayUrl = `${base.replace('http', 'ws')}/_websocket`;
      await page.goto(
        `${base}/?relay=${encodeURIComponent(relayUrl)}&peer=${encodeURIComponent(node.address)}`,
      );
      await page.waitForFunction(
        () => (globalThis as unknown as { __result?: unknown }).__result !== undefined,
        undefined,
        {
          timeout: 30_000,
        },
      );
      const result = (await page.evaluate(
        () => (globalThis as unknown as { __result: Record<string, unknown> }).__result,
      )) as {
        ok?: boolean;
        error?: string;
        answer?: string;
        address?: string;
      };
      expect(errors).toEqual([]);
      expect(result.error).toBeUndefined();
      expect(result.answer).toBe('FROM THE BROWSER');
      // and the other way: the Node client queries the browser
      const fromBrowser = await node.query(`${result.address}/echo`, 'hello browser');
      expect(new TextDecoder().decode(fromBrowser)).toBe('browser says: hello browser');
    } finally {
      await browser.close();
    }
  });
});
