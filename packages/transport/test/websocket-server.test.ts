import { once } from 'node:events';
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { expectRejectsCode, expectThrowsCode } from '../../../tooling/test-helpers.js';
import { type Link, type RemoteInfo, TransportError } from '../src/index.js';
import {
  attachWebSocketServer,
  connectWebSocket,
  createWebServer,
  listenWebServer,
  type WebServer,
  type WebSocketServerOptions,
} from '../src/node/index.js';
import { collect, collectErrors, dec, enc, settle, waitFor, watchClose } from './helpers.js';

const servers: WebServer[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
  for (const s of servers.splice(0)) s.close();
});

/** A server with one WebSocket path; links are collected in `links`. */
async function serve(
  options: Partial<WebSocketServerOptions> = {},
  host = '127.0.0.1',
): Promise<{
  url: (path?: string) => string;
  port: number;
  links: Link[];
  server: WebServer;
  handle: ReturnType<typeof attachWebSocketServer>;
}> {
  const server = createWebServer();
  servers.push(server);
  const links: Link[] = [];
  const handle = attachWebSocketServer(server, { path: '/_websocket', ...options }, (link) => {
    links.push(link);
  });
  closers.push(() => handle.close());
  const { port } = await listenWebServer(server, { port: 0, host });
  const h = host.includes(':') ? `[${host}]` : host;
  return { url: (path = '/_websocket') => `ws://${h}:${port}${path}`, port, links, server, handle };
}

