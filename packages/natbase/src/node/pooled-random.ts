import { randomFillSync } from 'node:crypto';
import type { RandomSource } from '../codec/identity.js';

/** Bytes drawn from the OS CSPRNG at once by `pooledRandom` (default 4 KiB). */
export const DEFAULT_RANDOM_POOL_SIZE = 4096;

/**
 * A `RandomSource` for the cores backed by node:crypto's CSPRNG, refilled `poolSize` bytes at a
 * time: a 24-byte nonce costs ~0.2 µs instead of ~4 µs for a `randomBytes(24)` call. Every call
 * returns a fresh copy (callers may keep it: kx secret keys are kept), and no byte is handed out
 * twice.
 */
export function pooledRandom(poolSize = DEFAULT_RANDOM_POOL_SIZE): RandomSource {
  const pool = new Uint8Array(poolSize);
  let at = poolSize;
  return (length) => {
    if (length > poolSize) return new Uint8Array(randomFillSync(new Uint8Array(length)));
    if (at + length > poolSize) {
      randomFillSync(pool);
      at = 0;
    }
    const out = pool.slice(at, at + length);
    at += length;
    return out;
  };
}
