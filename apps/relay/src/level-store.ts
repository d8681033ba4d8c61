/**
 * The relay's on-disk store: LevelDB (classic-level) in the data directory. Cards, blobs and
 * memberships survive restarts. Blob usage per identity is kept beside the blobs and updated in
 * the same atomic batch. Quotas cannot be raced because the relay core queues the blob writes of
 * one identity (quota check and write together), whatever the store.
 */
import { mkdirSync } from 'node:fs';
import type { BlobUsage, RelayStore, StoredCard, StoredMembership } from '@peerwire/relay';
import { toHex } from '@peerwire/wire';
import { ClassicLevel } from 'classic-level';

type Db = ClassicLevel<string, Uint8Array>;

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
  readonly #locks = new Map<string, Promise<unknown>>();

  private constructor(db: Db) {
    this.#db = db;
  }

  /** Opens (creating if needed) the store in `dir`. */
  static async open(dir: string): Promise<LevelRelayStore> {
    mkdirSync(dir, { recursive: true });
    const db: Db = new ClassicLevel<string, Uint8Array>(dir, {
      keyEncoding: 'utf8',
      valueEncoding: 'view',
    });
    await db.open();
    return new LevelRelayStore(db);
  }

  /** A small value kept beside the data (e.g. the generated server code). */
  async getMeta(name: string): Promise<string | undefined> {
    const v = await this.#db.get(`meta:${name}`);
    return v === undefined ? undefined : new TextDecoder().decode(v);
  }

  async setMeta(name: string, value: string): Promise<void> {
    await this.#db.put(`meta:${name}`, new TextEncoder().encode(value));
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
    const v = await this.#db.get(`card:${hash}`);
    if (!v || v.length < 8) return undefined;
    const view = new DataView(v.buffer, v.byteOffset, v.length);
    return { issued: Number(view.getBigUint64(0, false)), blob: v.slice(8) };
  }

  async putCard(hash: string, card: StoredCard): Promise<void> {
    const v = new Uint8Array(8 + card.blob.length);
    new DataView(v.buffer).setBigUint64(0, BigInt(Math.max(0, card.issued)), false);
    v.set(card.blob, 8);
    await this.#db.put(`card:${hash}`, v);
  }

  async getBlob(owner: string, key: Uint8Array): Promise<Uint8Array | undefined> {
    return (await this.#db.get(blobKey(owner, key))) ?? undefined;
  }

  putBlob(owner: string, key: Uint8Array, value: Uint8Array): Promise<void> {
    return this.#serial(owner, async () => {
      const [old, usageBytes] = await this.#db.getMany([blobKey(owner, key), usageKey(owner)]);
      const usage = decodeUsage(usageBytes);
      const next = {
        count: usage.count + (old ? 0 : 1),
        bytes: usage.bytes - (old?.length ?? 0) + value.length,
      };
      await this.#db.batch([
        { type: 'put', key: blobKey(owner, key), value: value.slice() },
        { type: 'put', key: usageKey(owner), value: encodeUsage(next) },
      ]);
    });
  }

  deleteBlob(owner: string, key: Uint8Array): Promise<boolean> {
    return this.#serial(owner, async () => {
      const [old, usageBytes] = await this.#db.getMany([blobKey(owner, key), usageKey(owner)]);
      if (!old) return false;
      const usage = decodeUsage(usageBytes);
      await this.#db.batch([
        { type: 'del', key: blobKey(owner, key) },
        {
          type: 'put',
          key: usageKey(owner),
          value: encodeUsage({ count: usage.count - 1, bytes: usage.bytes - old.length }),
        },
      ]);
      return true;
    });
  }

  async blobUsage(owner: string): Promise<BlobUsage> {
    return decodeUsage(await this.#db.get(usageKey(owner)));
  }

  async putMembership(m: StoredMembership): Promise<void> {
    const meta = new TextEncoder().encode(
      JSON.stringify({ group: m.group, subject: m.subject, issued: m.issued, status: m.status }),
    );
    const v = new Uint8Array(4 + meta.length + m.bytes.length);
    new DataView(v.buffer).setUint32(0, meta.length, false);
    v.set(meta, 4);
    v.set(m.bytes, 4 + meta.length);
    await this.#db.put(`member:${m.group}:${m.subject}`, v);
  }

  async listMemberships(): Promise<StoredMembership[]> {
    const out: StoredMembership[] = [];
    for await (const v of this.#db.values({ gte: 'member:', lt: 'member;' })) {
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
  }
}
