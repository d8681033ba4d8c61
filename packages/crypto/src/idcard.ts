/**
 * IDCard (cryptutil `idcard.go`, spot-crypto §7): an identity's main key (`Self`) with its
 * subkeys and their purposes, revoked keys, group memberships and metadata. An integer-key CBOR
 * map written in order 1..6 with no omitempty; a SubKey omits only `Expires` (key 3) when unset.
 *
 * A signed ID card (`sign` / `parseSigned`) is two bottles:
 *   outer = [{}, bstr(CBOR(inner)), 1, null, [[0, PKIX(signer), Sign(signer, CBOR(inner))]]]
 *   inner = [{"ct": "idcard"}, bstr(CBOR(IDCard)), 0, null, null]
 *
 * Key selection (`getKeys`, `testKeyPurpose`) skips expired subkeys (as Go) and, a peerwire
 * decision, subkeys whose key is listed in `revoke` (Go never reads `Revoke`).
 */
import { identityHash } from '@peerwire/address';
import {
  BoundedMap,
  bytesEqual,
  type CborEncodable,
  type CborLimits,
  type CborValue,
  cborArrayOrNull,
  cborBytesOrNull,
  cborFromTime,
  cborMap,
  cborText,
  cborTextMapOrNull,
  cborTime,
  decodeCbor,
  encodeCbor,
} from '@peerwire/wire';
import type { BackendOptions } from './backend.js';
import { Bottle, nowSeconds } from './bottle.js';
import { CryptoError } from './errors.js';
import type { Keychain } from './keychain.js';
import { byteKey, type PrivateKey, type PublicKey, publicKeyOf } from './keys.js';
import { Membership } from './membership.js';
import { type OpenOptions, openBottle } from './open.js';

/** A key listed in an ID card. Times are Unix seconds. */
export interface SubKey {
  /** PKIX. */
  key: Uint8Array;
  issued: number;
  /** Absent: never expires (CBOR key 3 omitted). */
  expires?: number;
  /** E.g. `["sign"]`, `["decrypt", "sign"]`; Go keeps them sorted. Known: decrypt, ephemeral, sign. */
  purposes: string[];
}

/** Options that carry the current time. */
export interface NowOptions {
  /** Unix seconds (default now). */
  readonly now?: number;
}

/** Options of `IDCard.parseSigned`. */
export interface ParseSignedOptions extends OpenOptions {
  /**
   * Use (and fill) the cache of already verified blobs (default true; see
   * `configureIdCardCache`). Calls with `maxLayers` or `limits` never use it.
   */
  readonly cache?: boolean;
}

function sortedPurposes(purposes: readonly string[]): string[] {
  return [...new Set(purposes)].sort();
}

function subKeyToCbor(s: SubKey): Map<number, CborEncodable> {
  const m = new Map<number, CborEncodable>([
    [1, s.key],
    [2, cborFromTime(s.issued)],
  ]);
  if (s.expires !== undefined) m.set(3, cborFromTime(s.expires));
  m.set(4, s.purposes.length === 0 ? null : s.purposes);
  return m;
}

function subKeyFromCbor(v: CborValue, what: string): SubKey {
  const m = cborMap(v, what);
  const sub: SubKey = {
    key: cborBytesOrNull(m.get(1), `${what}.Key`) ?? new Uint8Array(0),
    issued: cborTime(m.get(2), `${what}.Issued`) ?? 0,
    purposes: (cborArrayOrNull(m.get(4), `${what}.Purposes`) ?? []).map((p, i) =>
      cborText(p, `${what}.Purposes[${i}]`),
    ),
  };
  const expires = cborTime(m.get(3), `${what}.Expires`);
  if (expires !== null) sub.expires = expires;
  return sub;
}

function subKeys(v: CborValue, what: string): SubKey[] | null {
  const list = cborArrayOrNull(v, what);
  return list === null ? null : list.map((s, i) => subKeyFromCbor(s, `${what}[${i}]`));
}

