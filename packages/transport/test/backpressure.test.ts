// Backpressure with a real stalled reader on loopback: the peer stops reading, the kernel
// buffers fill, `send` returns false past the high-water mark, and `drain` fires once when the
// peer reads again. Assertions are on counts and bytes, never on timing.
import { once } from 'node:events';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { connectBrowserWebSocket, type Link, type LinkCloseInfo } from '../src/index.js';
import {
  attachWebSocketServer,
  connectTcp,
  connectWebSocket,
  createWebServer,
  lengthPrefixed,
  listenWebServer,
} from '../src/node/index.js';
import { collectErrors, rawWsServer, settle, waitFor, watchClose } from './helpers.js';

const HWM = 256 * 1024;
const LWM = 64 * 1024;
const MESSAGE = 64 * 1024;
/** Sends before giving up on ever seeing `false` (64 MiB: far beyond any loopback buffering). */
const MAX_SENDS = 1024;

/** A peer whose reading can be paused and resumed, counting what it receives. */
interface StallablePeer {
  pause(): void;
  resume(): void;
  readonly received: () => { messages: number; bytes: number };
}

interface Setup {
  readonly link: Link;
  readonly peer: StallablePeer;
  cleanup(): Promise<void>;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

/** A server-side ws link whose client is a raw `ws` socket. */
async function wsServerLink(limits: { maxBufferedAmount?: number } = {}): Promise<Setup> {
  const server = createWebServer();
  let link!: Link;
  const handle = attachWebSocketServer(
    server,
    { path: '/ws', highWaterMark: HWM, lowWaterMark: LWM, ...limits },
    (l) => {
      link = l;
    },
  );
  const { port } = await listenWebServer(server, { port: 0, host: '127.0.0.1' });
  const raw = new WebSocket(`ws://127.0.0.1:${port}/ws`, { perMessageDeflate: false });
  raw.on('error', () => {});
  await once(raw, 'open');
  await waitFor(() => link !== undefined, 'the server link');
  let messages = 0;
  let bytes = 0;
  raw.on('message', (data: Buffer) => {
    messages++;
    bytes += data.length;
  });
  return {
    link,
    peer: {
      pause: () => raw.pause(),
      resume: () => raw.resume(),
      received: () => ({ messages, bytes }),
    },
    async cleanup() {
      raw.terminate();
      await handle.close();
      server.close();
    },
  };
}

/** A client-side link (connectWebSocket or the browser adapter) whose server is a raw `ws` server. */
async function wsClientLink(adapter: 'node' | 'browser'): Promise<Setup> {
  const raw = await rawWsServer();
  const options = { highWaterMark: HWM, lowWaterMark: LWM };
  const link =
    adapter === 'node'
      ? await connectWebSocket(raw.url, options)
      : await connectBrowserWebSocket(raw.url, { WebSocket, drainPollMs: 5, ...options });
  const peer = await raw.connections;
  let messages = 0;
  let bytes = 0;
  peer.on('message', (data: Buffer) => {
    messages++;
    bytes += data.length;
  });
  return {
    link,
    peer: {
      pause: () => peer.pause(),
      resume: () => peer.resume(),
      received: () => ({ messages, bytes }),
    },
    cleanup: () => raw.close(),
  };
}

/** A TCP link (length-prefixed) whose server is a raw net socket that counts frames. */
async function tcpLink(): Promise<Setup> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const link = await connectTcp({
    host: '127.0.0.1',
    port: (server.address() as AddressInfo).port,
    framing: lengthPrefixed(),
    highWaterMark: HWM,
    lowWaterMark: LWM,
  });
  const [socket] = await accepted;
  let bytes = 0;
  socket.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  return {
    link,
    peer: {
      pause: () => socket.pause(),
      resume: () => socket.resume(),
      received: () => ({
        messages: Math.floor(bytes / (4 + MESSAGE)),
        bytes: bytes - Math.floor(bytes / (4 + MESSAGE)) * 4,
      }),
    },
    async cleanup() {
      socket.destroy();
      link.close();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const setups: [string, () => Promise<Setup>][] = [
  ['WebSocket, server side', () => wsServerLink()],
  ['WebSocket, connectWebSocket client', () => wsClientLink('node')],
  ['WebSocket, browser adapter (polled)', () => wsClientLink('browser')],
  ['TCP, length-prefixed', () => tcpLink()],
];

describe.each(setups)('backpressure: %s', (_name, make) => {
  it('send turns false past the high-water mark and drain fires once under the low mark', async () => {
    const { link, peer, cleanup } = await make();
    cleanups.push(cleanup);
    let drains = 0;
    let amountAtDrain = -1;
    link.on('drain', () => {
      drains++;
      amountAtDrain = link.bufferedAmount;
    });
    peer.pause();
    const message = new Uint8Array(MESSAGE).fill(7);
    // Links batch a tick's sends in user space, so `false` first means "this batch is big";
    // keep filling, a batch at a time, until the stalled peer leaves the bytes stuck above the mark.
    let sent = 0;
    for (;;) {
      let accepted = true;
      while (accepted && sent < MAX_SENDS) {
        accepted = link.send(message);
        sent++; // a send that returns false has still queued its message
      }
      expect(accepted).toBe(false);
      await settle(20);
      if (link.bufferedAmount >= HWM) break;
    }
    drains = 0; // drains while filling (a batch reaching the kernel) do not count
    expect(link.isOpen).toBe(true);

    // Still stalled: nothing drains.
    await settle(50);
    expect(drains).toBe(0);
    expect(link.bufferedAmount).toBeGreaterThanOrEqual(HWM);

    peer.resume();
    await waitFor(() => peer.received().messages === sent, `all ${sent} messages at the peer`);
    await waitFor(() => drains > 0, 'drain');
    expect(peer.received().bytes).toBe(sent * MESSAGE);
    expect(drains).toBe(1);
    expect(amountAtDrain).toBeLessThanOrEqual(LWM);
    expect(link.send(message)).toBe(true);
    await settle(20);
    expect(drains).toBe(1);
  });
});

describe('maxBufferedAmount', () => {
  it('aborts a link whose peer never reads once the hard cap is passed', async () => {
    const { link, peer, cleanup } = await wsServerLink({ maxBufferedAmount: 2 * HWM });
    cleanups.push(cleanup);
    const errors = collectErrors(link);
    const closed = watchClose(link);
    peer.pause();
    const message = new Uint8Array(MESSAGE);
    let sent = 0;
    while (link.isOpen && sent < MAX_SENDS) {
      link.send(message); // ignoring false on purpose
      sent++;
    }
    expect(link.isOpen).toBe(false);
    const info: LinkCloseInfo = await closed.closed;
    expect(info).toEqual({
      code: 1008,
      reason: 'send buffer overflow: the peer is not reading',
      local: true,
    });
    expect(errors.map((e) => e.code)).toEqual(['SEND_BUFFER_FULL']);
    expect(link.send(message)).toBe(false);
  });
});
