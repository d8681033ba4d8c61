/**
 * The relay's on-disk store: LevelDB (classic-level) in the data directory. Cards, blobs and
 * memberships survive restarts. Blob usage per identity is kept beside the blobs and updated in
 * the same atomic batch. Quotas cannot be raced because the relay core emits the blob-write
 * tickets of one identity one at a time (quota check and write together), whatever the store.
 *
 * A damaged store is never replaced by an empty one: a directory holding files but no CURRENT,
 * or one LevelDB reports corrupt, stops the open with `StoreDamagedError` and every file is left
 * in place (repair: `repair-store.ts`). Every value carries a checksum (`checked-value.ts`); a
 * record whose bytes changed on disk is reported through `onCorruption` and never served.
 */
import { existsSync, readdirSync } from 'node:fs';
import type { BlobUsage, RelayStore, StoredCard, StoredMembership } from '@peerwire/relay';
import { toHex } from '@peerwire/wire';
import { ClassicLevel } from 'classic-level';
import { openValue, sealValue } from './checked-value.js';
import { ensurePrivateDir, tightenTree } from './private-dir.js';
import { StoreCorruptRecordError, StoreDamagedError, StoreLockedError } from './store-errors.js';

type Db = ClassicLevel<string, Uint8Array>;

/** The key of the store's layout version; "1" = every value checked (`checked-value.ts`). */
export const FORMAT_KEY = 'sys:format';
const FORMAT = '1';

export interface LevelStoreOptions {
  /** Called once per corrupt record read (the daemon logs it at error level). */
  readonly onCorruption?: (key: string, error: unknown) => void;
}

type OpenFailure = Error & { code?: string; cause?: { code?: string; message?: string } };

/**
 * Whether `dir` is a fresh (missing or empty) LevelDB directory. Files without a CURRENT mean a
 * damaged store, never a new one: `StoreDamagedError` (LevelDB would start empty and delete the
 * old table files).
 */
export function checkLevelDir(dir: string): boolean {
  const files = existsSync(dir) ? readdirSync(dir) : [];
  if (files.length === 0) return true;
  if (!files.includes('CURRENT')) {
    throw new StoreDamagedError(
      dir,
      `its CURRENT file is missing (${files.length} other files are there: ${files.slice(0, 6).join(', ')}${files.length > 6 ? ', …' : ''})`,
    );
  }
  return false;
}

/** Opens the LevelDB in `dir`, turning LevelDB's open failures into the store's typed errors. */
export async function openLevel(dir: string, createIfMissing: boolean): Promise<Db> {
  const db: Db = new ClassicLevel<string, Uint8Array>(dir, {
    keyEncoding: 'utf8',
    valueEncoding: 'view',
    createIfMissing,
  });
  try {
    await db.open();
  } catch (error) {
    const e = error as OpenFailure;
    const cause = e.cause?.code ?? e.code;
    if (cause === 'LEVEL_LOCKED') throw new StoreLockedError(dir, { cause: error });
    throw new StoreDamagedError(dir, e.cause?.message ?? e.message, { cause: error });
  }
  return db;
}

const usageKey = (owner: string) => `usage:${owner}`;
const blobKey = (owner: string, key: Uint8Array) => `blob:${owner}:${toHex(key)}`;

function encodeUsage(u: BlobUsage): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(u));
}

function decodeUsage(bytes: Uint8Array | undefined): BlobUsage {
  if (!bytes) return { count: 0, bytes: 0 };
  const v = JSON.parse(new TextDecoder().decode(bytes)) as BlobUsage;
  return { count: v.count, bytes: v.bytes };
}

export class LevelRelayStore implements RelayStore {
  readonly #db: Db;
  readonly #dir: string;
  readonly #onCorruption: (key: string, error: unknown) => void;
  readonly #locks = new Map<string, Promise<unknown>>();

  private constructor(db: Db, dir: string, options: LevelStoreOptions) {
    this.#db = db;
    this.#dir = dir;
    this.#onCorruption = options.onCorruption ?? (() => {});
  }

  /**
   * Opens the store in `dir`, creating it only when the directory is missing or empty. Throws
   * `StoreDamagedError` (files kept) or `StoreLockedError`.
   */
  static async open(dir: string, options: LevelStoreOptions = {}): Promise<LevelRelayStore> {
    ensurePrivateDir(dir);
    const fresh = checkLevelDir(dir);
    const db = await openLevel(dir, fresh);
    const store = new LevelRelayStore(db, dir, options);
    try {
      await store.#upgradeFormat();
    } catch (error) {
      await db.close();
      if ((error as { code?: string }).code === 'LEVEL_CORRUPTION')
        throw new StoreDamagedError(dir, (error as Error).message, { cause: error });
      throw error;
    }
    tightenTree(dir);
    return store;
  }

  /** Seals the values of a store written before checksums (format 1) existed. */
  async #upgradeFormat(): Promise<void> {
    const raw = await this.#db.get(FORMAT_KEY);
    if (raw !== undefined) {
      const format = openValue(FORMAT_KEY, raw);
      if (!format) throw new StoreDamagedError(this.#dir, `its ${FORMAT_KEY} record is corrupt`);
      return;
    }
    const ops: { type: 'put'; key: string; value: Uint8Array }[] = [];
    for await (const [key, value] of this.#db.iterator()) {
      ops.push({ type: 'put', key, value: sealValue(key, value) });
    }
    ops.push({ type: 'put', key: FORMAT_KEY, value: this.#seal(FORMAT_KEY, FORMAT) });
    await this.#db.batch(ops);
  }

  #seal(key: string, value: Uint8Array | string): Uint8Array {
    return sealValue(key, typeof value === 'string' ? new TextEncoder().encode(value) : value);
  }

  #corrupt(key: string, cause?: unknown): never {
    const error = new StoreCorruptRecordError(key);
    if (cause !== undefined) error.cause = cause;
    this.#onCorruption(key, error);
    throw error;
  }

