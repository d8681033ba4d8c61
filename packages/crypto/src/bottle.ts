/**
 * Bottle (cryptutil `bottle.go`, spot-crypto §4–§5): a signed and/or encrypted message
 * container, a CBOR array of exactly five elements `[header, message, format, recipients,
 * signatures]`.
 *
 * Decoding is strict (exact array lengths, no trailing bytes, format 0..3 only) and keeps the
 * raw `message` bytes, which are what signatures cover: a decoded Bottle is never re-encoded for
 * verification.
 */
import {
  type CborEncodable,
  type CborLimits,
  type CborValue,
  cborArray,
  cborArrayOrNull,
  cborBytesOrNull,
  cborMapOrNull,
  cborText,
  DecodeError,
  decodeCbor,
  encodeCbor,
  fromBase64Url,
  wallClock,
} from '@peerwire/wire';
import type { BackendOptions } from './backend.js';
import { defaultBackend } from './backends/index.js';
import { CryptoError } from './errors.js';
import { wrapKey } from './key-wrap.js';
import {
  type PeerwirePublicKey,
  type PrivateKey,
  type PublicKey,
  privateState,
  publicKeyOf,
} from './keys.js';

/** The `format` values of a Bottle. Anything from 4 up is refused (`BAD_FORMAT`). */
export const BottleFormat = {
  /** `message` is the payload. */
  ClearText: 0,
  /** `message` is the CBOR encoding of another Bottle. */
  CborBottle: 1,
  /** `message` is `nonce(12) ‖ AES-256-GCM(CBOR(inner Bottle)) ‖ tag(16)`. */
  Aes: 2,
  /** `message` is the JSON encoding of another Bottle (not used by Spot). */
  JsonBottle: 3,
} as const;

export type BottleFormat = (typeof BottleFormat)[keyof typeof BottleFormat];

/** One recipient of an encrypted layer: `[type, key, data]` on the wire. */
export interface MessageRecipient {
  /** Always 0. */
  type: number;
  /** The recipient's PKIX public key. */
  key: Uint8Array;
  /** The message key wrapped for that recipient (spot-crypto §6). */
  data: Uint8Array;
}

/** One signature of a layer: `[type, key, sig]` on the wire. */
export interface MessageSignature {
  /** Always 0. */
  type: number;
  /** The signer's PKIX public key. */
  key: Uint8Array;
  /** The signature over this layer's `message` bytes. */
  data: Uint8Array;
}

/** Anything that lists keys by purpose (an `IDCard`). */
export interface KeyHolder {
  getKeys(purpose: string, now?: number): readonly { readonly key: Uint8Array }[];
}

/** Options of `Bottle.encrypt`. */
export interface EncryptOptions extends BackendOptions {
  /** Unix seconds for subkey expiry (default: now). */
  readonly now?: number;
}

/** Unix seconds now (wire's `wallClock`): the default where a caller passes no `now`. */
export function nowSeconds(): number {
  return Math.floor(wallClock.now() / 1000);
}

const MESSAGE_KEY_LENGTH = 32;
const NONCE_LENGTH = 12;

export class Bottle {
  /** Metadata (`ct`, …); `null` is Go's nil map (encoded `f6`), distinct from an empty map (`a0`). */
  header: Map<string, CborValue> | null;
  /** Payload, nested bottle or ciphertext, depending on `format`. */
  message: Uint8Array;
  format: number;
  recipients: MessageRecipient[] | null;
  signatures: MessageSignature[] | null;

  constructor(
    header: Map<string, CborValue> | null,
    message: Uint8Array,
    format: number,
    recipients: MessageRecipient[] | null = null,
    signatures: MessageSignature[] | null = null,
  ) {
    this.header = header;
    this.message = message;
    this.format = format;
    this.recipients = recipients;
    this.signatures = signatures;
  }

  /** A clean clear-text bottle holding `payload` (Go `NewBottle`): `[{}, payload, 0, null, null]`. */
  static fromPayload(payload: Uint8Array): Bottle {
    return new Bottle(new Map(), payload, BottleFormat.ClearText);
  }

  /**
   * Decodes one Bottle strictly: exactly five elements, `message` a byte string, format 0..3
   * (else `CryptoError('BAD_FORMAT')`), recipient and signature entries of exactly three
   * elements, no trailing bytes. CBOR problems are wire's `DecodeError`.
   */
  static decode(bytes: Uint8Array, limits?: CborLimits): Bottle {
    return bottleFromCbor(decodeCbor(bytes, limits));
  }

  /** The CBOR encoding, as Go's `cbor.Marshal(bottle)` writes it. */
  encode(): Uint8Array {
    return encodeCbor(this.toCbor());
  }

  private toCbor(): CborEncodable {
    checkFormat(this.format);
    return [
      this.header as ReadonlyMap<string, CborEncodable> | null,
      this.message,
      this.format,
      this.recipients === null ? null : this.recipients.map((r) => [r.type, r.key, r.data]),
      this.signatures === null ? null : this.signatures.map((s) => [s.type, s.key, s.data]),
    ];
  }