/** Sends a raw upgrade request and reports the HTTP answer. */
function upgradeRequest(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      path,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'Sec-WebSocket-Version': '13',
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, body: '' });
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('attachWebSocketServer: routing and admission', () => {
  it('serves its path (query strings ignored) and answers 404 elsewhere', async () => {
    const { port } = await serve();
    expect((await upgradeRequest(port, '/_websocket')).status).toBe(101);
    expect((await upgradeRequest(port, '/_websocket?_=null')).status).toBe(101);
    const other = await upgradeRequest(port, '/elsewhere');
    expect(other).toEqual({ status: 404, body: 'no WebSocket endpoint at this path\n' });
    expect((await upgradeRequest(port, '/_websocket/extra')).status).toBe(404);
  });

  it('answers plain HTTP requests with the handler (default 404)', async () => {
    const { port } = await serve();
    const res = await fetch(`http://127.0.0.1:${port}/anything`);
    expect(res.status).toBe(404);
    await res.text();
  });

  it('serves several paths on one server, and refuses a path twice', async () => {
    const { server, port, url } = await serve();
    const second: Link[] = [];
    const h2 = attachWebSocketServer(server, { path: '/other' }, (l) => second.push(l));
    closers.push(() => h2.close());
    expectThrowsCode(
      () => attachWebSocketServer(server, { path: '/other' }, () => {}),
      TransportError,
      'LIMIT',
    );
    const a = await connectWebSocket(url());
    const b = await connectWebSocket(url('/other'));
    await waitFor(() => second.length === 1, 'a link on /other');
    await h2.close();
    expect((await upgradeRequest(port, '/other')).status).toBe(404);
    expect((await upgradeRequest(port, '/_websocket')).status).toBe(101);
    a.close();
    b.close();
  });

  it('refuses bad paths', () => {
    const server = createWebServer();
    for (const path of ['', 'ws', '/a?b']) {
      expectThrowsCode(
        () => attachWebSocketServer(server, { path }, () => {}),
        TransportError,
        'BAD_OPTION',
      );
    }
  });

  it('acceptConnection sees the remote address and can refuse with a status and reason', async () => {
    const seen: RemoteInfo[] = [];
    const { url, port } = await serve({
      acceptConnection: (remote, req) => {
        seen.push(remote);
        return req.headers['x-token'] === 'ok' ? true : { status: 429, reason: 'slow down' };
      },
    });
    const refused = await expectRejectsCode(
      () => connectWebSocket(url()),
      TransportError,
      'CONNECT_FAILED',
    );
    expect(refused.httpStatus).toBe(429);
    // The client shows the server's reason (issue 15 item 4).
    expect(refused.httpBody).toBe('slow down');
    expect(refused.message).toBe(`${url()} refused the connection: HTTP 429 slow down`);
    expect(await upgradeRequest(port, '/_websocket')).toEqual({ status: 429, body: 'slow down\n' });
    const link = await connectWebSocket(url(), { headers: { 'x-token': 'ok' } });
    expect(seen[0]).toEqual({ address: '127.0.0.1', port: expect.any(Number), family: 'IPv4' });
    link.close();
  });

  it('a throwing acceptConnection gets 500 and onError; the server carries on', async () => {
    const errors: TransportError[] = [];
    let calls = 0;
    const { url } = await serve({
      acceptConnection: () => {
        if (++calls === 1) throw new Error('bug');
        return true;
      },
      onError: (e) => errors.push(e),
    });
    const refused = await expectRejectsCode(
      () => connectWebSocket(url()),
      TransportError,
      'CONNECT_FAILED',
    );
    expect(refused.httpStatus).toBe(500);
    expect(errors.map((e) => e.code)).toEqual(['HANDLER_FAILED']);
    (await connectWebSocket(url())).close();
  });

  it('a throwing onLink closes that link with 1011 and tells onError', async () => {
    const server = createWebServer();
    servers.push(server);
    const errors: TransportError[] = [];
    const handle = attachWebSocketServer(
      server,
      { path: '/ws', onError: (e) => errors.push(e) },
      () => {
        throw new Error('onLink bug');
      },
    );
    closers.push(() => handle.close());
    const { port } = await listenWebServer(server, { port: 0, host: '127.0.0.1' });
    const client = await connectWebSocket(`ws://127.0.0.1:${port}/ws`);
    expect(await watchClose(client).closed).toEqual({
      code: 1011,
      reason: 'internal error',
      local: false,
    });
    expect(errors.map((e) => e.code)).toEqual(['HANDLER_FAILED']);
  });

  it('refuses connections past maxLinks with 503 and counts links', async () => {
    const { url, handle, links } = await serve({ maxLinks: 2 });
    const a = await connectWebSocket(url());
    const b = await connectWebSocket(url());
    await waitFor(() => handle.linkCount === 2, 'two links');
    const refused = await expectRejectsCode(
      () => connectWebSocket(url()),
      TransportError,
      'CONNECT_FAILED',
    );
    expect(refused.httpStatus).toBe(503);
    a.close();
    await watchClose(links[0]!).closed;
    expect(handle.linkCount).toBe(1);
    (await connectWebSocket(url())).close();
    b.close();
  });

  it('close() closes every link with 1001 and then refuses new upgrades', async () => {
    const { url, handle, port } = await serve();
    const clients = await Promise.all([connectWebSocket(url()), connectWebSocket(url())]);
    const closes = clients.map((c) => watchClose(c).closed);
    await waitFor(() => handle.linkCount === 2, 'two links');
    await handle.close();
    expect(handle.linkCount).toBe(0);
    for (const info of await Promise.all(closes)) {
      expect(info).toEqual({ code: 1001, reason: 'server shutting down', local: false });
    }
    expect((await upgradeRequest(port, '/_websocket')).status).toBe(404);
    await handle.close(); // twice is fine
  });

  it('does not negotiate permessage-deflate', async () => {
    const { url } = await serve();
    const raw = new WebSocket(url(), { perMessageDeflate: true });
    await once(raw, 'open');
    expect(raw.extensions).toBe('');
    raw.close();
  });
});

