/**
 * The primitives a crypto backend provides. Two backends implement them with one behaviour:
 * `fastBackend` (node:crypto in Node, WebCrypto in browsers) and `portableBackend` (@noble/*,
 * pure JS). Everything above this layer (DER, Bottles, ID cards, key wrapping) is shared, so
 * both produce and accept the same bytes.
 *
 * Backends receive key material already parsed and checked; results may be plain values or
 * promises (node:crypto is synchronous and much faster that way; WebCrypto is asynchronous).
 * Implementing a backend is not part of the supported API: pick one of the two.
 */
import type { KeyType } from './der.js';

/** Which backend: the platform's crypto (`fast`) or the pure-JS `@noble/*` one (`portable`). */
export type BackendName = 'fast' | 'portable';

/** A value, or a promise of it. */
export type Awaitable<T> = T | Promise<T>;

/** A public key as backends see it. */
export interface PublicKeyMaterial {
  readonly type: KeyType;
  /** PKIX DER. */
  readonly pkix: Uint8Array;
  /** EC: the uncompressed point; Ed25519/X25519: 32 bytes; RSA: the PKCS#1 RSAPublicKey DER. */
  readonly raw: Uint8Array;
}

/** A private key as backends see it. */
export interface PrivateKeyMaterial {
  readonly type: Exclude<KeyType, 'RSA'>;
  /** EC: the scalar, curve-size bytes; Ed25519: the 32-byte seed; X25519: the 32-byte scalar. */
  readonly secret: Uint8Array;
  readonly publicKey: PublicKeyMaterial;
}

/** scrypt cost parameters. */
export interface ScryptParams {
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly dkLen: number;
}

/** The primitives. Signatures follow Go's `cryptutil.Sign`: ECDSA = DER over SHA-256, Ed25519 pure. */
export interface CryptoBackend {
  readonly name: BackendName;
  /** What implements it, for logs and benchmark output (`node:crypto`, `WebCrypto`, `@noble`). */
  readonly implementation: string;
  /** `length` bytes from the platform CSPRNG. */
  randomBytes(length: number): Uint8Array;
  sha256(data: Uint8Array): Awaitable<Uint8Array>;
  /** A fresh key pair: the secret (see `PrivateKeyMaterial.secret`) and the raw public key. */
  generate(type: Exclude<KeyType, 'RSA'>): Awaitable<{ secret: Uint8Array; publicRaw: Uint8Array }>;
  /** The raw public key of a secret; throws `CryptoError('BAD_KEY')` for an invalid secret. */
  publicFromSecret(type: Exclude<KeyType, 'RSA'>, secret: Uint8Array): Awaitable<Uint8Array>;
  /** ECDSA: ASN.1 DER over SHA-256(data); Ed25519: pure. */
  sign(key: PrivateKeyMaterial, data: Uint8Array): Awaitable<Uint8Array>;
  /**
   * ECDSA: `signature` is `r ‖ s` (already extracted from strict DER), digest SHA-256(data);
   * Ed25519: 64 bytes, pure; RSA: PKCS#1 v1.5 over SHA-256, modulus-length signature.
   */
  verify(key: PublicKeyMaterial, data: Uint8Array, signature: Uint8Array): Awaitable<boolean>;
  /** Raw ECDH output (x-coordinate / u-coordinate); `null` if `peerRaw` is not a valid peer key. */
  ecdh(key: PrivateKeyMaterial, peerRaw: Uint8Array): Awaitable<Uint8Array | null>;
  /** A fresh ephemeral key on `peer`'s curve and its shared secret with `peer`; `null` if `peer` is invalid. */
  ecdhEphemeral(
    peer: PublicKeyMaterial,
  ): Awaitable<{ publicRaw: Uint8Array; shared: Uint8Array } | null>;
  /** AES-GCM (key of 16, 24 or 32 bytes, 12-byte nonce, no AAD): ciphertext ‖ 16-byte tag. */
  aesGcmEncrypt(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Awaitable<Uint8Array>;
  /** The plaintext, or `null` when authentication fails. */
  aesGcmDecrypt(
    key: Uint8Array,
    nonce: Uint8Array,
    sealed: Uint8Array,
  ): Awaitable<Uint8Array | null>;
  /** RSA-OAEP with SHA-256 and an empty label. */
  rsaOaepEncrypt(key: PublicKeyMaterial, plaintext: Uint8Array): Awaitable<Uint8Array>;
  /** scrypt (RFC 7914). */
  scrypt(password: Uint8Array, salt: Uint8Array, params: ScryptParams): Promise<Uint8Array>;
}

/** Options every crypto function accepts. */
export interface BackendOptions {
  /** Which backend does the work (default: `fastBackend`). */
  readonly backend?: CryptoBackend;
}