/** Most verified signed-card blobs remembered by `parseSigned` (default). */
export const DEFAULT_IDCARD_CACHE_SIZE = 1024;
/** blob bytes → the IDCard CBOR they carry (already verified, Self signature present); LRU. */
const cardCache = new BoundedMap<string, Uint8Array>({ maxEntries: DEFAULT_IDCARD_CACHE_SIZE });

/**
 * Sets how many verified signed-card blobs `IDCard.parseSigned` remembers (0 disables). A hit
 * skips signature verification for bytes that already passed it: a relay sees the same card
 * on every handshake of an identity.
 */
export function configureIdCardCache(size: number): void {
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new CryptoError(
      'BAD_ARGUMENT',
      `ID card cache size must be a non-negative integer, got ${size}`,
    );
  }
  cardCache.maxEntries = size;
}

export class IDCard {
  /** PKIX of the main signing key; the identity hash is SHA-256 of these bytes. */
  self: Uint8Array;
  /** Unix seconds. */
  issued: number;
  subKeys: SubKey[];
  /** Revoked keys; `null` (Go nil) when none. */
  revoke: SubKey[] | null;
  /** Memberships, stored with `subject` = null; `null` when none. */
  groups: Membership[] | null;
  /** Free-form metadata (`name`, ...); `null` (Go nil map) is encoded differently from an empty map. */
  meta: Map<string, string> | null;

  constructor(init: {
    self: Uint8Array;
    issued: number;
    subKeys?: SubKey[];
    revoke?: SubKey[] | null;
    groups?: Membership[] | null;
    meta?: Map<string, string> | null;
  }) {
    this.self = init.self;
    this.issued = init.issued;
    this.subKeys = init.subKeys ?? [];
    this.revoke = init.revoke ?? null;
    this.groups = init.groups ?? null;
    this.meta = init.meta ?? null;
  }

  /** A new card for `self` (Go `NewIDCard`): one subkey, `self` itself, purpose `sign`. */
  static create(
    self: PublicKey,
    opts?: NowOptions & { meta?: Map<string, string> | null },
  ): IDCard {
    const pkix = publicKeyOf(self).pkix;
    const now = opts?.now ?? nowSeconds();
    return new IDCard({
      self: pkix,
      issued: now,
      subKeys: [{ key: pkix, issued: now, purposes: ['sign'] }],
      meta: opts?.meta ?? null,
    });
  }

  /** The `k.<hash>` address of this identity. */
  get address(): string {
    return `k.${this.hash}`;
  }

  /** The identity hash: base64url SHA-256 of `self`. */
  get hash(): string {
    return identityHash(this.self);
  }

