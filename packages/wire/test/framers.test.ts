import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectThrowsCode, valueOrTypedError } from '../../../tooling/test-helpers.js';
import {
  concatBytes,
  DecodeError,
  EncodeError,
  encodeLengthPrefixed,
  encodeTlsRecord,
  type Framer,
  fromHex,
  HeaderFramer,
  LengthPrefixFramer,
  StreamReader,
  TlsRecordFramer,
  toHex,
} from '../src/index.js';

/** Splits `bytes` at the given cut points (any chunking). */
function chunk(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  out.push(bytes.subarray(prev));
  return out;
}

function feed(framer: Framer, chunks: Uint8Array[]): Uint8Array[] {
  return chunks.flatMap((c) => framer.push(c));
}

const arbFrames = fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 });
const arbCuts = fc.array(fc.nat(), { maxLength: 20 });

describe('LengthPrefixFramer (u32 big-endian)', () => {
  it('frames the same under any chunking', () => {
    fc.assert(
      fc.property(arbFrames, arbCuts, (frames, cuts) => {
        const stream = concatBytes(...frames.map((f) => encodeLengthPrefixed(f)));
        const framer = new LengthPrefixFramer();
        expect(feed(framer, chunk(stream, cuts))).toEqual(frames);
        expect(framer.buffered).toBe(0);
      }),
    );
  });

  it('rejects an oversized frame as soon as its length arrives', () => {
    const framer = new LengthPrefixFramer(100);
    expect(framer.push(fromHex('000000'))).toEqual([]);
    expectThrowsCode(() => framer.push(fromHex('65')), DecodeError, 'BODY_TOO_LARGE');
    expectThrowsCode(
      () => encodeLengthPrefixed(new Uint8Array(101), 100),
      EncodeError,
      'BODY_TOO_LARGE',
    );
  });

  it('holds at most one partial frame', () => {
    const framer = new LengthPrefixFramer(1000);
    framer.push(encodeLengthPrefixed(new Uint8Array(1000)).subarray(0, 500));
    expect(framer.buffered).toBe(496);
  });
});

describe('TlsRecordFramer (17 03 03 + u16 little-endian)', () => {
  it('encodes the header with a little-endian length', () => {
    expect(toHex(encodeTlsRecord(new Uint8Array(0x0102)).subarray(0, 5))).toBe('1703030201');
  });

  it('frames the same under any chunking', () => {
    fc.assert(
      fc.property(arbFrames, arbCuts, (frames, cuts) => {
        const stream = concatBytes(...frames.map(encodeTlsRecord));
        expect(feed(new TlsRecordFramer(), chunk(stream, cuts))).toEqual(frames);
      }),
    );
  });

  it('rejects a bad header and oversized records', () => {
    expectThrowsCode(
      () => new TlsRecordFramer().push(fromHex('1603030000')),
      DecodeError,
      'BAD_VALUE',
    );
    expectThrowsCode(
      () => new TlsRecordFramer(10).push(fromHex('1703030b00')),
      DecodeError,
      'BODY_TOO_LARGE',
    );
    expectThrowsCode(() => encodeTlsRecord(new Uint8Array(65536)), EncodeError, 'BODY_TOO_LARGE');
  });

  it('survives arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), arbCuts, (bytes, cuts) => {
        const framer = new TlsRecordFramer(50);
        valueOrTypedError(() => feed(framer, chunk(bytes, cuts)), DecodeError);
      }),
    );
  });
});

describe('StreamReader (fixed-size and NUL-terminated fields)', () => {
  it('parses a fixed + NUL-terminated layout the same under any chunking', () => {
    // layout: 4-byte tag, NUL-terminated name, 2-byte tail
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.uint8Array({ minLength: 4, maxLength: 4 }),
            fc.uint8Array({ maxLength: 30 }).map((b) => b.map((x) => x || 1)),
            fc.uint8Array({ minLength: 2, maxLength: 2 }),
          ),
          { maxLength: 6 },
        ),
        arbCuts,
        (records, cuts) => {
          const stream = concatBytes(
            ...records.flatMap(([a, b, c]) => [a, b, Uint8Array.of(0), c]),
          );
          const reader = new StreamReader(1 << 16);
          const out: Uint8Array[][] = [];
          let partial: Uint8Array[] = [];
          for (const piece of chunk(stream, cuts)) {
            reader.push(piece);
            for (;;) {
              const field =
                partial.length === 0
                  ? reader.take(4)
                  : partial.length === 1
                    ? reader.takeUntil(0, 30)
                    : reader.take(2);
              if (!field) break;
              partial.push(field.slice());
              if (partial.length === 3) {
                out.push(partial);
                partial = [];
              }
            }
          }
          expect(out).toEqual(records);
          expect(reader.buffered).toBe(0);
        },
      ),
    );
  });

  it('bounds memory: an unterminated field and an overfull buffer are errors', () => {
    const reader = new StreamReader(100);
    reader.push(new Uint8Array(20).fill(1));
    expect(reader.takeUntil(0, 30)).toBeUndefined();
    reader.push(new Uint8Array(20).fill(1));
    expectThrowsCode(() => reader.takeUntil(0, 30, 'name'), DecodeError, 'BODY_TOO_LARGE');
    expectThrowsCode(() => reader.push(new Uint8Array(61)), DecodeError, 'BODY_TOO_LARGE');
  });

  it('peeks without consuming', () => {
    const reader = new StreamReader();
    reader.push(Uint8Array.of(1, 2));
    reader.push(Uint8Array.of(3));
    expect(reader.peekByte(2)).toBe(3);
    expect(reader.peekByte(3)).toBeUndefined();
    expect(reader.takeAll()).toEqual(Uint8Array.of(1, 2, 3));
  });
});

describe('HeaderFramer (exported for other packages)', () => {
  class U16Framer extends HeaderFramer {
    constructor(includeHeader: boolean) {
      super(2, { includeHeader });
    }
    protected bodyLength(head: Uint8Array): number {
      return (head[0]! << 8) | head[1]!;
    }
  }
  const encode = (body: Uint8Array) =>
    concatBytes(Uint8Array.of(body.length >> 8, body.length & 0xff), body);

  it('hands out whole frames, with or without their header, for any chunking', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 20 }),
        fc.boolean(),
        (bodies, cuts, includeHeader) => {
          const stream = concatBytes(...bodies.map(encode));
          const framer = new U16Framer(includeHeader);
          const got: Uint8Array[] = [];
          let at = 0;
          for (let i = 0; at < stream.length; i++) {
            const n = cuts[i % cuts.length]!;
            got.push(...framer.push(stream.slice(at, at + n)));
            at += n;
          }
          expect(framer.buffered).toBe(0);
          const want = includeHeader ? bodies.map(encode) : bodies;
          expect(got.map((f) => toHex(f))).toEqual(want.map((f) => toHex(f)));
        },
      ),
    );
  });

  it('a frame inside one chunk is a view of it, header included', () => {
    const chunk = encode(Uint8Array.of(1, 2, 3));
    const [frame] = new U16Framer(true).push(chunk);
    expect(frame!.buffer).toBe(chunk.buffer);
    expect(toHex(frame!)).toBe(toHex(chunk));
  });

  it('counts a held header as buffered', () => {
    const framer = new U16Framer(true);
    expect(framer.push(Uint8Array.of(0, 5, 1))).toEqual([]);
    expect(framer.buffered).toBe(3);
  });
});
