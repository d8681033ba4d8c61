/**
 * Keys: parse PKIX public keys, import/export/generate private keys byte-identical to Go's
 * `x509` forms, and sign/verify the way `cryptutil.Sign`/`Verify` do.
 *
 * Public keys are identified by their exact PKIX bytes. Parsed keys are kept in a bounded cache
 * (`configureKeyCache`) so that a key seen again (a signer, a recipient, a handshake key) is not
 * parsed again and its backend handles are reused.
 */

import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { addressOf } from '@peerwire/address';
import { BoundedMap } from '@peerwire/wire';
import type {
  BackendOptions,
  CryptoBackend,
  PrivateKeyMaterial,
  PublicKeyMaterial,
} from './backend.js';
import { defaultBackend } from './backends/index.js';
import {
  buildPkcs8,
  buildSec1,
  buildSpki,
  curveSize,
  type KeyType,
  parseEcdsaSignature,
  parsePrivateKeyDer,
  parseRsaPublicKey,
  parseSpki,
} from './der.js';
import { CryptoError } from './errors.js';

export type { KeyType } from './der.js';

/** A public key, identified by its PKIX DER bytes (Go `x509.MarshalPKIXPublicKey`). */
export interface PublicKey {
  readonly type: KeyType;
  readonly pkix: Uint8Array;
}

/** A private key. Its material is not reachable through properties; use `exportPrivateKey`. */
export interface PrivateKey {
  readonly type: KeyType;
  readonly publicKey: PublicKey;
}

/** The concrete public key objects this package hands out (and what backends see). */
export class PeerwirePublicKey implements PublicKey, PublicKeyMaterial {
  readonly type: KeyType;
  readonly pkix: Uint8Array;
  /** See `PublicKeyMaterial.raw`. */
  readonly raw: Uint8Array;
  /** RSA modulus length in bytes (0 for other types). */
  readonly rsaSize: number;
  /** Ed25519 only: the X25519 form, computed on first use (§6.2). */
  montgomery: PeerwirePublicKey | undefined;

  constructor(type: KeyType, pkix: Uint8Array, raw: Uint8Array, rsaSize = 0) {
    this.type = type;
    this.pkix = pkix;
    this.raw = raw;
    this.rsaSize = rsaSize;
    this.montgomery = undefined;
  }
}

const secrets = new WeakMap<PrivateKey, PrivateState>();

/** What a private key holds (see `PrivateKeyMaterial`), kept out of reach of callers. */
export interface PrivateState extends PrivateKeyMaterial {
  readonly publicKey: PeerwirePublicKey;
  /** Ed25519 only: the X25519 form used to open bottles encrypted to this key. */
  montgomery?: PrivateState;
}

class PeerwirePrivateKey implements PrivateKey {
  readonly type: Exclude<KeyType, 'RSA'>;
  readonly publicKey: PeerwirePublicKey;

  constructor(state: PrivateState) {
    this.type = state.type;
    this.publicKey = state.publicKey;
    secrets.set(this, state);
    Object.freeze(this);
  }
}

/** The hidden material of a private key made by this package. */
export function privateState(key: PrivateKey): PrivateState {
  const state = secrets.get(key);
  if (state === undefined) {
    throw new CryptoError(
      'BAD_KEY',
      'not a private key of @peerwire/crypto: make it with importPrivateKey or generatePrivateKey',
    );
  }
  return state;
}

// ---------------------------------------------------------------------------------------------
// Public keys and their cache

/** Most parsed public keys kept for reuse (default). */
export const DEFAULT_KEY_CACHE_SIZE = 4096;
/** PKIX bytes → the parsed key; LRU. */
const keyCache = new BoundedMap<string, PeerwirePublicKey>({ maxEntries: DEFAULT_KEY_CACHE_SIZE });

/** Sets how many parsed public keys are kept (0 disables the cache). */
export function configureKeyCache(size: number): void {
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new CryptoError(
      'BAD_ARGUMENT',
      `key cache size must be a non-negative integer, got ${size}`,
    );
  }
  keyCache.maxEntries = size;
}

/** A string that identifies bytes exactly (one char per byte), for map keys. */
export function byteKey(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 4096) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, i + 4096) as unknown as number[]);
  }
  return s;
}

