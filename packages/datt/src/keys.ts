import { secp256k1 } from '@noble/curves/secp256k1.js';
import { cryptoRandom } from '@peerwire/wire';
import { DattError } from './errors.js';

/** Length of a compressed secp256k1 public key. */
export const PUBLIC_KEY_LENGTH = 33;
/** Length of a secp256k1 secret key. */
export const PRIVATE_KEY_LENGTH = 32;

/** A source of cryptographically secure random bytes (inject one in tests for determinism). */
export type RandomSource = (length: number) => Uint8Array;

/**
 * The platform CSPRNG: the bytes of wire's `cryptoRandom` (WebCrypto `getRandomValues`, in Node
 * and browsers, any length).
 */
export const platformRandom: RandomSource = (length) => cryptoRandom.bytes(length);

/** Throws `BAD_KEY` unless `key` is a valid secp256k1 secret key (32 bytes, 1 ≤ k < n). */
export function assertPrivateKey(key: Uint8Array, what = 'private key'): void {
  if (key.length !== PRIVATE_KEY_LENGTH || !secp256k1.utils.isValidSecretKey(key)) {
    throw new DattError('BAD_KEY', `${what} must be a 32-byte secp256k1 scalar in [1, n-1]`);
  }
}

/** Throws `BAD_KEY` unless `key` is a 33-byte compressed point on secp256k1. */
export function assertPublicKey(key: Uint8Array, what = 'public key'): void {
  if (
    key.length !== PUBLIC_KEY_LENGTH ||
    (key[0] !== 2 && key[0] !== 3) ||
    !secp256k1.utils.isValidPublicKey(key, true)
  ) {
    throw new DattError('BAD_KEY', `${what} is not a compressed secp256k1 public key`);
  }
}

/** The compressed (33-byte) public key of a secret key. */
export function publicKeyOf(privateKey: Uint8Array): Uint8Array {
  assertPrivateKey(privateKey);
  return secp256k1.getPublicKey(privateKey, true);
}

/** A fresh secret key from `random` (rejection-sampled into [1, n-1]). */
export function generatePrivateKey(random: RandomSource = platformRandom): Uint8Array {
  for (;;) {
    const k = random(PRIVATE_KEY_LENGTH);
    if (secp256k1.utils.isValidSecretKey(k)) return k;
  }
}
