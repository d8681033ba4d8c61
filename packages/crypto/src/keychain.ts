/**
 * Keychain (cryptutil `keychain.go`): private keys looked up by the exact PKIX bytes of their
 * public key, plus a peerwire file format to keep them, optionally encrypted with a passphrase.
 *
 * File format (all integers big-endian; CBOR is wire's strict profile):
 *
 *   "PWKC" ‖ version 0x01 ‖ kind ‖ CBOR body
 *   kind 0x00, plain:     body = [pkcs8, pkcs8, …]                    (array of byte strings)
 *
 * The array holds the Spot keys in the order added, then any secp256k1 keys kept for protocols
 * outside Spot (`addSecp256k1Key`; Datt signs content with one), as PKCS#8 exactly as OpenSSL
 * writes it (ecPublicKey, named curve secp256k1, public key included). Loaders that predate them
 * refuse such a file (`CORRUPT_KEYCHAIN`, unsupported key) rather than drop the key.
 *   kind 0x01, encrypted: body = {"kdf": "scrypt", "n": N, "r": r, "p": p, "salt": bstr(16),
 *                                 "check": bstr(16), "nonce": bstr(12), "ct": bstr}
 *
 * For an encrypted file, scrypt(NFC passphrase, salt, N, r, p) gives 48 bytes: the first 32 are
 * a key k, the last 16 are stored as `check`, so that a wrong passphrase (`BAD_PASSPHRASE`) is
 * told apart from a damaged file (`CORRUPT_KEYCHAIN`). `ct` is AES-256-GCM of the plain body
 * (`nonce` as IV) under the key SHA-256(k ‖ the 6-byte file header), which binds the header.
 */

import { secp256k1 } from '@noble/curves/secp256k1.js';
import {
  bytesEqual,
  type CborValue,
  cborArray,
  cborBytes,
  cborMap,
  cborSafeUint,
  cborText,
  DecodeError,
  decodeCbor,
  encodeCbor,
  PeerwireError,
} from '@peerwire/wire';
import type { BackendOptions } from './backend.js';
import { defaultBackend } from './backends/index.js';
import { buildSecp256k1Pkcs8, parseSecp256k1Pkcs8 } from './der.js';
import { CryptoError } from './errors.js';
import {
  byteKey,
  canSign,
  exportPrivateKey,
  importPrivateKey,
  type PrivateKey,
  type PublicKey,
  privateState,
} from './keys.js';

/** scrypt cost of a passphrase-protected keychain. */
export interface KeychainKdfParams {
  /** CPU/memory cost, a power of two (default 2^17: 128 MiB with r = 8). */
  readonly N: number;
  /** Block size (default 8). */
  readonly r: number;
  /** Parallelism (default 1). */
  readonly p: number;
}

/** OWASP's scrypt recommendation: N = 2^17, r = 8, p = 1 (128 MiB, a few hundred ms in Node). */
export const DEFAULT_KEYCHAIN_KDF: KeychainKdfParams = { N: 2 ** 17, r: 8, p: 1 };

/**
 * The most scrypt memory (128·N·r·p bytes) a keychain file may ask for when loaded: 1 GiB. A
 * file asking for more is `CORRUPT_KEYCHAIN`, so a hostile file cannot make a loader allocate
 * without bound.
 */
export const MAX_KEYCHAIN_KDF_MEMORY = 1024 * 1024 * 1024;

/** Options of `Keychain.toBytes`. */
export interface KeychainSaveOptions extends BackendOptions {
  /** Encrypt the keys with this passphrase (NFC-normalised UTF-8). Without it the file is plain. */
  readonly passphrase?: string;
  /** scrypt cost (default `DEFAULT_KEYCHAIN_KDF`). */
  readonly kdf?: Partial<KeychainKdfParams>;
}

/** Options of `Keychain.fromBytes`. */
export interface KeychainLoadOptions extends BackendOptions {
  /** Needed for an encrypted file; ignored for a plain one. */
  readonly passphrase?: string;
  /** Most scrypt memory (128·N·r·p bytes) a file may ask for (default `MAX_KEYCHAIN_KDF_MEMORY`). */
  readonly maxKdfMemory?: number;
}

const MAGIC = Uint8Array.of(0x50, 0x57, 0x4b, 0x43); // "PWKC"
const VERSION = 1;
const KIND_PLAIN = 0;
const KIND_ENCRYPTED = 1;
const SALT_LENGTH = 16;
const CHECK_LENGTH = 16;
const NONCE_LENGTH = 12;

