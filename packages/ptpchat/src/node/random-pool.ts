import { randomBytes } from 'node:crypto';

/** Bytes drawn from the CSPRNG at a time. */
export const RANDOM_POOL_BYTES = 4096;

/**
 * `crypto.randomBytes`, drawn 4 KiB at a time: the engine asks for 16 bytes per msg_id (every
 * ACK, every HELLO), and one `randomBytes` call per msg_id was a tenth of a relaying node's CPU.
 * Every byte is handed out once; each result is a copy, never a view into the pool.
 */
export function pooledRandom(): (length: number) => Uint8Array {
  let pool = randomBytes(RANDOM_POOL_BYTES);
  let at = 0;
  return (length: number): Uint8Array => {
    if (length > RANDOM_POOL_BYTES) return new Uint8Array(randomBytes(length));
    if (at + length > pool.length) {
      pool = randomBytes(RANDOM_POOL_BYTES);
      at = 0;
    }
    const out = new Uint8Array(length);
    out.set(pool.subarray(at, at + length));
    pool.fill(0, at, at + length);
    at += length;
    return out;
  };
}