  /** Whether this bottle only wraps another one, unsigned (Go `IsCleanBottle`). */
  isClean(): boolean {
    return this.format === BottleFormat.CborBottle && (this.signatures?.length ?? 0) === 0;
  }

  /** Wraps the whole bottle into a new layer: `[{}, CBOR(this), 1, null, null]` (Go `BottleUp`). */
  bottleUp(): this {
    const inner = this.encode();
    this.header = new Map();
    this.message = inner;
    this.format = BottleFormat.CborBottle;
    this.recipients = null;
    this.signatures = null;
    return this;
  }

  /**
   * Adds a signature over this layer's `message` (Go `Sign`). A bottle with a non-empty header
   * is bottled up first, so that the header ends up inside the signed bytes.
   */
  async sign(key: PrivateKey, opts?: BackendOptions): Promise<this> {
    const backend = opts?.backend ?? defaultBackend;
    const state = privateState(key);
    if (state.type === 'X25519') {
      throw new CryptoError(
        'UNSUPPORTED_KEY',
        'an X25519 key cannot sign; sign with an ECDSA or Ed25519 key',
      );
    }
    if (this.header !== null && this.header.size > 0) this.bottleUp();
    const data = await backend.sign(state, this.message);
    const entry: MessageSignature = { type: 0, key: state.publicKey.pkix, data };
    if (this.signatures === null) this.signatures = [entry];
    else this.signatures.push(entry);
    return this;
  }

  /**
   * Encrypts this bottle to every recipient (Go `Encrypt`): bottles up first unless already
   * clean, then AES-256-GCM with a fresh key and nonce, wrapped for each key. An `IDCard`
   * stands for its non-expired, non-revoked `decrypt` subkeys. No usable recipient →
   * `NO_RECIPIENTS`. On failure the bottle is left unchanged.
   */
  async encrypt(
    recipients: readonly (PublicKey | Uint8Array | KeyHolder)[],
    opts?: EncryptOptions,
  ): Promise<this> {
    const backend = opts?.backend ?? defaultBackend;
    const keys = recipientKeys(recipients, opts?.now ?? nowSeconds());
    if (keys.length === 0) {
      throw new CryptoError(
        'NO_RECIPIENTS',
        'cannot encrypt without at least one valid recipient key (an ID card needs a non-expired decrypt subkey)',
      );
    }
    const clean = this.isClean();
    const plain = clean ? this.message : this.encode();
    const random = backend.randomBytes(MESSAGE_KEY_LENGTH + NONCE_LENGTH);
    const messageKey = random.subarray(0, MESSAGE_KEY_LENGTH);
    const nonce = random.subarray(MESSAGE_KEY_LENGTH);
    const sealed = await backend.aesGcmEncrypt(messageKey, nonce, plain);
    const entries = await Promise.all(
      keys.map(async (k) => ({
        type: 0,
        key: k.pkix,
        data: await wrapKey(messageKey, k, backend),
      })),
    );
    messageKey.fill(0);
    const message = new Uint8Array(NONCE_LENGTH + sealed.length);
    message.set(nonce);
    message.set(sealed, NONCE_LENGTH);
    if (!clean) this.header = new Map(); // the BottleUp
    this.message = message;
    this.format = BottleFormat.Aes;
    this.recipients = entries;
    if (!clean) this.signatures = null;
    return this;
  }
}

function recipientKeys(
  recipients: readonly (PublicKey | Uint8Array | KeyHolder)[],
  now: number,
): PeerwirePublicKey[] {
  const out: PeerwirePublicKey[] = [];
  for (const r of recipients) {
    if (typeof (r as KeyHolder).getKeys === 'function') {
      for (const sub of (r as KeyHolder).getKeys('decrypt', now)) {
        try {
          out.push(publicKeyOf(sub.key));
        } catch (error) {
          // Go's GetKeys skips subkeys it cannot parse.
          if (!(error instanceof CryptoError)) throw error;
        }
      }
    } else {
      out.push(publicKeyOf(r as PublicKey | Uint8Array));
    }
  }
  return out;
}

function checkFormat(format: number): void {
  if (!Number.isInteger(format) || format < 0 || format > 3) {
    throw new CryptoError(
      'BAD_FORMAT',
      `Bottle format ${format} is not one of 0 (clear text), 1 (CBOR bottle), 2 (AES), 3 (JSON bottle)`,
    );
  }
}

function formatOf(v: CborValue): number {
  if (typeof v === 'number' && Number.isInteger(v)) {
    checkFormat(v);
    return v;
  }
  if (typeof v === 'bigint') {
    throw new CryptoError('BAD_FORMAT', `Bottle format ${v} is not one of 0, 1, 2, 3`);
  }
  throw new DecodeError('BAD_SHAPE', 'Bottle.fmt: expected an unsigned integer');
}

