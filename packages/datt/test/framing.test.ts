// dmsgFraming: DMsg frames over @peerwire/transport's TCP links, on loopback.
import { type Link, type LinkCloseInfo, TransportError } from '@peerwire/transport';
import { connectTcp, listenTcp } from '@peerwire/transport/node';
import { toHex } from '@peerwire/wire';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeMessage, encodeDmsg, encodeMessage } from '../src/index.js';
import { dmsgFraming } from '../src/node/index.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A server whose links report what they received and how they closed. */
async function server(maxDataLength?: number) {
  const framing = dmsgFraming(maxDataLength === undefined ? {} : { maxDataLength });
  const received: Uint8Array[] = [];
  const errors: TransportError[] = [];
  let closed!: (info: LinkCloseInfo) => void;
  const closedInfo = new Promise<LinkCloseInfo>((r) => {
    closed = r;
  });
  const handle = await listenTcp({ host: '127.0.0.1', port: 0, framing }, (link) => {
    link.on('message', (m) => received.push(m.slice()));
    link.on('error', (e) => errors.push(e));
    link.on('close', closed);
  });
  cleanups.push(() => handle.close());
  return { handle, framing, received, errors, closedInfo };
}

async function client(port: number, framing = dmsgFraming()): Promise<Link> {
  const link = await connectTcp({ host: '127.0.0.1', port, framing });
  cleanups.push(() => link.close());
  return link;
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
}

describe('dmsgFraming over TCP', () => {
  it('carries whole DMsg frames in both directions, each message one frame', async () => {
    const s = await server();
    const link = await client(s.handle.port);
    const frames = [
      encodeMessage({ type: 'ping', nonce: new Uint8Array(8).fill(1) }),
      encodeMessage({ type: 'getdata', hash: new Uint8Array(32).fill(2) }),
      encodeDmsg('contentauth', new Uint8Array(20_000).fill(3)),
    ];
    for (const f of frames) link.send(f);
    await until(() => s.received.length === 3);
    expect(s.received.map(toHex)).toEqual(frames.map(toHex));
    expect(decodeMessage(s.received[1]!).type).toBe('getdata');
  });

  it('closes with 1009 on a header announcing more than the limit, before its data', async () => {
    const s = await server(1000);
    const raw = await client(s.handle.port, { ...dmsgFraming(), encode: (m) => m });
    const head = encodeDmsg('postdata', new Uint8Array(0)).slice();
    new DataView(head.buffer).setUint32(16, 1001, false);
    raw.send(head);
    const info = await s.closedInfo;
    expect(info).toMatchObject({ code: 1009, local: true });
    expect(s.errors[0]?.code).toBe('TOO_LARGE');
    expect(s.errors[0]?.message).toContain('TOO_LARGE');
  });

  it('closes with 1002 on a wrong magic or a bad command name', async () => {
    const s = await server();
    const raw = await client(s.handle.port);
    const bad = encodeDmsg('ping', new Uint8Array(8)).slice();
    bad[0] = 0xf9;
    raw.send(bad);
    expect(await s.closedInfo).toMatchObject({ code: 1002, local: true });
    expect(s.errors[0]?.message).toContain('BAD_MAGIC');
  });

  it('refuses to send a frame above the limit', () => {
    const framing = dmsgFraming({ maxDataLength: 10 });
    expect(framing.maxFrameLength).toBe(34);
    expect(() => framing.encode(new Uint8Array(35))).toThrow(TransportError);
    const frame = encodeDmsg('x', new Uint8Array(10), { maxDataLength: 10 });
    expect(framing.encode(frame)).toBe(frame);
  });
});
