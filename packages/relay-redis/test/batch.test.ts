import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeBatch, RelayRedisError, splitBatch } from '../src/index.js';

const code = (f: () => unknown) => {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(RelayRedisError);
    return (error as RelayRedisError).code;
  }
  return 'no error';
};

describe('bus batch', () => {
  it('splits into the envelopes it was made of, as views', () => {
    const parts = [Uint8Array.of(1, 2, 3), Uint8Array.of(9), new Uint8Array(300).fill(7)];
    const batch = encodeBatch(parts);
    expect(batch.length).toBe(1 + 3 * 4 + 3 + 1 + 300);
    const out = splitBatch(batch, 1000);
    expect(out).toEqual(parts);
    expect(out[0]!.buffer).toBe(batch.buffer);
  });

  it('refuses empty batches, empty, oversized, truncated entries and trailing bytes', () => {
    expect(code(() => encodeBatch([]))).toBe('BAD_ENVELOPE');
    expect(code(() => encodeBatch([new Uint8Array(0)]))).toBe('BAD_ENVELOPE');
    const good = encodeBatch([Uint8Array.of(1, 2), Uint8Array.of(3)]);
    for (const bad of [
      new Uint8Array(0),
      Uint8Array.of(2),
      Uint8Array.of(1, ...good.subarray(1)), // not a batch
      Uint8Array.of(2, 0, 0, 0, 0), // empty entry
      good.subarray(0, good.length - 1), // truncated envelope
      Uint8Array.of(...good, 0, 0), // truncated length
    ]) {
      expect(code(() => splitBatch(bad, 100))).toBe('BAD_ENVELOPE');
    }
    expect(code(() => splitBatch(good, 1))).toBe('BAD_ENVELOPE'); // a 2-byte entry over 1
  });

  it('arbitrary bytes: envelopes that re-encode to the same bytes, or BAD_ENVELOPE', () => {
    const framed = fc
      .array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 6 })
      .chain((parts) =>
        fc.tuple(fc.constant(encodeBatch(parts)), fc.nat(), fc.integer({ min: 0, max: 255 })),
      )
      .map(([batch, at, byte]) => {
        const copy = Uint8Array.from(batch);
        copy[at % copy.length] = byte; // one mutated byte
        return copy;
      });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), framed), (bytes) => {
        let parts: Uint8Array[];
        try {
          parts = splitBatch(bytes, 64);
        } catch (error) {
          expect(error).toBeInstanceOf(RelayRedisError);
          expect((error as RelayRedisError).code).toBe('BAD_ENVELOPE');
          return;
        }
        expect(parts.length).toBeGreaterThan(0);
        for (const p of parts) expect(p.length).toBeLessThanOrEqual(64);
        expect(encodeBatch(parts)).toEqual(bytes);
      }),
    );
  });
});