function header(kind: number): Uint8Array {
  return Uint8Array.of(...MAGIC, VERSION, kind);
}

function passphraseBytes(passphrase: string): Uint8Array {
  if (typeof passphrase !== 'string' || passphrase.length === 0) {
    throw new CryptoError('BAD_ARGUMENT', 'a keychain passphrase must be a non-empty string');
  }
  return new TextEncoder().encode(passphrase.normalize('NFC'));
}

function kdfMemory(p: KeychainKdfParams): number {
  return 128 * p.N * p.r * p.p;
}

function checkKdf(p: KeychainKdfParams, maxMemory: number, onError: (msg: string) => never): void {
  const isPow2 = Number.isSafeInteger(p.N) && p.N >= 2 && (p.N & (p.N - 1)) === 0;
  if (!isPow2 || p.N > 2 ** 30)
    onError(`scrypt N must be a power of two from 2 to 2^30, got ${p.N}`);
  if (!Number.isSafeInteger(p.r) || p.r < 1 || p.r > 64)
    onError(`scrypt r must be 1..64, got ${p.r}`);
  if (!Number.isSafeInteger(p.p) || p.p < 1 || p.p > 16)
    onError(`scrypt p must be 1..16, got ${p.p}`);
  if (kdfMemory(p) > maxMemory) {
    onError(`scrypt parameters need ${kdfMemory(p)} bytes, more than the limit of ${maxMemory}`);
  }
}

function corrupt(message: string, cause?: unknown): never {
  throw new CryptoError(
    'CORRUPT_KEYCHAIN',
    `keychain file: ${message}`,
    cause === undefined ? undefined : { cause },
  );
}

function checkSecp256k1(secret: Uint8Array): void {
  if (
    !(secret instanceof Uint8Array) ||
    secret.length !== 32 ||
    !secp256k1.utils.isValidSecretKey(secret)
  ) {
    throw new CryptoError('BAD_KEY', 'a secp256k1 secret key is a 32-byte scalar in [1, n-1]');
  }
}

/**
 * Private keys by the PKIX of their public keys. A keychain can also keep secp256k1 secret keys
 * for protocols outside Spot (Datt): those are stored in the same file, encrypted alike, but are
 * never Spot keys (see `addSecp256k1Key`).
 */
export class Keychain {
  readonly #keys = new Map<string, PrivateKey>();
  readonly #secp256k1: Uint8Array[] = [];
  #firstSigner: PrivateKey | undefined;

  constructor(keys: Iterable<PrivateKey> = []) {
    for (const k of keys) this.add(k);
  }