function parseUncached(pkix: Uint8Array): PeerwirePublicKey {
  const { type, raw } = parseSpki(pkix);
  const own = pkix.slice();
  const ownRaw = own.subarray(pkix.length - raw.length);
  const rsaSize = type === 'RSA' ? Math.ceil(parseRsaPublicKey(raw).bits / 8) : 0;
  return new PeerwirePublicKey(type, own, ownRaw, rsaSize);
}

/**
 * Parses PKIX DER (SubjectPublicKeyInfo) into a `PublicKey`. Throws `CryptoError` with
 * `BAD_KEY` (malformed, or not in Go's canonical form) or `UNSUPPORTED_KEY` (secp256k1, P-521,
 * post-quantum, ...). Returned keys are shared: treat them as immutable.
 */
export function parsePublicKey(pkix: Uint8Array): PublicKey {
  return publicKeyOf(pkix);
}

/** The internal form of a public key given as a `PublicKey` or as PKIX bytes. */
export function publicKeyOf(key: PublicKey | Uint8Array): PeerwirePublicKey {
  if (key instanceof PeerwirePublicKey) return key;
  const pkix = key instanceof Uint8Array ? key : key.pkix;
  if (!(pkix instanceof Uint8Array)) {
    throw new CryptoError('BAD_ARGUMENT', 'expected a PublicKey or PKIX bytes (Uint8Array)');
  }
  if (keyCache.maxEntries === 0) return parseUncached(pkix);
  const id = byteKey(pkix);
  const hit = keyCache.get(id);
  if (hit !== undefined) return hit;
  const parsed = parseUncached(pkix);
  keyCache.set(id, parsed);
  return parsed;
}

/** Whether keys of this type make signatures (ECDSA, Ed25519, RSA; not X25519). */
export function canSign(type: KeyType): boolean {
  return type !== 'X25519';
}

/**
 * Whether the reference gives keys of this type the `decrypt` purpose (`IDCard.AddKeychain`):
 * ECDSA, X25519 and RSA keys. Ed25519 keys are `sign` only there, although a bottle can be
 * encrypted to an Ed25519 key named directly (it is converted to X25519).
 */
export function canDecrypt(type: KeyType): boolean {
  return type !== 'Ed25519';
}

/** The `k.<hash>` address of a key (or of an ID card's `Self`): base64url SHA-256 of the PKIX. */
export function keyAddress(key: PublicKey | Uint8Array): string {
  return addressOf(key instanceof Uint8Array ? key : key.pkix);
}

// ---------------------------------------------------------------------------------------------
// Private keys

function backendOf(opts?: BackendOptions): CryptoBackend {
  return opts?.backend ?? defaultBackend;
}

function makePrivate(
  type: Exclude<KeyType, 'RSA'>,
  secret: Uint8Array,
  publicRaw: Uint8Array,
): PrivateKey {
  const pkix = buildSpki(type, publicRaw);
  const publicKey = publicKeyOf(pkix);
  return new PeerwirePrivateKey({ type, secret, publicKey });
}

/** Generates a fresh private key from the platform CSPRNG. */
export async function generatePrivateKey(
  type: Exclude<KeyType, 'RSA'>,
  opts?: BackendOptions,
): Promise<PrivateKey> {
  if (type !== 'P-256' && type !== 'P-384' && type !== 'Ed25519' && type !== 'X25519') {
    throw new CryptoError(
      'UNSUPPORTED_KEY',
      `cannot generate ${String(type)} keys; use P-256, P-384, Ed25519 or X25519`,
    );
  }
  const { secret, publicRaw } = await backendOf(opts).generate(type);
  return makePrivate(type, secret, publicRaw);
}

/**
 * Imports a private key from DER: PKCS#8 (any supported type) or SEC1 `EC PRIVATE KEY`,
 * detected from the structure. The public key is always recomputed from the secret (as Go
 * does); an embedded public key is ignored. RSA private keys are refused (`UNSUPPORTED_KEY`).
 */
export async function importPrivateKey(
  der: Uint8Array,
  opts?: BackendOptions,
): Promise<PrivateKey> {
  const { type, secret } = parsePrivateKeyDer(der);
  let publicRaw: Uint8Array;
  try {
    publicRaw = await backendOf(opts).publicFromSecret(type, secret);
  } catch (cause) {
    if (cause instanceof CryptoError) throw cause;
    throw new CryptoError('BAD_KEY', `invalid ${type} private key`, { cause });
  }
  return makePrivate(type, secret, publicRaw);
}

