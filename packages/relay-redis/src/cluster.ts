import type { ConnectionOptions } from 'node:tls';
import type { RelayClock, RelayRandom } from '@peerwire/relay';
import { cryptoRandom, wallClock } from '@peerwire/wire';
import { Redis } from 'ioredis';
import { RelayRedisError } from './errors.js';
import { ClusterKeys } from './keys.js';
import { PresenceNotice, PresenceRecord, parseJson, RelayRecord, StoreNotice } from './notices.js';
import { type RedisClusterLimits, resolveClusterLimits } from './options.js';
import { type PresenceEntry, PresenceView } from './presence-view.js';
import { type BusSink, RedisBus } from './redis-bus.js';
import { RedisRelayStore } from './redis-store.js';

export interface RedisClusterOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…` (TLS); Valkey works the same. */
  readonly url: string;
  /** This relay's server code (`srv`); unique in the cluster. */
  readonly serverCode: string;
  /** Public host names of this relay, listed by every relay's discovery endpoint. */
  readonly hosts?: readonly string[];
  /** Prefix of every key and channel (several clusters can share one Redis). */
  readonly keyPrefix?: string;
  /**
   * TLS settings for a `rediss://` URL (a private CA: `{ ca }`, a client certificate); without
   * them `rediss://` verifies the server against Node's default CAs.
   */
  readonly tls?: ConnectionOptions;
  readonly limits?: Partial<RedisClusterLimits>;
  readonly clock?: RelayClock;
  readonly random?: RelayRandom;
  /** Observability hook (reconnects, Redis going down, expired relays, bad notices). */
  readonly onEvent?: (event: ClusterEvent) => void;
  /** Bus latency samples (ms, publisher's clock to receiver's clock). */
  readonly onLatency?: (ms: number) => void;
}

export type ClusterEvent =
  | { readonly type: 'down'; readonly error?: string }
  | { readonly type: 'up'; readonly reconnect: boolean }
  | { readonly type: 'relay_expired'; readonly srv: string }
  | { readonly type: 'bad_notice'; readonly detail: string };

/**
 * One relay's membership in a Redis/Valkey cluster: two connections (commands and
 * subscriptions), the `RedisBus`, the `RedisRelayStore`, heartbeats and recovery. After a
 * reconnect (or a Redis restart that lost everything) it re-subscribes (ioredis does), rewrites
 * its own presence, tells the others (`sync`) and reads theirs again, by itself.
 *
 * ```ts
 * const cluster = await RedisCluster.connect({ url, serverCode: 'a' });
 * const relay = new Relay({ serverCode: 'a', bus: cluster.bus, store: cluster.store });
 * cluster.attach((target, packet, origin) => relay.deliverFromBus(target, packet, origin));
 * ```
 */
export class RedisCluster {
  readonly limits: RedisClusterLimits;
  readonly keys: ClusterKeys;
  readonly view: PresenceView;
  readonly bus: RedisBus;
  readonly store: RedisRelayStore;
  /** Times Redis came back after being lost. */
  reconnects = 0;
  /** Presence notices or records that did not validate. */
  badNotices = 0;
  readonly #pub: Redis;
  readonly #sub: Redis;
  #hosts: readonly string[];
  readonly #onEvent: (event: ClusterEvent) => void;
  #timer: ReturnType<typeof setInterval> | undefined;
  #started = false;
  #closed = false;
  #wasDown = false;
  #resyncing: Promise<void> | undefined;

