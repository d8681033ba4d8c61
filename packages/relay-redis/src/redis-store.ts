import type {
  BlobQuota,
  BlobUsage,
  RelayStore,
  StoredCard,
  StoredMembership,
} from '@peerwire/relay';
import type { Redis } from 'ioredis';
import { RelayRedisError } from './errors.js';
import type { ClusterKeys } from './keys.js';
import { MembershipRecord, parseJson, type StoreNotice } from './notices.js';

/**
 * Quota check and write in one step, run by Redis atomically (no other command runs in
 * between, whichever relay sends it). KEYS: blobs hash, byte-total string. ARGV: field, value,
 * max blobs, max bytes. Answers ok, too_many or too_big.
 */
const PUT_WITHIN = `
local old = redis.call('HSTRLEN', KEYS[1], ARGV[1])
local exists = redis.call('HEXISTS', KEYS[1], ARGV[1])
local count = redis.call('HLEN', KEYS[1]) + (exists == 1 and 0 or 1)
local bytes = tonumber(redis.call('GET', KEYS[2]) or '0') - old + string.len(ARGV[2])
if count > tonumber(ARGV[3]) then return 'too_many' end
if bytes > tonumber(ARGV[4]) then return 'too_big' end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SET', KEYS[2], bytes)
return 'ok'
`;

/** Unconditional write (`putBlob`), keeping the byte total right. */
const PUT = `
local old = redis.call('HSTRLEN', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('INCRBY', KEYS[2], string.len(ARGV[2]) - old)
return 'ok'
`;

/** Delete, keeping the byte total right. Answers 1 when the blob was there. */
const DELETE = `
local old = redis.call('HSTRLEN', KEYS[1], ARGV[1])
local n = redis.call('HDEL', KEYS[1], ARGV[1])
if n == 1 then
  local left = redis.call('DECRBY', KEYS[2], old)
  if redis.call('HLEN', KEYS[1]) == 0 then redis.call('DEL', KEYS[2]) end
end
return n
`;

const buf = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.length);
const bytes = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.length);

/**
 * The `RelayStore` on Redis, shared by every relay of a cluster: IDCards (so `@/idcard_find`
 * answers from any relay), blobs with per-identity quotas checked and written atomically by a
 * Lua script, and the membership registry. New cards and memberships are announced on the
 * store channel so that the other relays push `idcard_update` to their subscribers and update
 * their registries (`watchCards`, `watchMemberships`). Commands fail at once while Redis is
 * down (the relay answers the request with an error); nothing is queued.
 */
export class RedisRelayStore implements RelayStore {
  readonly #cardListeners: ((hash: string, card: StoredCard) => void)[] = [];
  readonly #memberListeners: ((m: StoredMembership) => void)[] = [];
  readonly #shas = new Map<string, string>();

  constructor(
    readonly serverCode: string,
    readonly redis: Redis,
    readonly keys: ClusterKeys,
  ) {}

  async getCard(hash: string): Promise<StoredCard | undefined> {
    const [blob, issued] = await this.redis.hmgetBuffer(this.keys.card(hash), 'blob', 'issued');
    if (!blob || !issued) return undefined;
    const n = Number(issued.toString());
    if (!Number.isFinite(n)) throw new RelayRedisError('BAD_RECORD', `card ${hash}: bad issued`);
    return { blob: bytes(blob), issued: n };
  }

  async putCard(hash: string, card: StoredCard): Promise<void> {
    const notice: StoreNotice = {
      t: 'card',
      srv: this.serverCode,
      hash,
      issued: card.issued,
      blob: Buffer.from(card.blob).toString('base64'),
    };
    await this.redis
      .multi()
      .hset(this.keys.card(hash), 'blob', buf(card.blob), 'issued', String(card.issued))
      .publish(this.keys.storeChannel, JSON.stringify(notice))
      .exec();
  }

  async getBlob(owner: string, key: Uint8Array): Promise<Uint8Array | undefined> {
    const value = await this.redis.hgetBuffer(this.keys.blobs(owner), buf(key));
    return value ? bytes(value) : undefined;
  }