/**
 * Exports a private key as Go's `x509.MarshalPKCS8PrivateKey` (default) or, for EC keys,
 * `x509.MarshalECPrivateKey` (`'sec1'`) would, byte for byte.
 */
export async function exportPrivateKey(
  key: PrivateKey,
  format: 'pkcs8' | 'sec1' = 'pkcs8',
): Promise<Uint8Array> {
  const state = privateState(key);
  if (format === 'sec1') return buildSec1(state, state.publicKey.raw);
  if (format !== 'pkcs8') {
    throw new CryptoError(
      'BAD_ARGUMENT',
      `unknown private key format ${String(format)}; use 'pkcs8' or 'sec1'`,
    );
  }
  return buildPkcs8(state, state.publicKey.raw);
}

// ---------------------------------------------------------------------------------------------
// Signatures

/**
 * Signs `data` as the reference does: ECDSA (P-256 and P-384) = ASN.1 DER over SHA-256(data),
 * Ed25519 = pure Ed25519 over data. X25519 keys cannot sign (`UNSUPPORTED_KEY`).
 */
export async function sign(
  key: PrivateKey,
  data: Uint8Array,
  opts?: BackendOptions,
): Promise<Uint8Array> {
  const state = privateState(key);
  if (state.type === 'X25519') {
    throw new CryptoError(
      'UNSUPPORTED_KEY',
      'an X25519 key cannot sign; sign with an ECDSA or Ed25519 key',
    );
  }
  return backendOf(opts).sign(state, data);
}

/**
 * Verifies a signature made as `sign` makes them (RSA: PKCS#1 v1.5 over SHA-256). Returns
 * false for a wrong or malformed signature (including ECDSA `r ‖ s` instead of DER); throws
 * `CryptoError` when the key itself is unusable.
 */
export async function verify(
  key: PublicKey | Uint8Array,
  data: Uint8Array,
  signature: Uint8Array,
  opts?: BackendOptions,
): Promise<boolean> {
  return verifyWith(publicKeyOf(key), data, signature, backendOf(opts));
}

/** `verify` on a parsed key (internal fast path). */
export function verifyWith(
  pub: PeerwirePublicKey,
  data: Uint8Array,
  signature: Uint8Array,
  backend: CryptoBackend,
): boolean | Promise<boolean> {
  switch (pub.type) {
    case 'P-256':
    case 'P-384': {
      const rs = parseEcdsaSignature(signature, curveSize(pub.type));
      return rs === null ? false : backend.verify(pub, data, rs);
    }
    case 'Ed25519':
      return signature.length === 64 && backend.verify(pub, data, signature);
    case 'RSA':
      return signature.length === pub.rsaSize && backend.verify(pub, data, signature);
    case 'X25519':
      throw new CryptoError('UNSUPPORTED_KEY', 'an X25519 key cannot make signatures');
  }
}

// ---------------------------------------------------------------------------------------------
// Ed25519 -> X25519 (spot-crypto §6.2)

/** The X25519 public key of an Ed25519 public key: u = (1 + y) / (1 - y) mod p. */
export function montgomeryPublic(pub: PeerwirePublicKey): PeerwirePublicKey {
  if (pub.montgomery === undefined) {
    let u: Uint8Array;
    try {
      u = ed25519.utils.toMontgomery(pub.raw);
    } catch (cause) {
      throw new CryptoError('BAD_KEY', 'Ed25519 public key is not a valid curve point', { cause });
    }
    pub.montgomery = new PeerwirePublicKey('X25519', buildSpki('X25519', u), u);
  }
  return pub.montgomery;
}

/** The X25519 private key of an Ed25519 key: SHA-512(seed)[0:32], clamped. */
export async function montgomeryPrivate(
  state: PrivateState,
  backend: CryptoBackend,
): Promise<PrivateState> {
  if (state.montgomery === undefined) {
    const scalar = sha512(state.secret).slice(0, 32);
    scalar[0]! &= 248;
    scalar[31]! &= 127;
    scalar[31]! |= 64;
    const publicRaw = await backend.publicFromSecret('X25519', scalar);
    state.montgomery = {
      type: 'X25519',
      secret: scalar,
      publicKey: new PeerwirePublicKey('X25519', buildSpki('X25519', publicRaw), publicRaw),
    };
  }
  return state.montgomery;
}
