/**
 * Membership (cryptutil `membership.go`, spot-crypto §7.3): a group key's signed statement that
 * a subject (an identity's `Self`) belongs to the group. An integer-key CBOR map with all seven
 * keys, in order: 1 Subject, 2 Key, 3 Status, 4 Issued, 5 Info, 6 SignKey, 7 Signature.
 *
 * The signature covers the **canonical** CBOR of the membership with Signature = null (the one
 * place where peerwire re-encodes before verifying: Go writes Info in random map order).
 */
import {
  bytesEqual,
  type CborEncodable,
  type CborLimits,
  type CborValue,
  cborBytes,
  cborBytesOrNull,
  cborFromTime,
  cborMap,
  cborText,
  cborTextMapOrNull,
  cborTime,
  decodeCbor,
  encodeCanonicalCbor,
  encodeCbor,
} from '@peerwire/wire';
import type { BackendOptions } from './backend.js';
import { defaultBackend } from './backends/index.js';
import { nowSeconds } from './bottle.js';
import { CryptoError } from './errors.js';
import { type PrivateKey, type PublicKey, privateState, publicKeyOf, verifyWith } from './keys.js';

/** Something that can name a subject: an ID card (its `self`), a public key, or PKIX bytes. */
export type MembershipSubject = { readonly self: Uint8Array } | PublicKey | Uint8Array;

/** A group key's ID card, for `Membership.verify` with a separate signing key. */
export interface GroupCard {
  readonly self: Uint8Array;
  testKeyPurpose(pkix: Uint8Array, purpose: string, now?: number): boolean;
}

/** Options of `Membership.create`. */
export interface MembershipOptions {
  /** Issued, Unix seconds (default now). */
  readonly now?: number;
  /** `"valid"` (default) or `"suspended"`. */
  readonly status?: string;
  /** Free-form attributes (`role`, `name`, ...). */
  readonly info?: ReadonlyMap<string, string>;
}

/** Options of `Membership.verify`. */
export interface MembershipVerifyOptions extends BackendOptions {
  /**
   * The group's ID card. Without it (Go `Verify(nil)`), the membership must be signed by the
   * group key itself (`signKey == key`). With it, `key` must be the card's `Self` and `signKey`
   * a `sign` key of the card.
   */
  readonly group?: GroupCard;
  /** Unix seconds, for the group card's key expiry (default now). */
  readonly now?: number;
}

function subjectBytes(subject: MembershipSubject | null): Uint8Array | null {
  if (subject === null) return null;
  if (subject instanceof Uint8Array) return subject;
  if ('self' in subject) return subject.self;
  return subject.pkix;
}

export class Membership {
  /** The member's `Self` PKIX; `null` inside an ID card (the card's `Self` is meant). */
  subject: Uint8Array | null;
  /** The group's PKIX. */
  key: Uint8Array;
  /** `"valid"` or `"suspended"`. */
  status: string;
  /** Unix seconds. */
  issued: number;
  info: Map<string, string>;
  /** PKIX of the key that signed (empty before signing). */
  signKey: Uint8Array;
  signature: Uint8Array | null;
  /** Info was CBOR null (Go nil map) on the wire: keep encoding it as null while it stays empty. */
  #infoWasNull = false;

  constructor(init: {
    subject: Uint8Array | null;
    key: Uint8Array;
    status: string;
    issued: number;
    info?: Map<string, string> | null;
    signKey?: Uint8Array;
    signature?: Uint8Array | null;
  }) {
    this.subject = init.subject;
    this.key = init.key;
    this.status = init.status;
    this.issued = init.issued;
    this.info = init.info ?? new Map();
    this.#infoWasNull = init.info === null;
    this.signKey = init.signKey ?? new Uint8Array(0);
    this.signature = init.signature ?? null;
  }

  /** A new, unsigned membership of `subject` in the group of `groupKey` (Go `NewMembership`). */
  static create(
    subject: MembershipSubject,
    groupKey: PublicKey,
    opts?: MembershipOptions,
  ): Membership {
    return new Membership({
      subject: subjectBytes(subject),
      key: publicKeyOf(groupKey).pkix,
      status: opts?.status ?? 'valid',
      issued: opts?.now ?? nowSeconds(),
      info: new Map(opts?.info ?? []),
    });
  }

