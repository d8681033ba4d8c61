// The browser adapter, driven by `ws`'s WebSocket class as an API-compatible stand-in.
import { once } from 'node:events';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { expectRejectsCode } from '../../../tooling/test-helpers.js';
import { connectBrowserWebSocket, type Link, TransportError } from '../src/index.js';
import { attachWebSocketServer, createWebServer, listenWebServer } from '../src/node/index.js';
import { collect, collectErrors, dec, enc, rawWsServer, settle, watchClose } from './helpers.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  vi.unstubAllGlobals();
  for (const c of closers.splice(0)) await c();
});

async function raw() {
  const server = await rawWsServer();
  closers.push(() => server.close());
  return server;
}

describe('connectBrowserWebSocket', () => {
  it('opens, exchanges binary messages, and has no remote info', async () => {
    const server = await raw();
    const link = await connectBrowserWebSocket(server.url, { WebSocket });
    const peer = await server.connections;
    peer.on('message', (data: Buffer) => peer.send(data));
    expect(link.kind).toBe('websocket');
    expect(link.remote).toBeUndefined();
    const got = collect(link, 2);
    link.send(enc('one'));
    link.send(new Uint8Array(70_000).fill(3));
    const [a, b] = await got;
    expect(dec(a!)).toBe('one');
    expect(b!.length).toBe(70_000);
    expect(Object.getPrototypeOf(b)).toBe(Uint8Array.prototype);
    link.close();
  });

  it('uses globalThis.WebSocket by default, and says UNSUPPORTED without one', async () => {
    const server = await raw();
    vi.stubGlobal('WebSocket', WebSocket);
    const link = await connectBrowserWebSocket(server.url);
    link.close();
    vi.stubGlobal('WebSocket', undefined);
    await expectRejectsCode(
      () => connectBrowserWebSocket(server.url),
      TransportError,
      'UNSUPPORTED',
    );
  });

  it('sends close codes browsers refuse as 1000, keeping the given code locally', async () => {
    const server = await raw();
    const link = await connectBrowserWebSocket(server.url, { WebSocket });
    const peer = await server.connections;
    const peerClosed = once(peer, 'close') as Promise<[number, Buffer]>;
    const closed = watchClose(link).closed;
    link.close(1008, 'policy');
    expect(await closed).toEqual({ code: 1008, reason: 'policy', local: true });
    const [code, reason] = await peerClosed;
    expect([code, reason.toString()]).toEqual([1000, 'policy']);
  });

  it('passes application codes 3000–4999 through', async () => {
    const server = await raw();
    const link = await connectBrowserWebSocket(server.url, { WebSocket });
    const peer = await server.connections;
    const peerClosed = once(peer, 'close') as Promise<[number, Buffer]>;
    link.close(4321, 'app code');
    const [code, reason] = await peerClosed;
    expect([code, reason.toString()]).toEqual([4321, 'app code']);
  });

  it('reports the peer close code and reason', async () => {
    const server = await raw();
    const link = await connectBrowserWebSocket(server.url, { WebSocket });
    const peer = await server.connections;
    const closed = watchClose(link).closed;
    peer.close(4100, 'server done');
    expect(await closed).toEqual({ code: 4100, reason: 'server done', local: false });
  });

  it('ignores text messages, or closes (1003) when asked', async () => {
    const server = await raw();
    const link = await connectBrowserWebSocket(server.url, { WebSocket });
    const peer = await server.connections;
    const got = collect(link, 1);
    const ignored: number[] = [];
    link.on('ignored', (bytes) => ignored.push(bytes));
    peer.send('text');
    peer.send(enc('binary'));
    expect(dec((await got)[0]!)).toBe('binary');
    expect(ignored).toEqual([4]);
    link.close();

    const strict = await raw();
    const link2 = await connectBrowserWebSocket(strict.url, { WebSocket, onTextMessage: 'close' });
    const peer2 = await strict.connections;
    const errors = collectErrors(link2);
    const closed = watchClose(link2).closed;
    peer2.send('text');
    expect(await closed).toEqual({
      code: 1003,
      reason: 'text messages are not accepted',
      local: true,
    });
    expect(errors.map((e) => e.code)).toEqual(['PROTOCOL']);
  });

  it('closes with 1009 when a message exceeds maxPayload', async () => {
    const server = await raw();
    const link: Link = await connectBrowserWebSocket(server.url, { WebSocket, maxPayload: 10 });
    const peer = await server.connections;
    const errors = collectErrors(link);
    const closed = watchClose(link).closed;
    peer.send(new Uint8Array(11));
    expect(await closed).toEqual({
      code: 1009,
      reason: 'message exceeds the 10-byte limit',
      local: true,
    });
    expect(errors.map((e) => e.code)).toEqual(['TOO_LARGE']);
  });

  it('rejects BAD_URL, CONNECT_FAILED (refused or HTTP error) and TIMEOUT', async () => {
    await expectRejectsCode(
      () => connectBrowserWebSocket('http://x/', { WebSocket }),
      TransportError,
      'BAD_URL',
    );
    await expectRejectsCode(
      () => connectBrowserWebSocket('nonsense', { WebSocket }),
      TransportError,
      'BAD_URL',
    );
    await expectRejectsCode(
      () => connectBrowserWebSocket('ws://127.0.0.1:1/', { WebSocket, timeoutMs: 0 }),
      TransportError,
      'BAD_OPTION',
    );

    const closedServer = createServer();
    closedServer.listen(0, '127.0.0.1');
    await once(closedServer, 'listening');
    const { port: freePort } = closedServer.address() as AddressInfo;
    await new Promise((resolve) => closedServer.close(resolve));
    await expectRejectsCode(
      () => connectBrowserWebSocket(`ws://127.0.0.1:${freePort}/`, { WebSocket }),
      TransportError,
      'CONNECT_FAILED',
    );

    const sockets: Socket[] = [];
    const silent = createServer((s) => sockets.push(s));
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    closers.push(() => {
      for (const s of sockets) s.destroy();
      silent.close();
    });
    const { port } = silent.address() as AddressInfo;
    await expectRejectsCode(
      () => connectBrowserWebSocket(`ws://127.0.0.1:${port}/`, { WebSocket, timeoutMs: 100 }),
      TransportError,
      'TIMEOUT',
    );
    await settle(5);

    const web = createWebServer();
    const handle = attachWebSocketServer(web, { path: '/ws' }, () => {});
    closers.push(async () => {
      await handle.close();
      web.close();
    });
    const { port: webPort } = await listenWebServer(web, { port: 0, host: '127.0.0.1' });
    await expectRejectsCode(
      () => connectBrowserWebSocket(`ws://127.0.0.1:${webPort}/not-here`, { WebSocket }),
      TransportError,
      'CONNECT_FAILED',
    );
  });
});
