import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cryptoRandom, DecodeError, randomFraction, randomSourceFromBytes } from '../src/index.js';

/** A byte source that replays `words` as big-endian 32-bit words. */
function replay(words: number[]) {
  let i = 0;
  return randomSourceFromBytes((n) => {
    const out = new Uint8Array(n);
    for (let o = 0; o < n; o += 4)
      new DataView(out.buffer).setUint32(o, words[i++ % words.length]!);
    return out;
  });
}

describe('RandomSource', () => {
  it('cryptoRandom gives the bytes asked for, beyond one WebCrypto call (65536 bytes)', () => {
    expect(cryptoRandom.bytes(0).length).toBe(0);
    const big = cryptoRandom.bytes(70_000);
    expect(big.length).toBe(70_000);
    expect(big.subarray(65_536).some((b) => b !== 0)).toBe(true);
  });

  it('int(n) stays in [0, n) for every n and every word', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 32 }),
        fc.array(fc.nat(2 ** 32 - 1), { minLength: 1 }),
        (n, words) => {
          // the last word is always accepted (0 is below every limit), so sampling terminates
          const v = replay([...words, 0]).int(n);
          expect(Number.isInteger(v) && v >= 0 && v < n).toBe(true);
        },
      ),
    );
    for (let i = 0; i < 100; i++) expect(cryptoRandom.int(3)).toBeLessThan(3);
  });

  it('int(n) rejects the words beyond the largest multiple of n (no modulo bias)', () => {
    // n = 3: 2^32 mod 3 = 1, so the word 2^32 − 1 is rejected and the next one used
    expect(replay([2 ** 32 - 1, 7]).int(3)).toBe(1);
    expect(replay([2 ** 32 - 2]).int(3)).toBe((2 ** 32 - 2) % 3);
  });

  it('int(n) refuses ranges it cannot draw from, with a typed error', () => {
    for (const n of [0, -1, 1.5, 2 ** 32 + 1, Number.NaN]) {
      expect(() => cryptoRandom.int(n)).toThrow(DecodeError);
    }
  });

  it('randomFraction is in [0, 1) with 32 bits', () => {
    expect(randomFraction(replay([0]))).toBe(0);
    expect(randomFraction(replay([2 ** 31]))).toBe(0.5);
    expect(randomFraction(replay([2 ** 32 - 1]))).toBeLessThan(1);
  });
});
