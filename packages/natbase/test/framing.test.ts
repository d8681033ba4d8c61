import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_TCP_PAYLOAD,
  encodeRecord,
  NatbaseError,
  NatbaseFramer,
} from '../src/index.js';
import { cat, expectCode } from './helpers.js';

describe('fake-TLS framing (spec §3)', () => {
  it('is 17 03 03 ‖ u16 little-endian length ‖ payload', () => {
    const payload = new Uint8Array(0x0123).fill(7);
    const record = encodeRecord(payload);
    expect([...record.subarray(0, 5)]).toEqual([0x17, 0x03, 0x03, 0x23, 0x01]);
    expect(record.subarray(5)).toEqual(payload);
  });

  it('frames records split and joined arbitrarily (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 0, maxLength: 300 }), { maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 8 }),
        (payloads, cuts) => {
          const stream = cat(...payloads.map((p) => encodeRecord(p)));
          const framer = new NatbaseFramer();
          const out: Uint8Array[] = [];
          let at = 0;
          for (let i = 0; at < stream.length; i++) {
            const n = cuts[i % cuts.length]!;
            out.push(...framer.push(stream.subarray(at, at + n)));
            at += n;
          }
          expect(out).toEqual(payloads);
          expect(framer.buffered).toBe(0);
        },
      ),
    );
  });

  it('payloads must be below 1995 bytes by default (the client read buffer is 2000)', () => {
    expect(DEFAULT_MAX_TCP_PAYLOAD).toBe(1994);
    expect(encodeRecord(new Uint8Array(1994)).length).toBe(1999);
    expectCode(() => encodeRecord(new Uint8Array(1995)), 'FRAME_TOO_LARGE');
    expectCode(
      () => new NatbaseFramer().push(Uint8Array.of(0x17, 3, 3, 0xcb, 0x07)),
      'FRAME_TOO_LARGE',
    );
    expect(
      new NatbaseFramer().push(cat([0x17, 3, 3, 0xca, 0x07], new Uint8Array(1994))),
    ).toHaveLength(1);
    // A big-endian reading of the same header would be 0xcb07: little-endian is what counts.
    expect(new NatbaseFramer(3000).push(Uint8Array.of(0x17, 3, 3, 0xb8, 0x0b))).toEqual([]);
  });

  it('the limit is configurable', () => {
    expectCode(
      () => new NatbaseFramer(10).push(Uint8Array.of(0x17, 3, 3, 11, 0)),
      'FRAME_TOO_LARGE',
    );
    expectCode(() => encodeRecord(new Uint8Array(11), 10), 'FRAME_TOO_LARGE');
    // A limit above what the u16 length can say is capped at 65535.
    expectCode(() => encodeRecord(new Uint8Array(65536), 100_000), 'FRAME_TOO_LARGE');
    expect(encodeRecord(new Uint8Array(65535), 100_000).length).toBe(65540);
  });

  it('a header other than 17 03 03 is BAD_RECORD_HEADER', () => {
    for (const h of [
      [0x16, 3, 3],
      [0x17, 3, 1],
      [0x17, 2, 3],
    ]) {
      expectCode(() => new NatbaseFramer().push(Uint8Array.of(...h, 1, 0, 9)), 'BAD_RECORD_HEADER');
    }
  });

  it('fast-check: arbitrary streams give payloads or a NatbaseError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          for (const p of new NatbaseFramer(200).push(bytes))
            expect(p.length).toBeLessThanOrEqual(200);
        } catch (e) {
          expect(e).toBeInstanceOf(NatbaseError);
        }
      }),
    );
  });
});
