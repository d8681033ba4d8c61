import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { concatBytes, encodeLengthPrefixed, encodeTlsRecord, toHex } from '@peerwire/wire';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectRejectsCode, expectThrowsCode } from '../../../tooling/test-helpers.js';
import { type Link, type LinkCloseInfo, TransportError } from '../src/index.js';
import {
  connectTcp,
  type Framing,
  lengthPrefixed,
  listenTcp,
  type TcpServerHandle,
  tlsRecords,
} from '../src/node/index.js';
import { collect, collectErrors, enc, settle, waitFor, watchClose } from './helpers.js';

/** A raw socket connected to `port`. */
async function rawClient(port: number, host = '127.0.0.1', allowHalfOpen = false): Promise<Socket> {
  const socket = connect({ port, host, allowHalfOpen });
  socket.on('error', () => {});
  await once(socket, 'connect');
  return socket;
}

/** A server that hands its links out in order. */
async function server(framing: Framing, extra: Partial<Parameters<typeof listenTcp>[0]> = {}) {
  const links: Link[] = [];
  const handle = await listenTcp({ host: '127.0.0.1', port: 0, framing, ...extra }, (l) =>
    links.push(l),
  );
  return { handle, links };
}

/** Writes `stream` in pieces of the given sizes, yielding to the event loop between pieces. */
async function writeChunked(socket: Socket, stream: Uint8Array, sizes: number[]): Promise<void> {
  let offset = 0;
  let i = 0;
  while (offset < stream.length) {
    const size = Math.max(1, sizes.length > 0 ? sizes[i++ % sizes.length]! : stream.length);
    socket.write(stream.subarray(offset, offset + size));
    offset += size;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const framings: [string, Framing, (m: Uint8Array) => Uint8Array][] = [
  ['length-prefixed (u32 BE)', lengthPrefixed(), (m) => encodeLengthPrefixed(m)],
  ['TLS records (17 03 03, u16 LE)', tlsRecords(), (m) => encodeTlsRecord(m)],
];

describe.each(framings)('TCP with %s framing', (_name, framing, encodeRef) => {
  let srv: { handle: TcpServerHandle; links: Link[] };
  let socket: Socket;
  let link: Link;
  beforeAll(async () => {
    srv = await server(framing);
    socket = await rawClient(srv.handle.port);
    await waitFor(() => srv.links.length === 1, 'the server link');
    link = srv.links[0]!;
  });
  afterAll(async () => {
    socket.destroy();
    await srv.handle.close();
  });

  it('delivers the same frames under any chunking of the stream through a real socket', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 3000 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 4000 }), { maxLength: 12 }),
        async (frames, sizes) => {
          const got = collect(link, frames.length);
          await writeChunked(socket, concatBytes(...frames.map(encodeRef)), sizes);
          expect((await got).map(toHex)).toEqual(frames.map(toHex));
        },
      ),
    );
    expect(link.isOpen).toBe(true);
  });

  it('writes byte-exact frames that a raw reader can split', async () => {
    const frames = [enc(''), enc('a'), new Uint8Array(5000).fill(9), enc('last')];
    const received: Buffer[] = [];
    socket.on('data', (c: Buffer) => received.push(c));
    for (const f of frames) link.send(f);
    const expected = concatBytes(...frames.map(encodeRef));
    await waitFor(() => Buffer.concat(received).length >= expected.length, 'the frames');
    expect(toHex(Buffer.concat(received))).toBe(toHex(expected));
  });

  it('refuses to send a message above the frame limit, and stays open', () => {
    const limited = framing.maxFrameLength;
    expectThrowsCode(() => link.send(new Uint8Array(limited + 1)), TransportError, 'TOO_LARGE');
    expect(link.isOpen).toBe(true);
  });
});

describe('TCP framing violations', () => {
  it('an oversized length closes with 1009 as soon as the header arrives', async () => {
    const srv = await server(lengthPrefixed(1000));
    const socket = await rawClient(srv.handle.port);
    await waitFor(() => srv.links.length === 1, 'the server link');
    const errors = collectErrors(srv.links[0]!);
    const closed = watchClose(srv.links[0]!).closed;
    const ended = once(socket, 'end'); // the server ends the connection
    socket.resume();
    socket.write(Uint8Array.of(0, 0, 0x03, 0xe9)); // 1001
    expect(await closed).toEqual({
      code: 1009,
      reason: 'frame exceeds the 1000-byte limit',
      local: true,
    });
    expect(errors.map((e) => e.code)).toEqual(['TOO_LARGE']);
    await ended;
    socket.destroy();
    await srv.handle.close();
  });

  it('a bad record header closes with 1002', async () => {
    const srv = await server(tlsRecords());
    const socket = await rawClient(srv.handle.port);
    await waitFor(() => srv.links.length === 1, 'the server link');
    const errors = collectErrors(srv.links[0]!);
    const closed = watchClose(srv.links[0]!).closed;
    socket.write(Uint8Array.of(0x16, 0x03, 0x01, 0x00, 0x00)); // a real TLS handshake header
    expect(await closed).toEqual({ code: 1002, reason: 'bad tls-records frame', local: true });
    expect(errors.map((e) => e.code)).toEqual(['PROTOCOL']);
    socket.destroy();
    await srv.handle.close();
  });

  it('a connection that ends inside a frame closes with 1006 and a PROTOCOL error', async () => {
    const srv = await server(lengthPrefixed());
    const socket = await rawClient(srv.handle.port);
    await waitFor(() => srv.links.length === 1, 'the server link');
    const errors = collectErrors(srv.links[0]!);
    const closed = watchClose(srv.links[0]!).closed;
    socket.end(Uint8Array.of(0, 0, 0, 5, 1, 2));
    expect(await closed).toEqual({
      code: 1006,
      reason: 'the peer closed the connection inside a frame',
      local: false,
    });
    expect(errors.map((e) => e.code)).toEqual(['PROTOCOL']);
    await srv.handle.close();
  });

  it('arbitrary bytes give frames or a typed close, never a crash; the server carries on', async () => {
    const srv = await server(tlsRecords(100));
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (bytes) => {
        const socket = await rawClient(srv.handle.port);
        const link = await new Promise<Link>((resolve) => {
          const check = () =>
            srv.links.length > 0 ? resolve(srv.links.shift()!) : setImmediate(check);
          check();
        });
        const errors = collectErrors(link);
        const closed: Promise<LinkCloseInfo> = watchClose(link).closed;
        link.on('message', () => {});
        socket.end(bytes);
        const info = await closed;
        socket.destroy();
        if (info.local) {
          expect([1002, 1009]).toContain(info.code);
          expect(errors.map((e) => e.code)).toEqual([
            info.code === 1009 ? 'TOO_LARGE' : 'PROTOCOL',
          ]);
        } else {
          expect([1000, 1006]).toContain(info.code);
        }
      }),
      // Each case opens and closes a real TCP connection.
      { numRuns: 500 },
    );
    const good = await connectTcp({
      host: '127.0.0.1',
      port: srv.handle.port,
      framing: tlsRecords(100),
    });
    await waitFor(() => srv.links.length === 1, 'a good link');
    const got = collect(srv.links[0]!, 1);
    good.send(enc('still serving'));
    expect((await got).length).toBe(1);
    good.close();
    await srv.handle.close();
  });
});