  #fields(signature: Uint8Array | null): Map<number, CborEncodable> {
    return new Map<number, CborEncodable>([
      [1, this.subject],
      [2, this.key],
      [3, this.status],
      [4, cborFromTime(this.issued)],
      [5, this.#infoWasNull && this.info.size === 0 ? null : this.info],
      [6, this.signKey.length === 0 ? null : this.signKey],
      [7, signature],
    ]);
  }

  /** The bytes the signature covers: canonical CBOR with Signature = null (Go `SignatureBytes`). */
  signatureBytes(): Uint8Array {
    return encodeCanonicalCbor(this.#fields(null));
  }

  /** Signs with the group key: sets `signKey` and `signature`. Needs a subject (`BAD_MEMBERSHIP`). */
  async sign(groupKey: PrivateKey, opts?: BackendOptions): Promise<this> {
    if (this.subject === null) {
      throw new CryptoError(
        'BAD_MEMBERSHIP',
        'set the subject (the member card Self) before signing a membership',
      );
    }
    const state = privateState(groupKey);
    if (state.type === 'X25519') {
      throw new CryptoError('UNSUPPORTED_KEY', 'an X25519 key cannot sign a membership');
    }
    this.signKey = state.publicKey.pkix;
    const backend = opts?.backend ?? defaultBackend;
    this.signature = await backend.sign(state, this.signatureBytes());
    return this;
  }

  /**
   * Whether the signature is valid (Go `Verify`). False when the subject is unset, the signing
   * key is not the group key (or not a `sign` key of the given group card), or the signature
   * does not verify.
   */
  async verify(opts?: MembershipVerifyOptions): Promise<boolean> {
    if (this.subject === null || this.signature === null) return false;
    if (opts?.group === undefined) {
      if (!bytesEqual(this.signKey, this.key)) return false;
    } else {
      if (!bytesEqual(this.key, opts.group.self)) return false;
      if (!opts.group.testKeyPurpose(this.signKey, 'sign', opts.now)) return false;
    }
    let pub: ReturnType<typeof publicKeyOf>;
    try {
      pub = publicKeyOf(this.signKey);
    } catch (error) {
      if (error instanceof CryptoError) return false;
      throw error;
    }
    if (pub.type === 'X25519') return false;
    return verifyWith(pub, this.signatureBytes(), this.signature, opts?.backend ?? defaultBackend);
  }

  /** The CBOR as Go writes it (keys 1..7 in order, Info in insertion order). */
  encode(): Uint8Array {
    return encodeCbor(this.toCbor());
  }

  /** The CBOR map (for embedding in an ID card). */
  toCbor(): Map<number, CborEncodable> {
    return this.#fields(this.signature);
  }

  /** Decodes one membership (integer keys; unknown keys ignored, as in Go). */
  static decode(bytes: Uint8Array, limits?: CborLimits): Membership {
    return Membership.fromCbor(decodeCbor(bytes, limits), 'Membership');
  }

  /** Builds a membership from a decoded CBOR map. */
  static fromCbor(value: CborValue, what = 'Membership'): Membership {
    const m = cborMap(value, what);
    return new Membership({
      subject: cborBytesOrNull(m.get(1), `${what}.Subject`),
      key: cborBytesOrNull(m.get(2), `${what}.Key`) ?? new Uint8Array(0),
      status: m.has(3) ? cborText(m.get(3), `${what}.Status`) : '',
      issued: cborTime(m.get(4), `${what}.Issued`) ?? 0,
      info: cborTextMapOrNull(m.get(5), `${what}.Info`),
      signKey: cborBytesOrNull(m.get(6), `${what}.SignKey`) ?? new Uint8Array(0),
      signature:
        m.get(7) === null || m.get(7) === undefined
          ? null
          : cborBytes(m.get(7), `${what}.Signature`),
    });
  }

  /** A deep copy. */
  clone(): Membership {
    const c = Membership.fromCbor(decodeCbor(this.encode()));
    return c;
  }
}