function entryType(v: CborValue, what: string): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'bigint') return Number(v);
  throw new DecodeError('BAD_SHAPE', `${what}: expected an integer`);
}

function entries(
  v: CborValue,
  what: string,
): { type: number; key: Uint8Array; data: Uint8Array }[] | null {
  const list = cborArrayOrNull(v, what);
  if (list === null) return null;
  return list.map((e, i) => {
    const f = cborArray(e, `${what}[${i}]`, 3);
    return {
      type: entryType(f[0], `${what}[${i}].typ`),
      key: cborBytesOrNull(f[1], `${what}[${i}].key`) ?? new Uint8Array(0),
      data: cborBytesOrNull(f[2], `${what}[${i}].data`) ?? new Uint8Array(0),
    };
  });
}

function headerOf(v: CborValue): Map<string, CborValue> | null {
  const m = cborMapOrNull(v, 'Bottle.hdr');
  if (m === null) return null;
  const out = new Map<string, CborValue>();
  for (const [k, val] of m) out.set(cborText(k, 'Bottle.hdr key'), val);
  return out;
}

function bottleFromCbor(v: CborValue): Bottle {
  const f = cborArray(v, 'Bottle', 5);
  return new Bottle(
    headerOf(f[0]),
    cborBytesOrNull(f[1], 'Bottle.msg') ?? new Uint8Array(0),
    formatOf(f[2]),
    entries(f[3], 'Bottle.dst'),
    entries(f[4], 'Bottle.sig'),
  );
}

// ---------------------------------------------------------------------------------------------
// JSON bottles (format 3; Go encoding/json: keys hdr, msg, fmt, dst, sig / typ, key, dat;
// byte strings as standard base64 with padding).

function jsonBytes(v: unknown, what: string): Uint8Array {
  if (v === null || v === undefined) return new Uint8Array(0);
  if (typeof v !== 'string' || v.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) {
    throw new CryptoError('BAD_JSON', `${what}: expected standard base64 with padding`);
  }
  try {
    return fromBase64Url(v.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_'));
  } catch (cause) {
    throw new CryptoError('BAD_JSON', `${what}: invalid base64`, { cause });
  }
}

function jsonValue(v: unknown, depth: number): CborValue {
  if (depth > 32) throw new CryptoError('BAD_JSON', 'JSON bottle header nested too deeply');
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
    return v;
  if (Array.isArray(v)) return v.map((x) => jsonValue(x, depth + 1));
  const m = new Map<CborValue, CborValue>();
  for (const [k, x] of Object.entries(v as object)) m.set(k, jsonValue(x, depth + 1));
  return m;
}

function jsonEntries(v: unknown, what: string): MessageRecipient[] | null {
  if (v === null || v === undefined) return null;
  if (!Array.isArray(v)) throw new CryptoError('BAD_JSON', `${what}: expected an array`);
  return v.map((e: unknown, i) => {
    if (typeof e !== 'object' || e === null || Array.isArray(e)) {
      throw new CryptoError('BAD_JSON', `${what}[${i}]: expected an object`);
    }
    const o = e as Record<string, unknown>;
    const typ = o.typ ?? 0;
    if (typeof typ !== 'number' || !Number.isInteger(typ)) {
      throw new CryptoError('BAD_JSON', `${what}[${i}].typ: expected an integer`);
    }
    return {
      type: typ,
      key: jsonBytes(o.key, `${what}[${i}].key`),
      data: jsonBytes(o.dat, `${what}[${i}].dat`),
    };
  });
}

/** Decodes a JSON Bottle (format 3 content). Throws `CryptoError('BAD_JSON')` or `BAD_FORMAT`. */
export function bottleFromJson(bytes: Uint8Array): Bottle {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (cause) {
    throw new CryptoError('BAD_JSON', 'JSON bottle is not valid UTF-8 JSON', { cause });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CryptoError('BAD_JSON', 'JSON bottle must be an object');
  }
  const o = parsed as Record<string, unknown>;
  const fmt = o.fmt ?? 0;
  if (typeof fmt !== 'number')
    throw new CryptoError('BAD_JSON', 'JSON bottle: fmt must be a number');
  checkFormat(fmt);
  let header: Map<string, CborValue> | null = null;
  if (o.hdr !== undefined && o.hdr !== null) {
    if (typeof o.hdr !== 'object' || Array.isArray(o.hdr)) {
      throw new CryptoError('BAD_JSON', 'JSON bottle: hdr must be an object');
    }
    header = jsonValue(o.hdr, 0) as Map<string, CborValue>;
  }
  return new Bottle(
    header,
    jsonBytes(o.msg, 'JSON bottle msg'),
    fmt,
    jsonEntries(o.dst, 'JSON bottle dst'),
    jsonEntries(o.sig, 'JSON bottle sig'),
  );
}