  /** Adds a key (replacing one with the same public key). The first signing key becomes `firstSigner`. */
  add(key: PrivateKey): this {
    const state = privateState(key);
    this.#keys.set(byteKey(state.publicKey.pkix), key);
    if (this.#firstSigner === undefined && canSign(state.type)) this.#firstSigner = key;
    return this;
  }

  /** The private key whose public key is `pkix` (exact bytes), if held. */
  get(pkix: Uint8Array | PublicKey): PrivateKey | undefined {
    return this.#keys.get(byteKey(pkix instanceof Uint8Array ? pkix : pkix.pkix));
  }

  has(pkix: Uint8Array | PublicKey): boolean {
    return this.get(pkix) !== undefined;
  }

  /** Removes a key; returns whether it was held. */
  delete(pkix: Uint8Array | PublicKey): boolean {
    const id = byteKey(pkix instanceof Uint8Array ? pkix : pkix.pkix);
    const key = this.#keys.get(id);
    if (key === undefined) return false;
    this.#keys.delete(id);
    if (key === this.#firstSigner) {
      this.#firstSigner = [...this.#keys.values()].find((k) => canSign(k.type));
    }
    return true;
  }

  /** The first signing-capable key added (Go `FirstSigner`). */
  get firstSigner(): PrivateKey | undefined {
    return this.#firstSigner;
  }

  /** The keys, in the order they were added. */
  keys(): PrivateKey[] {
    return [...this.#keys.values()];
  }

  /** Number of Spot keys (secp256k1 keys kept for other protocols are not counted). */
  get size(): number {
    return this.#keys.size;
  }

  /**
   * Keeps a secp256k1 secret key (32 bytes, 1 ≤ k < n) for a protocol outside Spot, such as Datt
   * (`@peerwire/datt` signs content and receives payments with one). It is saved with the other
   * keys (encrypted alike), but it is never a Spot key: `keys()`, `get()`, `has()`,
   * `firstSigner` and `size` leave it out, so Bottles, ID cards and handshakes never use it.
   * Adding a key already held does nothing. Throws `BAD_KEY` for anything but a valid scalar.
   */
  addSecp256k1Key(secret: Uint8Array): this {
    checkSecp256k1(secret);
    if (!this.#secp256k1.some((k) => bytesEqual(k, secret))) this.#secp256k1.push(secret.slice());
    return this;
  }

  /** The secp256k1 secret keys kept for other protocols, in the order added (copies). */
  secp256k1Keys(): Uint8Array[] {
    return this.#secp256k1.map((k) => k.slice());
  }

  /** Forgets a secp256k1 key (by its secret); returns whether it was held. */
  deleteSecp256k1Key(secret: Uint8Array): boolean {
    const i = this.#secp256k1.findIndex((k) => bytesEqual(k, secret));
    if (i < 0) return false;
    this.#secp256k1.splice(i, 1)[0]!.fill(0);
    return true;
  }

  /** The keychain as a file (see the format above), encrypted when a passphrase is given. */
  async toBytes(opts?: KeychainSaveOptions): Promise<Uint8Array> {
    const pkcs8: Uint8Array[] = [];
    for (const k of this.keys()) pkcs8.push(await exportPrivateKey(k));
    const extra = this.#secp256k1.map((k) =>
      buildSecp256k1Pkcs8(k, secp256k1.getPublicKey(k, false)),
    );
    const plainBody = encodeCbor([...pkcs8, ...extra]);
    for (const e of extra) e.fill(0);
    if (opts?.passphrase === undefined) {
      const out = new Uint8Array(6 + plainBody.length);
      out.set(header(KIND_PLAIN));
      out.set(plainBody, 6);
      return out;
    }
    const backend = opts.backend ?? defaultBackend;
    const params: KeychainKdfParams = { ...DEFAULT_KEYCHAIN_KDF, ...opts.kdf };
    checkKdf(params, Number.POSITIVE_INFINITY, (msg) => {
      throw new CryptoError('BAD_ARGUMENT', msg);
    });
    const salt = backend.randomBytes(SALT_LENGTH);
    const derived = await backend.scrypt(passphraseBytes(opts.passphrase), salt, {
      ...params,
      dkLen: 32 + CHECK_LENGTH,
    });
    const nonce = backend.randomBytes(NONCE_LENGTH);
    const aad = header(KIND_ENCRYPTED);
    const ct = await aesGcmWithAad(backend, derived.subarray(0, 32), nonce, plainBody, aad, true);
    const body = encodeCbor(
      new Map<string, string | number | Uint8Array>([
        ['kdf', 'scrypt'],
        ['n', params.N],
        ['r', params.r],
        ['p', params.p],
        ['salt', salt],
        ['check', derived.slice(32)],
        ['nonce', nonce],
        ['ct', ct!],
      ]),
    );
    derived.fill(0);
    plainBody.fill(0);
    const out = new Uint8Array(6 + body.length);
    out.set(aad);
    out.set(body, 6);
    return out;
  }

  /**
   * Loads a keychain file. Throws `BAD_PASSPHRASE` (wrong or missing passphrase for an
   * encrypted file) or `CORRUPT_KEYCHAIN` (anything else wrong with the bytes); never returns
   * an empty keychain for a bad file.
   */
  static async fromBytes(bytes: Uint8Array, opts?: KeychainLoadOptions): Promise<Keychain> {
    if (bytes.length < 6 || !bytesEqual(bytes.subarray(0, 4), MAGIC)) {
      corrupt('not a peerwire keychain (missing "PWKC" header)');
    }
    if (bytes[4] !== VERSION) corrupt(`unsupported version ${bytes[4]}`);
    const kind = bytes[5];
    const body = bytes.subarray(6);
    if (kind === KIND_PLAIN) return Keychain.#fromPlainBody(body, opts);
    if (kind !== KIND_ENCRYPTED) corrupt(`unknown kind ${kind}`);
    const backend = opts?.backend ?? defaultBackend;
    let fields: Map<CborValue, CborValue>;
    let params: KeychainKdfParams;
    let salt: Uint8Array;
    let check: Uint8Array;
    let nonce: Uint8Array;
    let ct: Uint8Array;
    try {
      fields = cborMap(decodeCbor(body), 'keychain');
      if (cborText(fields.get('kdf'), 'keychain.kdf') !== 'scrypt')
        corrupt('unknown key derivation');
      params = {
        N: cborSafeUint(fields.get('n'), 'keychain.n'),
        r: cborSafeUint(fields.get('r'), 'keychain.r'),
        p: cborSafeUint(fields.get('p'), 'keychain.p'),
      };
      salt = cborBytes(fields.get('salt'), 'keychain.salt');
      check = cborBytes(fields.get('check'), 'keychain.check');
      nonce = cborBytes(fields.get('nonce'), 'keychain.nonce');
      ct = cborBytes(fields.get('ct'), 'keychain.ct');
    } catch (cause) {
      if (cause instanceof DecodeError) corrupt(cause.message, cause);
      throw cause;
    }
    if (check.length !== CHECK_LENGTH || nonce.length !== NONCE_LENGTH || salt.length === 0) {
      corrupt('bad salt, check or nonce length');
    }
    checkKdf(params, opts?.maxKdfMemory ?? MAX_KEYCHAIN_KDF_MEMORY, corrupt);
    if (opts?.passphrase === undefined) {
      throw new CryptoError('BAD_PASSPHRASE', 'this keychain is encrypted: pass its passphrase');
    }
    const derived = await backend.scrypt(passphraseBytes(opts.passphrase), salt, {
      ...params,
      dkLen: 32 + CHECK_LENGTH,
    });
    if (!bytesEqual(derived.subarray(32), check)) {
      derived.fill(0);
      throw new CryptoError('BAD_PASSPHRASE', 'wrong passphrase for this keychain');
    }
    const plain = await aesGcmWithAad(
      backend,
      derived.subarray(0, 32),
      nonce,
      ct,
      bytes.subarray(0, 6),
      false,
    );
    derived.fill(0);
    if (plain === null)
      corrupt('the passphrase is right but the encrypted keys fail authentication');
    try {
      return await Keychain.#fromPlainBody(plain, opts);
    } finally {
      plain.fill(0);
    }
  }

  /** A secp256k1 key read from a file: its scalar must be valid and match the public key stored with it. */
  #addStoredSecp256k1(secret: Uint8Array, publicKey: Uint8Array | undefined): void {
    checkSecp256k1(secret);
    if (publicKey !== undefined) {
      const expected = secp256k1.getPublicKey(secret, publicKey.length === 33);
      if (!bytesEqual(expected, publicKey)) {
        throw new CryptoError('BAD_KEY', 'secp256k1 key: the stored public key does not match');
      }
    }
    this.addSecp256k1Key(secret);
    secret.fill(0);
  }

  static async #fromPlainBody(body: Uint8Array, opts?: BackendOptions): Promise<Keychain> {
    let list: CborValue[];
    try {
      list = cborArray(decodeCbor(body), 'keychain keys');
    } catch (cause) {
      if (cause instanceof DecodeError) corrupt(cause.message, cause);
      throw cause;
    }
    const kc = new Keychain();
    for (let i = 0; i < list.length; i++) {
      try {
        const der = cborBytes(list[i], `keychain key ${i}`);
        const k1 = parseSecp256k1Pkcs8(der);
        if (k1 === undefined) kc.add(await importPrivateKey(der, opts));
        else kc.#addStoredSecp256k1(k1.secret, k1.publicKey);
      } catch (cause) {
        if (cause instanceof PeerwireError) corrupt(`key ${i}: ${cause.message}`, cause);
        throw cause;
      }
    }
    return kc;
  }
}

/**
 * AES-256-GCM bound to the file header. Backends only do GCM without additional data (all the
 * protocol needs), so the header is folded into the key instead: key' = SHA-256(key ‖ header).
 */
async function aesGcmWithAad(
  backend: NonNullable<BackendOptions['backend']>,
  key: Uint8Array,
  nonce: Uint8Array,
  data: Uint8Array,
  aad: Uint8Array,
  encrypt: boolean,
): Promise<Uint8Array | null> {
  const material = new Uint8Array(key.length + aad.length);
  material.set(key);
  material.set(aad, key.length);
  const bound = await backend.sha256(material);
  material.fill(0);
  const out = encrypt
    ? await backend.aesGcmEncrypt(bound, nonce, data)
    : await backend.aesGcmDecrypt(bound, nonce, data);
  bound.fill(0);
  return out;
}