describe('attachWebSocketServer: messages', () => {
  it('closes with 1009 and a reason naming the limit when a message exceeds maxPayload', async () => {
    const { url, links } = await serve({ maxPayload: 1000 });
    const client = await connectWebSocket(url());
    await waitFor(() => links.length === 1, 'the server link');
    const server = links[0]!;
    const errors = collectErrors(server);
    const serverClosed = watchClose(server).closed;
    const clientClosed = watchClose(client).closed;
    const ok = collect(server, 1);
    client.send(new Uint8Array(1000)); // at the limit: fine
    expect((await ok)[0]!.length).toBe(1000);
    client.send(new Uint8Array(1001));
    const reason = 'message exceeds the 1000-byte limit';
    expect(await serverClosed).toEqual({ code: 1009, reason, local: true });
    expect(await clientClosed).toEqual({ code: 1009, reason, local: false });
    expect(errors.map((e) => e.code)).toEqual(['TOO_LARGE']);
  });

  it('the default maxPayload is 1 MiB', async () => {
    const { url, links } = await serve();
    const client = await connectWebSocket(url(), { maxPayload: 4 << 20 });
    await waitFor(() => links.length === 1, 'the server link');
    const got = collect(links[0]!, 1);
    client.send(new Uint8Array(1 << 20));
    expect((await got)[0]!.length).toBe(1 << 20);
    const closed = watchClose(client).closed;
    client.send(new Uint8Array((1 << 20) + 1));
    expect((await closed).code).toBe(1009);
  });

  it('ignores text messages by default (Spot), or closes with 1003 when asked', async () => {
    const { url, links } = await serve();
    const raw = new WebSocket(url());
    await once(raw, 'open');
    await waitFor(() => links.length === 1, 'the server link');
    const got = collect(links[0]!, 1);
    const ignored: number[] = [];
    links[0]!.on('ignored', (bytes) => ignored.push(bytes));
    raw.send('text is ignored');
    raw.send('é'); // sizes are bytes, not characters
    raw.send(enc('binary counts'));
    expect(dec((await got)[0]!)).toBe('binary counts');
    // Ignored, but reported with their size so the host counts them against its budgets.
    expect(ignored).toEqual([15, 2]);
    raw.close();

    const strict = await serve({ onTextMessage: 'close' });
    const raw2 = new WebSocket(strict.url());
    await once(raw2, 'open');
    await waitFor(() => strict.links.length === 1, 'the server link');
    const errors = collectErrors(strict.links[0]!);
    const closed = once(raw2, 'close') as Promise<[number, Buffer]>;
    raw2.send('no text please');
    const [code, reason] = await closed;
    expect([code, reason.toString()]).toEqual([1003, 'text messages are not accepted']);
    expect(errors.map((e) => e.code)).toEqual(['PROTOCOL']);
  });

  it('a protocol violation (unmasked client frame) closes with 1002 and a reason', async () => {
    // The raw peer never completes the closing handshake: closeTimeoutMs cuts it.
    const { port, links } = await serve({ closeTimeoutMs: 100 });
    const { connect } = await import('node:net');
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(
      'GET /_websocket HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    await waitFor(() => links.length === 1, 'the server link');
    const errors = collectErrors(links[0]!);
    const closed = watchClose(links[0]!).closed;
    socket.write(Buffer.from([0x82, 0x01, 0x00])); // binary, 1 byte, not masked: forbidden from a client
    expect(await closed).toEqual({ code: 1002, reason: 'WebSocket protocol error', local: true });
    expect(errors.map((e) => e.code)).toEqual(['PROTOCOL']);
    socket.destroy();
  });

  it('a peer that vanishes mid-connection gives close 1006, remote', async () => {
    const { url, links } = await serve();
    const raw = new WebSocket(url());
    await once(raw, 'open');
    await waitFor(() => links.length === 1, 'the server link');
    const closed = watchClose(links[0]!).closed;
    raw.terminate();
    const info = await closed;
    expect(info.code).toBe(1006);
    expect(info.local).toBe(false);
  });

  it('serves IPv6 loopback', async () => {
    const { url, links } = await serve({}, '::1');
    const client = await connectWebSocket(url());
    await waitFor(() => links.length === 1, 'the server link');
    expect(links[0]!.remote?.family).toBe('IPv6');
    expect(client.remote).toEqual({ address: '::1', port: expect.any(Number), family: 'IPv6' });
    client.close();
    await settle(5);
  });
});