  private constructor(readonly options: RedisClusterOptions) {
    this.limits = resolveClusterLimits(options.limits);
    this.keys = new ClusterKeys(options.keyPrefix ?? 'pw:');
    this.#hosts = options.hosts ?? [];
    this.#onEvent = options.onEvent ?? (() => {});
    const clock = options.clock ?? wallClock;
    const random = options.random ?? cryptoRandom;
    const common = {
      lazyConnect: true,
      connectTimeout: this.limits.connectTimeoutMs,
      retryStrategy: (times: number) => Math.min(times * 100, this.limits.reconnectMaxDelayMs),
      ...(options.tls ? { tls: options.tls } : {}),
    };
    try {
      // Commands fail at once while disconnected (no offline queue, no retries): a relay never
      // stalls on Redis, it answers `no route` / an endpoint error instead.
      this.#pub = new Redis(options.url, {
        ...common,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        // Publishes issued in one tick leave in one write (a burst costs one syscall, not many).
        enableAutoPipelining: true,
      });
      this.#sub = new Redis(options.url, { ...common, autoResubscribe: true });
    } catch (error) {
      throw new RelayRedisError('BAD_OPTIONS', `bad Redis URL ${options.url}`, { cause: error });
    }
    this.view = new PresenceView(options.serverCode, this.limits, clock);
    this.bus = new RedisBus(
      options.serverCode,
      this.#pub,
      this.keys,
      this.view,
      this.limits,
      clock,
      random,
      () => this.up,
      options.onLatency ?? (() => {}),
    );
    this.store = new RedisRelayStore(options.serverCode, this.#pub, this.keys);
    for (const conn of [this.#pub, this.#sub]) {
      // ioredis listens `once` for a socket's 'error': a second one (a TLS handshake that fails
      // with a certificate error, then the server's alert) would be an uncaught exception that
      // takes the relay down. Each socket gets a permanent listener at its first error or
      // connect; errors are reported through 'close' / 'ready'.
      const guard = () => {
        const stream = (conn as { stream?: NodeJS.EventEmitter }).stream;
        if (stream !== undefined && !guarded.has(stream)) {
          guarded.add(stream);
          stream.on('error', () => {});
        }
      };
      conn.on('error', guard);
      conn.on('connect', guard);
      conn.on('close', () => this.#lost());
      conn.on('ready', () => this.#ready());
    }
    this.#sub.on('messageBuffer', (channel: Buffer, message: Buffer) =>
      this.#message(channel.toString(), message),
    );
  }

  /**
   * Connects to Redis, subscribes, announces this relay and reads the others' presence. Fails
   * with `CONNECT_FAILED` (both connections closed) when Redis cannot be reached within
   * `connectTimeoutMs`.
   */
  static async connect(options: RedisClusterOptions): Promise<RedisCluster> {
    const cluster = new RedisCluster(options);
    try {
      await cluster.#start();
    } catch (error) {
      await cluster.close();
      throw new RelayRedisError(
        'CONNECT_FAILED',
        `cannot reach Redis at ${redactUrl(options.url)}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    return cluster;
  }

  /** Whether both Redis connections are ready. */
  get up(): boolean {
    return this.#pub.status === 'ready' && this.#sub.status === 'ready';
  }

  /** Hands received packets to the relay core (`relay.deliverFromBus`). */
  attach(sink: BusSink): void {
    this.bus.attach(sink);
  }

  /** Changes the public hosts this relay announces (from the next heartbeat on). */
  setHosts(hosts: readonly string[]): void {
    if (hosts.length !== this.#hosts.length || hosts.some((h, i) => h !== this.#hosts[i])) {
      this.#hosts = [...hosts];
      this.#heartbeat();
    }
  }

  /** Public hosts of every live relay of the cluster, this one first. */
  hosts(): string[] {
    const out = [...this.#hosts];
    for (const [, hosts] of this.view.relays())
      for (const h of hosts) if (!out.includes(h)) out.push(h);
    return out;
  }

  /** Round trip to Redis (ms), or the error text. */
  async ping(): Promise<{ ok: true; ms: number } | { ok: false; error: string }> {
    const t = performance.now();
    try {
      await this.#pub.ping();
      return { ok: true, ms: performance.now() - t };
    } catch (error) {
      return { ok: false, error: (error as Error).message };
    }
  }

  async #start(): Promise<void> {
    const deadline = new Promise<never>((_, reject) => {
      const t = setTimeout(
        () => reject(new Error(`no answer within ${this.limits.connectTimeoutMs} ms`)),
        this.limits.connectTimeoutMs,
      );
      t.unref();
    });
    // The first attempt must succeed: retries are for a relay that was already running.
    await Promise.race([Promise.all([this.#pub.connect(), this.#sub.connect()]), deadline]);
    await this.#sub.subscribe(
      this.keys.bus(this.options.serverCode),
      this.keys.presenceChannel,
      this.keys.storeChannel,
    );
    await this.#resync();
    this.#started = true;
    this.#timer = setInterval(() => this.#heartbeat(), this.limits.heartbeatMs);
    this.#timer.unref();
  }

  #lost(): void {
    if (this.#closed || !this.#started || this.#wasDown) return;
    this.#wasDown = true;
    this.#onEvent({ type: 'down' });
  }

  #ready(): void {
    if (this.#closed || !this.#started || !this.up) return;
    if (this.#wasDown) {
      this.#wasDown = false;
      this.reconnects++;
      this.#onEvent({ type: 'up', reconnect: true });
    }
    void this.#resync().catch(() => {});
  }

  /**
   * Rewrites this relay's presence in Redis from its own table, tells the others to read it
   * again, and reads every other live relay's presence (notices may have been missed).
   */
  #resync(): Promise<void> {
    this.#resyncing ??= (async () => {
      try {
        const srv = this.options.serverCode;
        const presence = this.keys.presence(srv);
        const ttl = this.limits.presenceTtlMs;
        const multi = this.#pub.multi().del(presence);
        for (const [cid, e] of this.bus.local)
          multi.hset(presence, cid, JSON.stringify({ h: e.hash, g: e.groups }));
        await multi
          .pexpire(presence, ttl)
          .set(this.keys.relay(srv), JSON.stringify({ hosts: this.#hosts }), 'PX', ttl)
          .sadd(this.keys.relays, srv)
          .publish(this.keys.presenceChannel, JSON.stringify({ t: 'sync', srv }))
          .exec();
        for (const other of await this.#pub.smembers(this.keys.relays)) {
          if (other !== srv) await this.#load(other);
        }
      } finally {
        this.#resyncing = undefined;
      }
    })();
    return this.#resyncing;
  }

  /** Reads relay `srv`'s presence from Redis into the view (or forgets it when it is dead). */
  async #load(srv: string): Promise<void> {
    const [[, info], [, fields]] = (await this.#pub
      .multi()
      .get(this.keys.relay(srv))
      .hgetall(this.keys.presence(srv))
      .exec()) as [[unknown, string | null], [unknown, Record<string, string>]];
    if (info === null) {
      this.view.dropRelay(srv);
      await this.#pub.srem(this.keys.relays, srv); // its keys expire by themselves
      return;
    }
    let hosts: readonly string[] = [];
    try {
      hosts = parseJson(RelayRecord, info, 'BAD_RECORD').hosts;
    } catch (error) {
      this.#bad(`relay record of ${srv}: ${(error as Error).message}`);
    }
    const entries: PresenceEntry[] = [];
    for (const [cid, text] of Object.entries(fields)) {
      try {
        const r = parseJson(PresenceRecord, text, 'BAD_RECORD');
        if (cid.startsWith(`${srv}.`)) entries.push({ cid, hash: r.h, groups: r.g });
      } catch (error) {
        this.#bad(`presence of ${cid}: ${(error as Error).message}`);
      }
    }
    this.view.replaceRelay(srv, hosts, entries);
  }

  #heartbeat(): void {
    for (const srv of this.view.expire()) this.#onEvent({ type: 'relay_expired', srv });
    if (!this.up) return;
    const srv = this.options.serverCode;
    const ttl = this.limits.presenceTtlMs;
    const notice = JSON.stringify({ t: 'hb', srv, hosts: this.#hosts, n: this.bus.local.size });
    this.#pub
      .multi()
      .set(this.keys.relay(srv), JSON.stringify({ hosts: this.#hosts }), 'PX', ttl)
      .pexpire(this.keys.presence(srv), ttl)
      .sadd(this.keys.relays, srv)
      .publish(this.keys.presenceChannel, notice)
      .exec()
      .catch(() => {});
  }

  #message(channel: string, message: Buffer): void {
    if (channel === this.keys.presenceChannel) this.#presence(message.toString());
    else if (channel === this.keys.storeChannel) {
      try {
        this.store.notice(parseJson(StoreNotice, message.toString(), 'BAD_NOTICE'));
      } catch (error) {
        this.#bad(`store notice: ${(error as Error).message}`);
      }
    } else {
      this.bus.receive(new Uint8Array(message.buffer, message.byteOffset, message.length));
    }
  }

  #presence(text: string): void {
    let n: PresenceNotice;
    try {
      n = parseJson(PresenceNotice, text, 'BAD_NOTICE');
    } catch (error) {
      this.#bad(`presence notice: ${(error as Error).message}`);
      return;
    }
    if (n.srv === this.options.serverCode) return;
    switch (n.t) {
      case 'hb':
        // A relay not in the view (started, or came back, while notices were missed): read it.
        if (this.view.heartbeat(n.srv, n.hosts)) void this.#load(n.srv).catch(() => {});
        break;
      case 'on':
        if (n.cid.startsWith(`${n.srv}.`))
          this.view.online(n.srv, { cid: n.cid, hash: n.hash, groups: n.groups });
        break;
      case 'off':
        this.view.offline(n.cid);
        break;
      case 'sync':
        void this.#load(n.srv).catch(() => {});
        break;
      case 'bye':
        this.view.dropRelay(n.srv);
        break;
    }
  }

  #bad(detail: string): void {
    this.badNotices++;
    this.#onEvent({ type: 'bad_notice', detail });
  }

  /**
   * Drops both connections and stops heartbeats without telling anyone: what a crashed relay
   * looks like to the others (for tests and fail-over drills).
   */
  abandon(): void {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#pub.disconnect();
    this.#sub.disconnect();
  }

  /** Leaves the cluster: removes this relay's presence, tells the others, closes both connections. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    const srv = this.options.serverCode;
    this.bus.flush(); // this turn's envelopes leave before the goodbye
    if (this.#started && this.up) {
      await this.#pub
        .multi()
        .del(this.keys.presence(srv), this.keys.relay(srv))
        .srem(this.keys.relays, srv)
        .publish(this.keys.presenceChannel, JSON.stringify({ t: 'bye', srv }))
        .exec()
        .catch(() => {});
    }
    this.#pub.disconnect();
    this.#sub.disconnect();
  }
}

/** Sockets that already have a permanent 'error' listener (see the constructor). */
const guarded = new WeakSet<object>();

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}
