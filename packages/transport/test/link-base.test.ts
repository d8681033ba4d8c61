// BaseLink semantics without sockets: a fake transport that records what it is asked to do.
import { describe, expect, it } from 'vitest';
import { expectThrowsCode } from '../../../tooling/test-helpers.js';
import { type LinkCloseInfo, type LinkEvents, TransportError } from '../src/index.js';
import { BaseLink } from '../src/link-base.js';
import { resolveLinkOptions } from '../src/options.js';

class FakeLink extends BaseLink {
  buffered = 0;
  readonly transport: string[] = [];

  constructor(options: Parameters<typeof resolveLinkOptions>[0] = {}) {
    super('tcp', undefined, resolveLinkOptions(options));
  }
  get bufferedAmount(): number {
    return this.buffered;
  }
  send(data: Uint8Array): boolean {
    if (!this.isOpen) return false;
    this.buffered += data.length;
    return this.afterSend();
  }
  protected closeTransport(code: number, reason: string): void {
    this.transport.push(`close ${code} ${reason}`);
  }
  protected abortTransport(): void {
    this.transport.push('abort');
  }
  // test access
  receive(data: Uint8Array): void {
    this.deliver(data);
  }
  written(bytes: number): void {
    this.buffered -= bytes;
    this.checkDrain();
  }
  gone(info: LinkCloseInfo): void {
    this.closed(info);
  }
  peerClosed(info: LinkCloseInfo): void {
    this.lost(info);
  }
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
const bytes = (n: number) => new Uint8Array(n);

describe('BaseLink', () => {
  it('send returns false at the high-water mark; drain fires once at the low mark', () => {
    const link = new FakeLink({ highWaterMark: 100, lowWaterMark: 40 });
    let drains = 0;
    link.on('drain', () => drains++);
    expect(link.send(bytes(60))).toBe(true);
    expect(link.send(bytes(39))).toBe(true); // 99 < 100
    expect(link.send(bytes(1))).toBe(false); // 100: at the mark
    expect(link.send(bytes(10))).toBe(false);
    link.written(60); // 50 left: above the low mark
    expect(drains).toBe(0);
    link.written(10); // 40: at the low mark
    expect(drains).toBe(1);
    link.written(40);
    expect(drains).toBe(1); // once per congestion
    expect(link.send(bytes(1))).toBe(true);
  });

  it('passing maxBufferedAmount aborts with 1008 and SEND_BUFFER_FULL', async () => {
    const link = new FakeLink({ highWaterMark: 100, maxBufferedAmount: 200 });
    const errors: string[] = [];
    link.on('error', (e) => errors.push(e.code));
    expect(link.send(bytes(200))).toBe(false);
    expect(link.isOpen).toBe(true);
    expect(link.send(bytes(1))).toBe(false);
    expect(link.isOpen).toBe(false);
    expect(link.transport).toEqual(['abort']);
    expect(errors).toEqual(['SEND_BUFFER_FULL']);
    const closes: LinkCloseInfo[] = [];
    link.on('close', (i) => closes.push(i));
    link.gone({ code: 1006, reason: 'x', local: false });
    await tick();
    expect(closes).toEqual([
      { code: 1008, reason: 'send buffer overflow: the peer is not reading', local: true },
    ]);
  });

  it('holds messages until a handler is attached, up to maxHeldMessages', async () => {
    const link = new FakeLink({ maxHeldMessages: 3 });
    for (let i = 0; i < 3; i++) link.receive(Uint8Array.of(i));
    const got: number[] = [];
    link.on('message', (d) => got.push(d[0]!));
    link.receive(Uint8Array.of(3)); // arrives while the held ones wait for their microtask
    expect(got).toEqual([]);
    await tick();
    expect(got).toEqual([0, 1, 2, 3]);
    link.receive(Uint8Array.of(4));
    expect(got).toEqual([0, 1, 2, 3, 4]); // delivered at once now

    const overflow = new FakeLink({ maxHeldMessages: 2 });
    const errors: string[] = [];
    overflow.on('error', (e) => errors.push(e.code));
    for (let i = 0; i < 3; i++) overflow.receive(Uint8Array.of(i));
    expect(overflow.isOpen).toBe(false);
    expect(errors).toEqual(['HELD_MESSAGES_FULL']);
    expect(overflow.transport).toEqual([
      'close 1008 too many messages before a message handler was attached',
    ]);
  });

  it('close records local: true and asks the transport once; a later peer close does not override it', () => {
    const link = new FakeLink();
    const closes: LinkCloseInfo[] = [];
    link.on('close', (i) => closes.push(i));
    link.close(4000, 'mine');
    link.close(4001, 'again');
    link.peerClosed({ code: 1000, reason: 'theirs', local: false });
    link.gone({ code: 1006, reason: 'fallback', local: false });
    link.gone({ code: 1006, reason: 'twice', local: false });
    expect(link.transport).toEqual(['close 4000 mine']);
    expect(closes).toEqual([{ code: 4000, reason: 'mine', local: true }]);
  });

  it('a peer close is recorded first and a later local close() is a no-op', () => {
    const link = new FakeLink();
    const closes: LinkCloseInfo[] = [];
    link.on('close', (i) => closes.push(i));
    link.peerClosed({ code: 1000, reason: 'theirs', local: false });
    expect(link.isOpen).toBe(false);
    link.close(4000, 'too late');
    link.gone({ code: 1006, reason: 'fallback', local: false });
    expect(link.transport).toEqual([]);
    expect(closes).toEqual([{ code: 1000, reason: 'theirs', local: false }]);
  });

  it('isolates throwing close, drain and error handlers', () => {
    const link = new FakeLink({ highWaterMark: 10, lowWaterMark: 0 });
    const errors: TransportError[] = [];
    link.on('error', () => {
      throw new Error('error handler bug'); // swallowed
    });
    link.on('error', (e) => errors.push(e));
    link.on('drain', () => {
      throw new Error('drain bug');
    });
    const closes: LinkCloseInfo[] = [];
    link.on('close', () => {
      throw new Error('close bug');
    });
    link.on('close', (i) => closes.push(i));
    link.send(bytes(10));
    link.written(10); // drain handler throws: the link closes with 1011
    expect(link.transport).toEqual(['close 1011 internal error']);
    link.gone({ code: 1006, reason: '', local: false });
    expect(closes).toEqual([{ code: 1011, reason: 'internal error', local: true }]); // second close handler still ran
    expect(errors.map((e) => e.message)).toEqual([
      expect.stringContaining('drain handler'),
      expect.stringContaining('close handler'),
    ]);
  });

  it('truncates long reasons and validates codes', () => {
    const link = new FakeLink();
    expectThrowsCode(() => link.close(1006), TransportError, 'BAD_CLOSE_CODE');
    link.close(1000, 'x'.repeat(500));
    expect(link.transport).toEqual([`close 1000 ${'x'.repeat(123)}`]);
  });

  it('refuses unknown events', () => {
    const link = new FakeLink();
    expectThrowsCode(
      () => link.on('mesage' as keyof LinkEvents, () => {}),
      TransportError,
      'BAD_OPTION',
    );
  });

  it('validates its options', () => {
    for (const bad of [
      { highWaterMark: 0 },
      { highWaterMark: 1.5 },
      { highWaterMark: 100, lowWaterMark: 101 },
      { highWaterMark: 100, maxBufferedAmount: 99 },
      { closeTimeoutMs: -1 },
      { maxHeldMessages: -1 },
    ]) {
      expectThrowsCode(() => new FakeLink(bad), TransportError, 'BAD_OPTION');
    }
    expect(() => new FakeLink({ maxHeldMessages: 0, lowWaterMark: 0 })).not.toThrow();
  });
});