  #find(pkix: Uint8Array): SubKey | undefined {
    return this.subKeys.find((s) => bytesEqual(s.key, pkix));
  }

  /**
   * Adds the keychain's keys with the purposes the reference assigns (Go `AddKeychain`): ECDSA
   * `sign` + `decrypt`, Ed25519 `sign`, X25519 `decrypt`. A key already listed gets the
   * purposes added (and sorted); a new key is appended with `issued` = now.
   */
  addKeychain(keychain: Keychain, opts?: NowOptions): this {
    const now = opts?.now ?? nowSeconds();
    for (const k of keychain.keys()) {
      const pur =
        k.type === 'Ed25519' ? ['sign'] : k.type === 'X25519' ? ['decrypt'] : ['sign', 'decrypt'];
      const known = this.#find(k.publicKey.pkix);
      if (known !== undefined) known.purposes = sortedPurposes([...known.purposes, ...pur]);
      else this.subKeys.push({ key: k.publicKey.pkix, issued: now, purposes: pur });
    }
    return this;
  }

  /**
   * Lists a key with exactly these purposes (sorted, as Go's `SetKeyPurposes`), adding it if
   * new. `expires` sets or (when `null`) clears the expiry of an existing key.
   */
  addKey(
    pkix: Uint8Array | PublicKey,
    purposes: readonly string[],
    opts?: { issued?: number; expires?: number | null },
  ): this {
    const key = publicKeyOf(pkix).pkix;
    let sub = this.#find(key);
    if (sub === undefined) {
      sub = { key, issued: opts?.issued ?? nowSeconds(), purposes: [] };
      this.subKeys.push(sub);
    } else if (opts?.issued !== undefined) {
      sub.issued = opts.issued;
    }
    sub.purposes = sortedPurposes(purposes);
    if (opts?.expires === null) delete sub.expires;
    else if (opts?.expires !== undefined) sub.expires = opts.expires;
    return this;
  }

  /**
   * Revokes a key: moves its subkey to `revoke` (or lists it there with no purposes if it was
   * not a subkey). Revoking `self` is refused (`BAD_ARGUMENT`).
   */
  revokeKey(pkix: Uint8Array | PublicKey, opts?: NowOptions): this {
    const key = pkix instanceof Uint8Array ? pkix : pkix.pkix;
    if (bytesEqual(key, this.self)) {
      throw new CryptoError(
        'BAD_ARGUMENT',
        'an ID card cannot revoke its own Self key; make a new identity',
      );
    }
    const at = this.subKeys.findIndex((s) => bytesEqual(s.key, key));
    const entry =
      at >= 0
        ? this.subKeys.splice(at, 1)[0]!
        : { key, issued: opts?.now ?? nowSeconds(), purposes: [] };
    if (this.revoke === null) this.revoke = [entry];
    else if (!this.revoke.some((s) => bytesEqual(s.key, key))) this.revoke.push(entry);
    return this;
  }

  /** Whether `pkix` is listed in `revoke`. */
  isRevoked(pkix: Uint8Array): boolean {
    return this.revoke?.some((s) => bytesEqual(s.key, pkix)) ?? false;
  }

  /** Subkeys with `purpose`, skipping expired (`expires <= now`) and revoked ones (Go `GetKeys`). */
  getKeys(purpose: string, now?: number): SubKey[] {
    const t = now ?? nowSeconds();
    return this.subKeys.filter(
      (s) =>
        s.purposes.includes(purpose) &&
        (s.expires === undefined || s.expires > t) &&
        !this.isRevoked(s.key),
    );
  }

  /** Whether `pkix` is a subkey with `purpose`, not expired at `now` and not revoked. */
  testKeyPurpose(pkix: Uint8Array, purpose: string, now?: number): boolean {
    const t = now ?? nowSeconds();
    const sub = this.#find(pkix);
    if (sub === undefined) return false;
    return (
      sub.purposes.includes(purpose) &&
      (sub.expires === undefined || sub.expires > t) &&
      !this.isRevoked(pkix)
    );
  }

  /**
   * Applies memberships sent by a relay (`grp` of a handshake request; Go `UpdateGroups`):
   * entries for another subject are skipped; each of ours must verify as signed by its group
   * key (else `BAD_MEMBERSHIP`, and nothing is changed); `"valid"` ones are added or replace the
   * one of the same group, others remove it. Returns whether the card changed (then re-sign it).
   */
  async updateGroups(
    list: readonly Uint8Array[],
    opts?: BackendOptions & { limits?: CborLimits },
  ): Promise<boolean> {
    const updates: Membership[] = [];
    for (let i = 0; i < list.length; i++) {
      const m = Membership.decode(list[i]!, opts?.limits);
      if (m.subject === null || !bytesEqual(m.subject, this.self)) continue;
      if (!(await m.verify(opts))) {
        throw new CryptoError(
          'BAD_MEMBERSHIP',
          `membership ${i} is not validly signed by its group key`,
        );
      }
      updates.push(m);
    }
    const before = this.groups === null ? null : encodeCbor(this.groups.map((g) => g.toCbor()));
    let groups = this.groups;
    for (const m of updates) {
      if (m.status !== 'valid') {
        if (groups !== null) groups = groups.filter((g) => !bytesEqual(g.key, m.key));
        continue;
      }
      m.subject = null;
      const at = groups?.findIndex((g) => bytesEqual(g.key, m.key)) ?? -1;
      if (groups === null) groups = [m];
      else if (at >= 0) groups = groups.map((g, j) => (j === at ? m : g));
      else groups = [...groups, m];
    }
    this.groups = groups;
    const after = groups === null ? null : encodeCbor(groups.map((g) => g.toCbor()));
    return before === null || after === null ? before !== after : !bytesEqual(before, after);
  }

  /**
   * Verifies the card's memberships (each with `subject` = this card's `self`, signed by its
   * group key) and returns those that verify.
   */
  async verifiedGroups(opts?: BackendOptions): Promise<Membership[]> {
    const out: Membership[] = [];
    for (const g of this.groups ?? []) {
      const m = g.clone();
      m.subject = this.self;
      if (await m.verify(opts)) out.push(g);
    }
    return out;
  }

  #toCbor(): Map<number, CborEncodable> {
    return new Map<number, CborEncodable>([
      [1, this.self],
      [2, cborFromTime(this.issued)],
      [3, this.subKeys.map(subKeyToCbor)],
      [4, this.revoke === null ? null : this.revoke.map(subKeyToCbor)],
      [5, this.groups === null ? null : this.groups.map((g) => g.toCbor())],
      [6, this.meta],
    ]);
  }

  /** The unsigned card's CBOR, as Go writes it. */
  encode(): Uint8Array {
    return encodeCbor(this.#toCbor());
  }

  /** Decodes an unsigned card (integer keys; unknown keys ignored, as in Go). */
  static decode(bytes: Uint8Array, limits?: CborLimits): IDCard {
    const m = cborMap(decodeCbor(bytes, limits), 'IDCard');
    const groups = cborArrayOrNull(m.get(5), 'IDCard.Groups');
    return new IDCard({
      self: cborBytesOrNull(m.get(1), 'IDCard.Self') ?? new Uint8Array(0),
      issued: cborTime(m.get(2), 'IDCard.Issued') ?? 0,
      subKeys: subKeys(m.get(3), 'IDCard.SubKeys') ?? [],
      revoke: subKeys(m.get(4), 'IDCard.Revoke'),
      groups:
        groups === null
          ? null
          : groups.map((g, i) => Membership.fromCbor(g, `IDCard.Groups[${i}]`)),
      meta: cborTextMapOrNull(m.get(6), 'IDCard.Meta'),
    });
  }

  /**
   * The signed blob (Go `IDCard.Sign`): the card in a `{"ct": "idcard"}` bottle, bottled up and
   * signed by `key` (normally the `self` key).
   */
  async sign(key: PrivateKey, opts?: BackendOptions): Promise<Uint8Array> {
    const inner = Bottle.fromPayload(this.encode());
    inner.header!.set('ct', 'idcard');
    inner.bottleUp();
    await inner.sign(key, opts);
    return inner.encode();
  }

  /**
   * Parses and verifies a signed card blob (Go `UnmarshalBinary`): every signature must verify
   * (`BAD_SIGNATURE`), the payload must be a card, and one signature must be by `self`
   * (`NOT_SIGNED_BY_SELF`). Expiry and `ct` are not checked, as in Go.
   */
  static async parseSigned(blob: Uint8Array, opts?: ParseSignedOptions): Promise<IDCard> {
    // Blobs verified under custom limits are not shared with the default path.
    const useCache =
      (opts?.cache ?? true) &&
      cardCache.maxEntries > 0 &&
      opts?.maxLayers === undefined &&
      opts?.limits === undefined;
    const id = useCache ? byteKey(blob) : '';
    if (useCache) {
      const hit = cardCache.get(id);
      if (hit !== undefined) return IDCard.decode(hit, opts?.limits);
    }
    const opened = await openBottle(blob, undefined, opts);
    const card = IDCard.decode(opened.payload, opts?.limits);
    if (!opened.signers.some((s) => bytesEqual(s.pkix, card.self))) {
      throw new CryptoError('NOT_SIGNED_BY_SELF', 'ID card is not signed by its own Self key');
    }
    if (useCache) cardCache.set(id, opened.payload.slice());
    return card;
  }
}
