import { DecodeError } from './errors.js';

/**
 * Injected randomness, for every sans-I/O core. Cores never call `Math.random()` or WebCrypto
 * themselves; hosts pass `cryptoRandom` (or a test's seeded source).
 */
export interface RandomSource {
  /** `n` random bytes (nonces, ids). */
  bytes(n: number): Uint8Array;
  /** A uniform integer in [0, n), for 1 ≤ n ≤ 2^32 (picking among candidates). */
  int(n: number): number;
}

const TWO_32 = 0x1_0000_0000;
/** WebCrypto fills at most 65536 bytes per call. */
const MAX_FILL = 65_536;

/** A uniform integer in [0, n) drawn from 32-bit words of `bytes` (rejection sampling). */
function uniformInt(bytes: (n: number) => Uint8Array, n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > TWO_32) {
    throw new DecodeError('BAD_VALUE', `a random integer range must be 1 to 2^32, got ${n}`);
  }
  const limit = TWO_32 - (TWO_32 % n); // accept words below the largest multiple of n
  for (;;) {
    const b = bytes(4);
    const word = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
    if (word < limit) return word % n;
  }
}

/** A `RandomSource` built on a source of random bytes alone. */
export function randomSourceFromBytes(bytes: (n: number) => Uint8Array): RandomSource {
  return { bytes, int: (n) => uniformInt(bytes, n) };
}

function cryptoBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += MAX_FILL)
    globalThis.crypto.getRandomValues(out.subarray(i, Math.min(n, i + MAX_FILL)));
  return out;
}

/** The platform's cryptographic randomness (WebCrypto `getRandomValues`), for hosts. */
export const cryptoRandom: RandomSource = randomSourceFromBytes(cryptoBytes);

/** A uniform number in [0, 1) with 32 bits of precision (delays spread by a jitter). */
export function randomFraction(source: RandomSource): number {
  return source.int(TWO_32) / TWO_32;
}
