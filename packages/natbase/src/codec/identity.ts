import { ed25519 } from '@noble/curves/ed25519.js';
import { NatbaseError } from '../errors.js';
import { type DeviceId, deviceIdOf, meetsProofOfWork } from './device-id.js';

/** A natbase identity: an Ed25519 key pair whose public key meets the proof of work (§4). */
export interface Identity {
  /** The 32-byte Ed25519 secret key (seed). */
  readonly secretKey: Uint8Array;
  /** The 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
  /** `fc94` ‖ 14 bytes of `SHA-256(publicKey)`. */
  readonly deviceId: DeviceId;
}

/** A source of random bytes (injected: cores draw no randomness of their own). */
export type RandomSource = (length: number) => Uint8Array;

/**
 * Attempts before `generateIdentity` gives up. About 1 key in 1300 meets the proof of work, so
 * the default fails with probability below e^-76.
 */
export const DEFAULT_MAX_GENERATION_ATTEMPTS = 100_000;

/** The identity of a 32-byte secret key. Throws `BAD_DEVICE_ID` if it fails the proof of work. */
export function identityFromSecretKey(secretKey: Uint8Array): Identity {
  if (secretKey.length !== 32)
    throw new NatbaseError('BAD_KEY', `an Ed25519 secret key is 32 bytes, not ${secretKey.length}`);
  const publicKey = ed25519.getPublicKey(secretKey);
  if (!meetsProofOfWork(publicKey))
    throw new NatbaseError('BAD_DEVICE_ID', 'the public key fails the proof-of-work rule');
  return { secretKey: secretKey.slice(), publicKey, deviceId: deviceIdOf(publicKey) };
}

/** Draws secret keys until one meets the proof of work (spec §4). */
export function generateIdentity(
  random: RandomSource,
  maxAttempts = DEFAULT_MAX_GENERATION_ATTEMPTS,
): Identity {
  for (let i = 0; i < maxAttempts; i++) {
    const secretKey = random(32);
    const publicKey = ed25519.getPublicKey(secretKey);
    if (meetsProofOfWork(publicKey))
      return { secretKey: secretKey.slice(), publicKey, deviceId: deviceIdOf(publicKey) };
  }
  throw new NatbaseError(
    'GENERATION_FAILED',
    `no key met the proof of work in ${maxAttempts} attempts`,
  );
}