  #open(key: string, sealed: Uint8Array | undefined): Uint8Array | undefined {
    if (sealed === undefined) return undefined;
    return openValue(key, sealed) ?? this.#corrupt(key);
  }

  /** Reads and checks one value; LevelDB's own corruption errors are reported the same way. */
  async #get(key: string): Promise<Uint8Array | undefined> {
    let sealed: Uint8Array | undefined;
    try {
      sealed = await this.#db.get(key);
    } catch (error) {
      if ((error as { code?: string }).code === 'LEVEL_CORRUPTION') this.#corrupt(key, error);
      throw error;
    }
    return this.#open(key, sealed);
  }

  async #getMany(keys: string[]): Promise<(Uint8Array | undefined)[]> {
    return Promise.all(keys.map((k) => this.#get(k)));
  }

  async #put(key: string, value: Uint8Array): Promise<void> {
    await this.#db.put(key, this.#seal(key, value));
  }

  /** A small value kept beside the data (e.g. the generated server code). */
  async getMeta(name: string): Promise<string | undefined> {
    const v = await this.#get(`meta:${name}`);
    return v === undefined ? undefined : new TextDecoder().decode(v);
  }

  async setMeta(name: string, value: string): Promise<void> {
    await this.#put(`meta:${name}`, new TextEncoder().encode(value));
  }

  #serial<T>(owner: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(owner) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.catch(() => {});
    this.#locks.set(owner, tail);
    void tail.then(() => {
      if (this.#locks.get(owner) === tail) this.#locks.delete(owner);
    });
    return next;
  }

  async getCard(hash: string): Promise<StoredCard | undefined> {
    const v = await this.#get(`card:${hash}`);
    if (!v || v.length < 8) return undefined;
    const view = new DataView(v.buffer, v.byteOffset, v.length);
    return { issued: Number(view.getBigUint64(0, false)), blob: v.slice(8) };
  }

  async putCard(hash: string, card: StoredCard): Promise<void> {
    const v = new Uint8Array(8 + card.blob.length);
    new DataView(v.buffer).setBigUint64(0, BigInt(Math.max(0, card.issued)), false);
    v.set(card.blob, 8);
    await this.#put(`card:${hash}`, v);
  }

  async getBlob(owner: string, key: Uint8Array): Promise<Uint8Array | undefined> {
    return (await this.#get(blobKey(owner, key)))?.slice();
  }

  putBlob(owner: string, key: Uint8Array, value: Uint8Array): Promise<void> {
    return this.#serial(owner, async () => {
      const [old, usageBytes] = await this.#getMany([blobKey(owner, key), usageKey(owner)]);
      const usage = decodeUsage(usageBytes);
      const next = {
        count: usage.count + (old ? 0 : 1),
        bytes: usage.bytes - (old?.length ?? 0) + value.length,
      };
      await this.#db.batch([
        { type: 'put', key: blobKey(owner, key), value: this.#seal(blobKey(owner, key), value) },
        {
          type: 'put',
          key: usageKey(owner),
          value: this.#seal(usageKey(owner), encodeUsage(next)),
        },
      ]);
    });
  }

  deleteBlob(owner: string, key: Uint8Array): Promise<boolean> {
    return this.#serial(owner, async () => {
      const [old, usageBytes] = await this.#getMany([blobKey(owner, key), usageKey(owner)]);
      if (!old) return false;
      const usage = decodeUsage(usageBytes);
      await this.#db.batch([
        { type: 'del', key: blobKey(owner, key) },
        {
          type: 'put',
          key: usageKey(owner),
          value: this.#seal(
            usageKey(owner),
            encodeUsage({ count: usage.count - 1, bytes: usage.bytes - old.length }),
          ),
        },
      ]);
      return true;
    });
  }

  async blobUsage(owner: string): Promise<BlobUsage> {
    return decodeUsage(await this.#get(usageKey(owner)));
  }

  async putMembership(m: StoredMembership): Promise<void> {
    const meta = new TextEncoder().encode(
      JSON.stringify({ group: m.group, subject: m.subject, issued: m.issued, status: m.status }),
    );
    const v = new Uint8Array(4 + meta.length + m.bytes.length);
    new DataView(v.buffer).setUint32(0, meta.length, false);
    v.set(meta, 4);
    v.set(m.bytes, 4 + meta.length);
    await this.#put(`member:${m.group}:${m.subject}`, v);
  }

  async listMemberships(): Promise<StoredMembership[]> {
    const out: StoredMembership[] = [];
    for await (const [key, sealed] of this.#db.iterator({ gte: 'member:', lt: 'member;' })) {
      const v = this.#open(key, sealed);
      if (!v) continue;
      const n = new DataView(v.buffer, v.byteOffset, v.length).getUint32(0, false);
      const meta = JSON.parse(new TextDecoder().decode(v.subarray(4, 4 + n))) as Omit<
        StoredMembership,
        'bytes'
      >;
      out.push({ ...meta, bytes: v.slice(4 + n) });
    }
    return out;
  }

  async close(): Promise<void> {
    await Promise.all(this.#locks.values());
    await this.#db.close();
    tightenTree(this.#dir);
  }
}
