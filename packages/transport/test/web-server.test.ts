import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { expectRejectsCode, expectThrowsCode } from '../../../tooling/test-helpers.js';
import { TransportError } from '../src/index.js';
import {
  attachWebSocketServer,
  connectWebSocket,
  createWebServer,
  listenWebServer,
  type WebServer,
} from '../src/node/index.js';
import { collect, dec, enc, watchClose } from './helpers.js';

const fixture = (name: string) =>
  readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const cert = fixture('localhost-cert.pem');
const key = fixture('localhost-key.pem');

const servers: WebServer[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
  for (const s of servers.splice(0)) s.close();
});

/** A wss echo server on loopback with the test certificate. */
async function wssEcho(host = '127.0.0.1'): Promise<number> {
  const server = createWebServer({ tls: { cert, key } });
  servers.push(server);
  const handle = attachWebSocketServer(server, { path: '/_websocket' }, (link) => {
    link.on('message', (data) => link.send(data));
  });
  closers.push(() => handle.close());
  return (await listenWebServer(server, { port: 0, host })).port;
}

describe('createWebServer with TLS, connectWebSocket over wss:', () => {
  it('exchanges messages with a self-signed localhost certificate given as the CA', async () => {
    const port = await wssEcho();
    for (const host of ['localhost', '127.0.0.1']) {
      const link = await connectWebSocket(`wss://${host}:${port}/_websocket`, {
        tls: { ca: cert },
      });
      const got = collect(link, 1);
      link.send(enc(`over TLS to ${host}`));
      expect(dec((await got)[0]!)).toBe(`over TLS to ${host}`);
      const closed = watchClose(link).closed;
      link.close(1000, 'done');
      expect(await closed).toEqual({ code: 1000, reason: 'done', local: true });
    }
  });

  it('accepts the CA as bytes, and works over IPv6 loopback', async () => {
    const port = await wssEcho('::1');
    const link = await connectWebSocket(`wss://[::1]:${port}/_websocket`, {
      tls: { ca: new TextEncoder().encode(cert) },
    });
    expect(link.remote?.family).toBe('IPv6');
    link.close();
  });

  it('rejects TLS when the certificate is not trusted, or names another host', async () => {
    const port = await wssEcho();
    const untrusted = await expectRejectsCode(
      () => connectWebSocket(`wss://localhost:${port}/_websocket`),
      TransportError,
      'TLS',
    );
    expect(untrusted.message).toMatch(/self-signed/);
    await expectRejectsCode(
      () =>
        connectWebSocket(`wss://127.0.0.1:${port}/_websocket`, {
          tls: { ca: cert, servername: 'example.com' },
        }),
      TransportError,
      'TLS',
    );
  });

  it('connects without verification only when asked to', async () => {
    const port = await wssEcho();
    const link = await connectWebSocket(`wss://localhost:${port}/_websocket`, {
      tls: { rejectUnauthorized: false },
    });
    link.close();
  });

  it('a plain ws: client cannot talk to the TLS server', async () => {
    const port = await wssEcho();
    await expectRejectsCode(
      () => connectWebSocket(`ws://127.0.0.1:${port}/_websocket`),
      TransportError,
      'CONNECT_FAILED',
    );
  });

  it('throws TLS for a certificate or key that does not load', () => {
    expectThrowsCode(
      () => createWebServer({ tls: { cert: 'not a pem', key } }),
      TransportError,
      'TLS',
    );
    expectThrowsCode(() => createWebServer({ tls: { cert, key: 'nope' } }), TransportError, 'TLS');
    const otherKey = '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n';
    expectThrowsCode(
      () => createWebServer({ tls: { cert, key: otherKey } }),
      TransportError,
      'TLS',
    );
  });

  it('serves HTTPS requests through the handler', async () => {
    const server = createWebServer({ tls: { cert, key } }, (_req, res) => {
      res.end('hello over https');
    });
    servers.push(server);
    const { port } = await listenWebServer(server, { port: 0, host: '127.0.0.1' });
    const { get } = await import('node:https');
    const body = await new Promise<string>((resolve, reject) => {
      get({ host: '127.0.0.1', port, path: '/', ca: cert, servername: 'localhost' }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c.toString();
        });
        res.on('end', () => resolve(text));
      }).on('error', reject);
    });
    expect(body).toBe('hello over https');
  });
});

describe('listenWebServer', () => {
  it('rejects LISTEN_FAILED when the port is taken', async () => {
    const first = createWebServer();
    servers.push(first);
    const { port } = await listenWebServer(first, { port: 0, host: '127.0.0.1' });
    const second = createWebServer();
    await expectRejectsCode(
      () => listenWebServer(second, { port, host: '127.0.0.1' }),
      TransportError,
      'LISTEN_FAILED',
    );
  });
});
