import { secp256k1 } from '@noble/curves/secp256k1.js';
import { utf8Encode } from '@peerwire/wire';
import { compactSizeLength, writeCompactSize } from './compact-size.js';
import { DattError } from './errors.js';
import { sha256d } from './hash.js';
import { assertPrivateKey, PUBLIC_KEY_LENGTH } from './keys.js';

/** Length of a compact signature: header(1) ‖ r(32) ‖ s(32). */
export const COMPACT_SIGNATURE_LENGTH = 65;

const PREFIX = utf8Encode('\x18Bitcoin Signed Message:\n');

/**
 * The Bitcoin Signed Message hash (spec §4.2):
 * `SHA-256d(0x18 ‖ "Bitcoin Signed Message:\n" ‖ CompactSize(len(m)) ‖ m)`.
 */
export function bsmHash(message: Uint8Array): Uint8Array {
  const n = compactSizeLength(message.length);
  const buf = new Uint8Array(PREFIX.length + n + message.length);
  buf.set(PREFIX, 0);
  writeCompactSize(buf, PREFIX.length, message.length);
  buf.set(message, PREFIX.length + n);
  return sha256d(buf);
}

/**
 * The two secp256k1 operations behind compact signatures. Both backends give the same bytes:
 * {@link nobleCompact} (pure JS, the default everywhere) and `nodeCompact` from
 * `@peerwire/datt/node` (libsecp256k1 compiled to WebAssembly, several times faster).
 */
export interface CompactBackend {
  /** RFC 6979 deterministic k, low-S: `r ‖ s` (64 bytes) and the recovery id (0–3). */
  sign(hash: Uint8Array, privateKey: Uint8Array): { signature: Uint8Array; recoveryId: number };
  /**
   * The compressed public key that made `r ‖ s` (already checked to be in range) with this
   * recovery id over `hash`, or null if there is none.
   */
  recover(hash: Uint8Array, signature: Uint8Array, recoveryId: number): Uint8Array | null;
}

/** The portable backend: `@noble/curves`. */
export const nobleCompact: CompactBackend = {
  sign(hash, privateKey) {
    // noble's "recovered" format is recid ‖ r ‖ s.
    const recovered = secp256k1.sign(hash, privateKey, {
      prehash: false,
      lowS: true,
      format: 'recovered',
    });
    return { signature: recovered.subarray(1), recoveryId: recovered[0]! };
  },
  recover(hash, signature, recoveryId) {
    try {
      return secp256k1.Signature.fromBytes(signature, 'compact')
        .addRecoveryBit(recoveryId)
        .recoverPublicKey(hash)
        .toBytes(true);
    } catch {
      return null;
    }
  },
};

/**
 * Signs a 32-byte hash: RFC 6979 deterministic k, low-S, header = 27 + recid + 4 (compressed
 * key). Returns `header ‖ r ‖ s`.
 */
export function signCompact(
  hash: Uint8Array,
  privateKey: Uint8Array,
  backend: CompactBackend = nobleCompact,
): Uint8Array {
  assertPrivateKey(privateKey);
  const { signature, recoveryId } = backend.sign(hash, privateKey);
  const out = new Uint8Array(COMPACT_SIGNATURE_LENGTH);
  out[0] = 31 + recoveryId;
  out.set(signature, 1);
  return out;
}

/** Options for compact-signature verification. */
export interface VerifyOptions {
  /** The secp256k1 backend (default {@link nobleCompact}). */
  readonly backend?: CompactBackend;
  /**
   * Accept signatures whose `s` is in the upper half of the order (default `false`). peerwire
   * signers never make them; accepting them lets one content have two valid encodings, and so
   * two content hashes.
   */
  readonly allowHighS?: boolean;
}

/**
 * Recovers the compressed public key that made `signature` over the 32-byte `hash`. Throws
 * `BAD_SIGNATURE` for a wrong length, a header outside 31–34 (compressed key), `r` or `s` out of
 * range, high-S (unless allowed) or a signature no key can have made.
 */
export function recoverCompact(
  hash: Uint8Array,
  signature: Uint8Array,
  options?: VerifyOptions,
): Uint8Array {
  if (signature.length !== COMPACT_SIGNATURE_LENGTH) {
    throw new DattError(
      'BAD_SIGNATURE',
      `compact signature must be ${COMPACT_SIGNATURE_LENGTH} bytes, got ${signature.length}`,
    );
  }
  const header = signature[0]!;
  if (header < 31 || header > 34) {
    throw new DattError(
      'BAD_SIGNATURE',
      `compact signature header ${header} is not 31-34 (a compressed-key signature)`,
    );
  }
  let sig: ReturnType<typeof secp256k1.Signature.fromBytes>;
  try {
    sig = secp256k1.Signature.fromBytes(signature.subarray(1), 'compact');
  } catch (cause) {
    throw new DattError('BAD_SIGNATURE', 'compact signature r or s is out of range', { cause });
  }
  if (!options?.allowHighS && sig.hasHighS()) {
    throw new DattError('BAD_SIGNATURE', 'compact signature has a high S value (non-canonical)');
  }
  const key = (options?.backend ?? nobleCompact).recover(hash, signature.subarray(1), header - 31);
  if (key === null) {
    throw new DattError('BAD_SIGNATURE', 'no public key can be recovered from this signature');
  }
  return key;
}

/**
 * Checks that `signature` over `hash` was made by `publicKey`: recovers the signer and compares
 * it with `publicKey` byte for byte (a recovered key is, by construction, one the signature
 * verifies under). Throws `BAD_SIGNATURE` or `KEY_MISMATCH`.
 */
export function verifyCompact(
  hash: Uint8Array,
  signature: Uint8Array,
  publicKey: Uint8Array,
  options?: VerifyOptions,
): void {
  // Shape only: a recovered key is always a valid point, so a 33-byte string that is not one
  // can never match it. This skips a square root per verification.
  if (publicKey.length !== PUBLIC_KEY_LENGTH || (publicKey[0] !== 2 && publicKey[0] !== 3)) {
    throw new DattError(
      'BAD_KEY',
      'public key is not a compressed secp256k1 key (33 bytes, 02/03)',
    );
  }
  const recovered = recoverCompact(hash, signature, options);
  for (let i = 0; i < recovered.length; i++) {
    if (recovered[i] !== publicKey[i]) {
      throw new DattError(
        'KEY_MISMATCH',
        'the key recovered from the signature is not the expected public key',
      );
    }
  }
}

/** Bitcoin Signed Message signature of `message` (65 bytes, compressed-key header). */
export function signMessage(
  message: Uint8Array,
  privateKey: Uint8Array,
  backend?: CompactBackend,
): Uint8Array {
  return signCompact(bsmHash(message), privateKey, backend);
}

/** The compressed public key that signed `message`; see `recoverCompact` for the errors. */
export function recoverMessageSigner(
  message: Uint8Array,
  signature: Uint8Array,
  options?: VerifyOptions,
): Uint8Array {
  return recoverCompact(bsmHash(message), signature, options);
}

/** Throws unless `signature` is `publicKey`'s Bitcoin Signed Message signature of `message`. */
export function verifyMessage(
  message: Uint8Array,
  signature: Uint8Array,
  publicKey: Uint8Array,
  options?: VerifyOptions,
): void {
  verifyCompact(bsmHash(message), signature, publicKey, options);
}
