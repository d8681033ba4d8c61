// Shared helpers for the transport tests: link pairs on loopback and event collectors.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import {
  connectBrowserWebSocket,
  type Link,
  type LinkCloseInfo,
  type LinkOptions,
  type TransportError,
} from '../src/index.js';
import {
  attachWebSocketServer,
  bindUdp,
  connectTcp,
  connectWebSocket,
  createWebServer,
  type Framing,
  listenTcp,
  listenWebServer,
  type WebSocketServerOptions,
} from '../src/node/index.js';

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** A pair of connected links and a cleanup that closes everything. */
export interface Pair {
  /** The accepting side (server link, or the UDP endpoint that got the first datagram). */
  readonly server: Link;
  /** The connecting side. */
  readonly client: Link;
  cleanup(): Promise<void>;
}

/** Resolves with the next value `register` is called with (register gets a callback). */
export function nextEvent<T>(register: (cb: (value: T) => void) => () => void): Promise<T> {
  return new Promise((resolve) => {
    const off = register((value) => {
      off();
      resolve(value);
    });
  });
}

/** Resolves with the link's close info, and counts close events. */
export function watchClose(link: Link): {
  readonly closed: Promise<LinkCloseInfo>;
  count(): number;
} {
  let count = 0;
  let resolve!: (info: LinkCloseInfo) => void;
  const closed = new Promise<LinkCloseInfo>((r) => {
    resolve = r;
  });
  link.on('close', (info) => {
    count++;
    resolve(info);
  });
  return { closed, count: () => count };
}

export function collectErrors(link: Link): TransportError[] {
  const errors: TransportError[] = [];
  link.on('error', (e) => errors.push(e));
  return errors;
}

/** Collects the next `n` messages of a link. */
export function collect(link: Link, n: number): Promise<Uint8Array[]> {
  return new Promise((resolve) => {
    const got: Uint8Array[] = [];
    if (n === 0) resolve(got);
    const off = link.on('message', (data) => {
      got.push(data);
      if (got.length === n) {
        off();
        resolve(got);
      }
    });
  });
}

/** Lets pending I/O and timers of a few milliseconds settle. */
export function settle(ms = 30): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function wsPair(
  options: Partial<WebSocketServerOptions> & { host?: string } = {},
  clientOptions: LinkOptions & { maxPayload?: number } = {},
): Promise<Pair> {
  const host = options.host ?? '127.0.0.1';
  const server = createWebServer();
  let resolveServer!: (link: Link) => void;
  const serverLink = new Promise<Link>((r) => {
    resolveServer = r;
  });
  const handle = attachWebSocketServer(server, { path: '/_websocket', ...options }, (link) =>
    resolveServer(link),
  );
  const { port } = await listenWebServer(server, { port: 0, host });
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const client = await connectWebSocket(`ws://${urlHost}:${port}/_websocket`, clientOptions);
  return {
    server: await serverLink,
    client,
    async cleanup() {
      client.close();
      await handle.close();
      server.close();
    },
  };
}

export async function browserPair(options: LinkOptions = {}): Promise<Pair> {
  const server = createWebServer();
  let resolveServer!: (link: Link) => void;
  const serverLink = new Promise<Link>((r) => {
    resolveServer = r;
  });
  const handle = attachWebSocketServer(server, { path: '/ws' }, (link) => resolveServer(link));
  const { port } = await listenWebServer(server, { port: 0, host: '127.0.0.1' });
  const client = await connectBrowserWebSocket(`ws://127.0.0.1:${port}/ws`, {
    WebSocket,
    ...options,
  });
  return {
    server: await serverLink,
    client,
    async cleanup() {
      client.close();
      await handle.close();
      server.close();
    },
  };
}

export async function tcpPair(
  framing: Framing,
  host = '127.0.0.1',
  options: LinkOptions = {},
): Promise<Pair> {
  let resolveServer!: (link: Link) => void;
  const serverLink = new Promise<Link>((r) => {
    resolveServer = r;
  });
  const server = await listenTcp({ host, port: 0, framing, ...options }, (link) =>
    resolveServer(link),
  );
  const client = await connectTcp({ host, port: server.port, framing, ...options });
  return {
    server: await serverLink,
    client,
    async cleanup() {
      client.close();
      await server.close();
    },
  };
}

export async function udpPair(host = '127.0.0.1', options: LinkOptions = {}): Promise<Pair> {
  const a = await bindUdp({ host, ...options });
  const b = await bindUdp({ host, ...options });
  const client = a.link({ address: host, port: b.port });
  const serverLink = nextEvent<Link>((cb) => b.on('link', cb));
  client.send(enc('hello'));
  const server = await serverLink;
  await collect(server, 1); // the 'hello' that created it
  return {
    server,
    client,
    async cleanup() {
      await a.close();
      await b.close();
    },
  };
}

/** A raw `ws` server (no peerwire code) on loopback, for tests that need a misbehaving peer. */
export async function rawWsServer(): Promise<{
  readonly url: string;
  readonly connections: Promise<WebSocket>;
  close(): Promise<void>;
}> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  await once(wss, 'listening');
  const port = (wss.address() as AddressInfo).port;
  const connections = new Promise<WebSocket>((resolve) => wss.once('connection', resolve));
  return {
    url: `ws://127.0.0.1:${port}/`,
    connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close(() => resolve());
      }),
  };
}

/** Polls `condition` until it holds; throws with `what` after `timeoutMs` (a hang guard, not a timing check). */
export async function waitFor(
  condition: () => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