  async putBlob(owner: string, key: Uint8Array, value: Uint8Array): Promise<void> {
    await this.#script(
      PUT,
      [this.keys.blobs(owner), this.keys.blobBytes(owner)],
      [buf(key), buf(value)],
    );
  }

  async putBlobWithin(
    owner: string,
    key: Uint8Array,
    value: Uint8Array,
    quota: BlobQuota,
  ): Promise<'ok' | 'too_many' | 'too_big'> {
    const result = await this.#script(
      PUT_WITHIN,
      [this.keys.blobs(owner), this.keys.blobBytes(owner)],
      [buf(key), buf(value), String(quota.maxBlobs), String(quota.maxBytes)],
    );
    const text = String(result);
    if (text === 'ok' || text === 'too_many' || text === 'too_big') return text;
    throw new RelayRedisError('BAD_RECORD', `unexpected script answer ${text}`);
  }

  async deleteBlob(owner: string, key: Uint8Array): Promise<boolean> {
    const n = await this.#script(
      DELETE,
      [this.keys.blobs(owner), this.keys.blobBytes(owner)],
      [buf(key)],
    );
    return Number(n) === 1;
  }

  async blobUsage(owner: string): Promise<BlobUsage> {
    const [[, count], [, total]] = (await this.redis
      .multi()
      .hlen(this.keys.blobs(owner))
      .get(this.keys.blobBytes(owner))
      .exec()) as [[unknown, number], [unknown, string | null]];
    return { count: Number(count), bytes: Number(total ?? 0) };
  }

  async putMembership(m: StoredMembership): Promise<void> {
    const record = {
      bytes: Buffer.from(m.bytes).toString('base64'),
      group: m.group,
      subject: m.subject,
      issued: m.issued,
      status: m.status,
    };
    const notice: StoreNotice = { t: 'member', srv: this.serverCode, m: record };
    await this.redis
      .multi()
      .hset(this.keys.members, `${m.group} ${m.subject}`, JSON.stringify(record))
      .publish(this.keys.storeChannel, JSON.stringify(notice))
      .exec();
  }

  async listMemberships(): Promise<StoredMembership[]> {
    const all = await this.redis.hgetall(this.keys.members);
    return Object.values(all).map((text) =>
      membershipFrom(parseJson(MembershipRecord, text, 'BAD_RECORD')),
    );
  }

  watchCards(listener: (hash: string, card: StoredCard) => void): void {
    this.#cardListeners.push(listener);
  }

  watchMemberships(listener: (m: StoredMembership) => void): void {
    this.#memberListeners.push(listener);
  }

  /** A notice from the store channel (the cluster hands them in). Own notices are ignored. */
  notice(n: StoreNotice): void {
    if (n.srv === this.serverCode) return;
    if (n.t === 'card') {
      const card = { blob: new Uint8Array(Buffer.from(n.blob, 'base64')), issued: n.issued };
      for (const l of this.#cardListeners) l(n.hash, card);
    } else {
      const m = membershipFrom(n.m);
      for (const l of this.#memberListeners) l(m);
    }
  }

  /** The Redis connection belongs to the cluster, which closes it. */
  async close(): Promise<void> {}

  /** EVALSHA, loading the script once (and again after a Redis restart emptied its cache). */
  async #script(
    source: string,
    keys: string[],
    args: (string | Buffer)[],
    retried = false,
  ): Promise<unknown> {
    let sha = this.#shas.get(source);
    if (sha === undefined) {
      sha = String(await this.redis.script('LOAD', source));
      this.#shas.set(source, sha);
    }
    try {
      return await this.redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (retried || !String((error as Error).message).includes('NOSCRIPT')) throw error;
      this.#shas.delete(source);
      return this.#script(source, keys, args, true);
    }
  }
}

function membershipFrom(r: MembershipRecord): StoredMembership {
  return {
    bytes: new Uint8Array(Buffer.from(r.bytes, 'base64')),
    group: r.group,
    subject: r.subject,
    issued: r.issued,
    status: r.status,
  };
}
