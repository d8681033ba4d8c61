import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { expectRejectsCode } from '../../../tooling/test-helpers.js';
import { type Link, TransportError } from '../src/index.js';
import { connectWebSocket } from '../src/node/index.js';
import { collectErrors, rawWsServer, settle, watchClose } from './helpers.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

/** A TCP server that accepts and never answers (an upgrade that hangs). */
async function silentServer(): Promise<number> {
  const sockets: Socket[] = [];
  const server = createServer((s) => sockets.push(s));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return (server.address() as AddressInfo).port;
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('connectWebSocket', () => {
  it('refuses URLs that are not ws: or wss:', async () => {
    for (const url of ['http://127.0.0.1/', 'not a url', '']) {
      await expectRejectsCode(() => connectWebSocket(url), TransportError, 'BAD_URL');
    }
  });

  it('refuses bad options', async () => {
    await expectRejectsCode(
      () => connectWebSocket('ws://127.0.0.1:1/', { highWaterMark: 1000, lowWaterMark: 2000 }),
      TransportError,
      'BAD_OPTION',
    );
    await expectRejectsCode(
      () => connectWebSocket('ws://127.0.0.1:1/', { timeoutMs: 0 }),
      TransportError,
      'BAD_OPTION',
    );
  });

  it('rejects CONNECT_FAILED when nothing listens', async () => {
    const port = await closedPort();
    const error = await expectRejectsCode(
      () => connectWebSocket(`ws://127.0.0.1:${port}/`),
      TransportError,
      'CONNECT_FAILED',
    );
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('rejects TIMEOUT when the upgrade never comes', async () => {
    const port = await silentServer();
    const error = await expectRejectsCode(
      () => connectWebSocket(`ws://127.0.0.1:${port}/`, { timeoutMs: 100 }),
      TransportError,
      'TIMEOUT',
    );
    expect(error.message).toContain('100 ms');
  });

  it('sends no Origin header (like the Go client), and the headers it is given', async () => {
    let request: IncomingMessage | undefined;
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    await once(server, 'listening');
    server.on('connection', (ws, req) => {
      request = req;
      ws.close();
    });
    const port = (server.address() as AddressInfo).port;
    const link = await connectWebSocket(`ws://127.0.0.1:${port}/path?q=1`, {
      headers: { 'x-client': 'peerwire' },
    });
    await watchClose(link).closed;
    expect(request?.headers.origin).toBeUndefined();
    expect(request?.headers['x-client']).toBe('peerwire');
    expect(request?.headers['sec-websocket-extensions']).toBeUndefined();
    expect(request?.url).toBe('/path?q=1');
  });

  it('closes with 1009 when the server sends more than maxPayload', async () => {
    const raw = await rawWsServer();
    closers.push(() => raw.close());
    const link: Link = await connectWebSocket(raw.url, { maxPayload: 100 });
    const peer = await raw.connections;
    const errors = collectErrors(link);
    const closed = watchClose(link).closed;
    const peerClosed = once(peer, 'close') as Promise<[number, Buffer]>;
    peer.send(new Uint8Array(101));
    expect(await closed).toEqual({
      code: 1009,
      reason: 'message exceeds the 100-byte limit',
      local: true,
    });
    const [code, reason] = await peerClosed;
    expect([code, reason.toString()]).toEqual([1009, 'message exceeds the 100-byte limit']);
    expect(errors.map((e) => e.code)).toEqual(['TOO_LARGE']);
  });

  it('a peer close without a status code is reported as 1005', async () => {
    const raw = await rawWsServer();
    closers.push(() => raw.close());
    const link = await connectWebSocket(raw.url);
    const peer = await raw.connections;
    const closed = watchClose(link).closed;
    peer.close();
    expect(await closed).toEqual({ code: 1005, reason: '', local: false });
    await settle(5);
  });
});
