import { SpokeError, SpokeFailure } from './errors.js';
import { PUBLIC_LENGTH } from './packet.js';

/** spoke's AEAD identifiers (spoke:lib/spoke.ml `int_of_cipher`). */
export const SpokeCipher = {
  AesGcm: 0,
  AesCcm16: 1,
  ChaCha20Poly1305: 2,
} as const;
export type SpokeCipher = (typeof SpokeCipher)[keyof typeof SpokeCipher];

/** The only KDF spoke knows: PBKDF2 (id 2). */
export const KDF_PBKDF2 = 2;
/** The only hash spoke knows: SHA-256 (id 4). */
export const HASH_SHA256 = 4;
/** spoke's format version. */
export const SPOKE_VERSION = 1;
/** bob's PBKDF2 iteration count (bob:bin/send.ml). */
export const BOB_PBKDF2_ITERATIONS = 16;
/**
 * Default upper bound on the iteration count a receiver accepts from a public. A hostile sender
 * could otherwise announce 2^63 iterations and stall every receiver on the relay; 10,000 costs a
 * receiver about 0.3 s of pure-JS HMAC per sender (bob itself uses 16).
 */
export const DEFAULT_MAX_PBKDF2_ITERATIONS = 10_000;

/** The 34-byte public a sender announces in `Hello_as_a_server` (spec §6.1). */
export interface SpokePublic {
  readonly iterations: number;
  /** (cipher0, cipher1): cipher0 protects sender → receiver, cipher1 the other way (§7.1). */
  readonly ciphers: readonly [SpokeCipher, SpokeCipher];
  readonly salt: Uint8Array;
}

export interface PublicLimits {
  /** Highest PBKDF2 iteration count accepted (default {@link DEFAULT_MAX_PBKDF2_ITERATIONS}). */
  readonly maxIterations?: number;
}

function isCipher(n: number): n is SpokeCipher {
  return n === 0 || n === 1 || n === 2;
}

/** Serializes a public: version 1, PBKDF2, iterations (u64 BE), ciphers, SHA-256, 16-byte salt. */
export function encodePublic(pub: SpokePublic): Uint8Array {
  if (!Number.isSafeInteger(pub.iterations) || pub.iterations < 1) {
    throw new SpokeError(SpokeFailure.InvalidPublic, 'the PBKDF2 iteration count must be >= 1');
  }
  if (pub.salt.length !== 16) {
    throw new SpokeError(SpokeFailure.InvalidPublic, 'the salt must be 16 bytes');
  }
  const [c0, c1] = pub.ciphers;
  if (!isCipher(c0) || !isCipher(c1)) {
    throw new SpokeError(SpokeFailure.InvalidPublic, 'ciphers must be 0 (GCM), 1 (CCM16) or 2');
  }
  const out = new Uint8Array(PUBLIC_LENGTH);
  const view = new DataView(out.buffer);
  view.setUint16(0, SPOKE_VERSION);
  view.setUint16(2, KDF_PBKDF2);
  view.setBigUint64(4, BigInt(pub.iterations));
  view.setUint16(12, c0);
  view.setUint16(14, c1);
  view.setUint16(16, HASH_SHA256);
  out.set(pub.salt, 18);
  return out;
}

/**
 * Parses and checks a public. Anything spoke would reject, and iteration counts above the
 * limit, throw `SpokeError` with failure `03` (Invalid_public_packet).
 */
export function decodePublic(bytes: Uint8Array, limits: PublicLimits = {}): SpokePublic {
  const max = limits.maxIterations ?? DEFAULT_MAX_PBKDF2_ITERATIONS;
  const bad = (why: string) =>
    new SpokeError(SpokeFailure.InvalidPublic, `invalid spoke public: ${why}`);
  if (bytes.length !== PUBLIC_LENGTH)
    throw bad(`expected ${PUBLIC_LENGTH} bytes, got ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(0);
  if (version !== SPOKE_VERSION) throw bad(`version ${version}, only ${SPOKE_VERSION} exists`);
  const kdf = view.getUint16(2);
  if (kdf !== KDF_PBKDF2) throw bad(`KDF ${kdf}, only PBKDF2 (${KDF_PBKDF2}) exists`);
  const iterations = view.getBigUint64(4);
  if (iterations < 1n) throw bad('PBKDF2 iteration count 0');
  if (iterations > BigInt(max)) {
    throw bad(`PBKDF2 iteration count ${iterations} is above the limit of ${max}`);
  }
  const c0 = view.getUint16(12);
  const c1 = view.getUint16(14);
  if (!isCipher(c0) || !isCipher(c1)) throw bad(`unknown cipher (${c0}, ${c1})`);
  const hash = view.getUint16(16);
  if (hash !== HASH_SHA256) throw bad(`hash ${hash}, only SHA-256 (${HASH_SHA256}) exists`);
  return { iterations: Number(iterations), ciphers: [c0, c1], salt: bytes.slice(18, 34) };
}
