import { sha1 } from '@noble/hashes/legacy.js';
import { BobError } from './errors.js';
import { SpokeCipher } from './spoke-public.js';

/** An incremental hash (SHA-1 for PACK checksums and git object ids). */
export interface IncrementalHash {
  update(data: Uint8Array): void;
  digest(): Uint8Array;
  /**
   * An independent copy of the state so far. Optional: without it, a receiver of a single file
   * knows the PACK is complete only when the sender closes (see `PackReader.trailerReached`).
   */
  copy?(): IncrementalHash;
}

/** Makes a fresh SHA-1. */
export type HashFactory = () => IncrementalHash;

/** An AEAD bound to one key. `sealed` = ciphertext ‖ 16-byte tag. */
export interface Aead {
  /**
   * Returns `prefix` bytes left for the caller (a record header), then ciphertext ‖ tag. The
   * room saves the record layer a copy of every record.
   */
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, prefix?: number): Uint8Array;
  /** The plaintext, or `undefined` when authentication fails. */
  open(nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | undefined;
}

/** Binds a spoke cipher to a 32-byte key. Throws `UNSUPPORTED_CIPHER` for ciphers it lacks. */
export type AeadFactory = (cipher: SpokeCipher, key: Uint8Array) => Aead;

/**
 * The primitives the record and PACK layers use, injectable so that Node can plug in
 * `node:crypto` (several times faster) while the core stays browser-safe.
 */
export interface Primitives {
  readonly sha1: HashFactory;
  readonly aead: AeadFactory;
}

/** Rejects ciphers bob cannot use with its 20-byte nonces (spec §7.2). */
export function unsupportedCipher(cipher: SpokeCipher): BobError {
  const name =
    cipher === SpokeCipher.ChaCha20Poly1305
      ? 'ChaCha20-Poly1305'
      : cipher === SpokeCipher.AesCcm16
        ? 'AES-CCM16'
        : `cipher ${cipher}`;
  return new BobError(
    'UNSUPPORTED_CIPHER',
    `${name} cannot carry bob records (20-byte nonces); only AES-GCM can (spec §7.2)`,
  );
}

function nobleHash(h: ReturnType<typeof sha1.create>): IncrementalHash {
  return {
    update(data) {
      h.update(data);
    },
    digest: () => h.digest(),
    copy: () => nobleHash(h.clone()),
  };
}

/** Pure-JS SHA-1 from `@noble/hashes`: the default of the PACK layer, works everywhere. */
export const nobleSha1: HashFactory = () => nobleHash(sha1.create());
