import { ripemd160 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';

/** SHA-256. */
export { sha256 };

/**
 * A hash function: bytes in, digest out. The defaults are the portable (pure-JS, noble) ones;
 * codecs on a hot path take one as an option so that Node can pass `node:crypto`'s
 * (`nodeSha256d` from `@peerwire/datt/node`) while the root entry stays browser-safe.
 */
export type HashFunction = (data: Uint8Array) => Uint8Array;

/** SHA-256(SHA-256(data)), Bitcoin's "double SHA-256". */
export function sha256d(data: Uint8Array): Uint8Array {
  return sha256(sha256(data));
}

/** RIPEMD-160(SHA-256(data)), the hash inside Bitcoin addresses. */
export function hash160(data: Uint8Array): Uint8Array {
  return ripemd160(sha256(data));
}

/** Constant-time equality for secrets of the same public length (MACs). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