describe('listenTcp / connectTcp', () => {
  it('rejects CONNECT_FAILED when nothing listens, LISTEN_FAILED when the port is taken', async () => {
    const taken = createServer();
    taken.listen(0, '127.0.0.1');
    await once(taken, 'listening');
    const { port } = taken.address() as AddressInfo;
    await expectRejectsCode(
      () => listenTcp({ host: '127.0.0.1', port, framing: lengthPrefixed() }, () => {}),
      TransportError,
      'LISTEN_FAILED',
    );
    await new Promise((resolve) => taken.close(resolve));
    await expectRejectsCode(
      () => connectTcp({ host: '127.0.0.1', port, framing: lengthPrefixed() }),
      TransportError,
      'CONNECT_FAILED',
    );
    await expectRejectsCode(
      () => connectTcp({ host: '127.0.0.1', port: 0, framing: lengthPrefixed() }),
      TransportError,
      'BAD_OPTION',
    );
  });

  it('close() closes every link (1001 locally; the peer sees the end) and counts links', async () => {
    const srv = await server(lengthPrefixed());
    const clients = await Promise.all(
      [1, 2].map(() =>
        connectTcp({ host: '127.0.0.1', port: srv.handle.port, framing: lengthPrefixed() }),
      ),
    );
    await waitFor(() => srv.handle.linkCount === 2, 'two links');
    const serverCloses = srv.links.map((l) => watchClose(l).closed);
    const clientCloses = clients.map((c) => watchClose(c).closed);
    await srv.handle.close();
    expect(srv.handle.linkCount).toBe(0);
    for (const info of await Promise.all(serverCloses)) {
      expect(info).toEqual({ code: 1001, reason: 'server shutting down', local: true });
    }
    for (const info of await Promise.all(clientCloses)) {
      expect(info).toEqual({ code: 1000, reason: 'the peer closed the connection', local: false });
    }
  });

  it('refuses connections past maxLinks', async () => {
    const srv = await server(lengthPrefixed(), { maxLinks: 1 });
    const first = await connectTcp({
      host: '127.0.0.1',
      port: srv.handle.port,
      framing: lengthPrefixed(),
    });
    await waitFor(() => srv.handle.linkCount === 1, 'one link');
    const second = await connectTcp({
      host: '127.0.0.1',
      port: srv.handle.port,
      framing: lengthPrefixed(),
    });
    const info = await watchClose(second).closed;
    expect(info.local).toBe(false);
    expect(srv.handle.linkCount).toBe(1);
    first.close();
    await srv.handle.close();
  });

  it('a throwing onLink closes that link with 1011 and tells onError', async () => {
    const errors: TransportError[] = [];
    const handle = await listenTcp(
      { host: '127.0.0.1', port: 0, framing: lengthPrefixed(), onError: (e) => errors.push(e) },
      (link) => {
        link.on('close', (info) => closes.push(info));
        throw new Error('onLink bug');
      },
    );
    const closes: LinkCloseInfo[] = [];
    const client = await connectTcp({
      host: '127.0.0.1',
      port: handle.port,
      framing: lengthPrefixed(),
    });
    await watchClose(client).closed;
    await waitFor(() => closes.length === 1, 'the server-side close');
    expect(closes[0]).toEqual({ code: 1011, reason: 'internal error', local: true });
    expect(errors.map((e) => e.code)).toEqual(['HANDLER_FAILED']);
    await handle.close();
  });

  it('a peer that never finishes the close is cut after closeTimeoutMs', async () => {
    const srv = await server(lengthPrefixed(), { closeTimeoutMs: 100 });
    const socket = await rawClient(srv.handle.port, '127.0.0.1', true); // ignores our FIN
    await waitFor(() => srv.links.length === 1, 'the server link');
    const closed = watchClose(srv.links[0]!).closed;
    srv.links[0]!.close(4000, 'go away');
    socket.resume();
    await once(socket, 'end');
    expect(await closed).toEqual({ code: 4000, reason: 'go away', local: true });
    socket.destroy();
    await settle(5);
    await srv.handle.close();
  });
});
