/**
 * A Spot client: connects to one or more relays, keeps them connected, and exchanges end-to-end
 * encrypted instant messages. Works in Node and in browsers: the WebSocket dialer, `fetch` and
 * the clock are injected.
 */
import { hashToBytes, parseTarget, type Target } from '@peerwire/address';
import {
  IDCard,
  type Keychain,
  type Membership,
  sealMessageBody,
  signMessageBody,
} from '@peerwire/crypto';
import {
  cryptoRandom,
  EncodeError,
  encodeInstantMessage,
  MsgFlag,
  messageIdFromRandom,
  messageIdToUuid,
  type RandomSource,
  randomSourceFromBytes,
  toBase64Url,
} from '@peerwire/wire';
import { CardCache } from './card-cache.js';
import { discoverRelays } from './discovery.js';
import { Dispatcher, type Handler } from './dispatch.js';
import { Emitter } from './emitter.js';
import { ClientError } from './errors.js';
import { Identity } from './identity.js';
import { type ClientClock, type Dialer, systemClock } from './link.js';
import { Queries } from './queries.js';
import {
  type ConnectionOwner,
  DEFAULT_RECONNECT,
  type ReconnectOptions,
  RelayConnection,
} from './relay-connection.js';
import { RelayEndpoints } from './relay-endpoints.js';

const encoder = new TextEncoder();

export type ClientEvents = {
  online: () => void;
  offline: () => void;
  /** One relay connection went online (`cid` is its `srv.clientid`). */
  connected: (info: { url: string; cid: string }) => void;
  disconnected: (info: { url: string; reason: string }) => void;
  /** Something went wrong that the client survived (bad packet, failed dial, dropped message). */
  problem: (info: { url?: string; message: string }) => void;
  /** A peer's `check_update` call. */
  check_update: (from: string) => void;
};

export interface ClientLimits {
  /** How long `query` waits for a response (ms). */
  readonly queryTimeoutMs: number;
  /** How long `send`/`query` wait for a relay connection to come online (ms). */
  readonly onlineTimeoutMs: number;
  /** IDCards kept in the cache. */
  readonly cardCacheSize: number;
  /** How long a cached IDCard is trusted before it is fetched again (ms). */
  readonly cardCacheTtlMs: number;
  /** Largest instant-message body (bytes). */
  readonly maxBodyBytes: number;
  /**
   * Bytes of a request's payload the built-in `ping` endpoint echoes back (the rest is cut, as
   * spotlib does), so that a ping cannot make this client send large answers.
   */
  readonly maxPingEchoBytes: number;
}

export const DEFAULT_CLIENT_LIMITS: ClientLimits = {
  queryTimeoutMs: 30_000,
  onlineTimeoutMs: 30_000,
  cardCacheSize: 1000,
  cardCacheTtlMs: 10 * 60_000,
  maxBodyBytes: 65535,
  maxPingEchoBytes: 128,
};

export interface ClientOptions {
  /** Private keys; the first signer is the identity (`Self`) unless `card` says otherwise. */
  readonly keychain: Keychain;
  /** The IDCard to present; by default one is made from the keychain. */
  readonly card?: IDCard;
  /** Relay WebSocket URLs, or `{ discovery: 'https://host' }` to ask a discovery endpoint. */
  readonly relays: readonly string[] | { readonly discovery: string };
  /** Opens a WebSocket. */
  readonly dial: Dialer;
  readonly fetch?: typeof fetch;
  readonly clock?: ClientClock;
  /**
   * Randomness for message ids, ping payloads and reconnect jitter: a `RandomSource` from
   * `@peerwire/wire`, or a function returning `n` random bytes (default: `cryptoRandom`).
   */
  readonly random?: RandomSource | ((n: number) => Uint8Array);
  /** Text answered on the `version` endpoint. */
  readonly version?: string;
  readonly limits?: Partial<ClientLimits>;
  readonly reconnect?: Partial<ReconnectOptions>;
}

export interface SendOptions {
  /** Send the payload raw (NotBottle) instead of sealed or signed. */
  readonly raw?: boolean;
  /** For `query`: how long to wait (ms). */
  readonly timeoutMs?: number;
}

export class SpotClient extends Emitter<ClientEvents> {
  readonly keychain: Keychain;
  readonly limits: ClientLimits;
  readonly clock: ClientClock;
  readonly dial: Dialer;
  readonly reconnect: ReconnectOptions;
  readonly #options: ClientOptions;
  readonly #random: RandomSource;
  readonly #identity: Identity;
  #connections: RelayConnection[] = [];
  readonly #queries: Queries;
  readonly #cards: CardCache;
  readonly #dispatcher: Dispatcher;
  readonly #relayEndpoints: RelayEndpoints;
  /** What the relay connections call back (kept off the public API). */
  readonly #owner: ConnectionOwner;
  #onlineWaiters: (() => void)[] = [];
  #started = false;
  #stopped = false;

  constructor(options: ClientOptions) {
    super();
    this.#options = options;
    this.keychain = options.keychain;
    this.limits = { ...DEFAULT_CLIENT_LIMITS, ...options.limits };
    this.clock = options.clock ?? systemClock;
    this.dial = options.dial;
    this.reconnect = { ...DEFAULT_RECONNECT, ...options.reconnect };
    const random = options.random ?? cryptoRandom;
    this.#random = typeof random === 'function' ? randomSourceFromBytes(random) : random;
    this.#identity = new Identity(options.keychain, options.card, () => this.#nowSeconds());
    const self = this.#identity.self;
    const nowSeconds = () => this.#nowSeconds();
    const card = (hash: string) => this.getIdCard(hash);
    this.#cards = new CardCache(this.clock, this.limits, (hash) => this.#fetchCard(hash));
    this.#queries = new Queries(this.clock, { keychain: this.keychain, card, nowSeconds });
    this.#dispatcher = new Dispatcher({
      keychain: this.keychain,
      self,
      queries: this.#queries,
      card,
      nowSeconds,
      transmit: (packet) => this.#transmit(packet),
      problem: (message, url) =>
        this.emit('problem', url === undefined ? { message } : { url, message }),
    });
    this.#relayEndpoints = new RelayEndpoints({
      keychain: this.keychain,
      card: () => this.#identity.card,
      nowSeconds,
      query: (to, payload) => this.query(to, payload),
    });
    this.#owner = {
      clock: this.clock,
      dial: this.dial,
      reconnect: this.reconnect,
      random: this.#random,
      answerHandshake: (raw, groups) =>
        this.#identity.answerHandshake(raw, groups, (message) => this.emit('problem', { message })),
      onOnline: (conn) => this.#onOnline(conn),
      onOffline: (conn, reason) => this.#onOffline(conn, reason),
      onPacket: (conn, packet) => this.#dispatcher.packet(conn.url, packet),
      onProblem: (conn, message) => this.emit('problem', { url: conn.url, message }),
    };
    this.handle('ping', (req) => req.payload.subarray(0, this.limits.maxPingEchoBytes));
    this.handle('version', () => this.#options.version ?? 'peerwire-client');
    this.handle('finger', async () => this.signedCard());
    this.handle('idcard_update', async (req) => {
      await this.#cards.acceptUpdate(req.payload);
      return undefined;
    });
    this.handle('check_update', (req) => {
      this.emit('check_update', req.from);
      return undefined;
    });
  }

  /** This client's identity address, `k.<hash>`. */
  get address(): string {
    return this.#identity.card.address;
  }

  get card(): IDCard {
    return this.#identity.card;
  }

  /** Whether at least one relay connection is online. */
  get online(): boolean {
    return this.#connections.some((c) => c.isOnline);
  }

  /** The relay connections and their states. */
  get connections(): { url: string; state: string; cid: string }[] {
    return this.#connections.map((c) => ({ url: c.url, state: c.state, cid: c.cid }));
  }

  /** The signed IDCard blob presented to relays and answered on `finger`. */
  signedCard(): Promise<Uint8Array> {
    return this.#identity.signedCard();
  }

  /**
   * Registers the handler of an endpoint (replacing any previous one). The endpoint `*` catches
   * requests to endpoints that have no handler of their own.
   */
  handle(endpoint: string, handler: Handler): () => void {
    return this.#dispatcher.handle(endpoint, handler);
  }

  /** Connects to the relays (resolving discovery first when configured). Returns at once. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    await this.#identity.ensureDecryptKey();
    await this.signedCard();
    const relays = this.#options.relays;
    const urls = Array.isArray(relays)
      ? [...(relays as readonly string[])]
      : (await discoverRelays((relays as { discovery: string }).discovery, this.#options.fetch))
          .urls;
    if (urls.length === 0) throw new ClientError('DISCOVERY_FAILED', 'no relay to connect to');
    this.#connections = urls.map((url) => new RelayConnection(url, this.#owner));
    for (const c of this.#connections) c.start();
  }

  /** Resolves once a relay connection is online; rejects with OFFLINE after `timeoutMs`. */
  waitOnline(timeoutMs = this.limits.onlineTimeoutMs): Promise<void> {
    if (this.online) return Promise.resolve();
    if (this.#stopped) return Promise.reject(new ClientError('STOPPED', 'the client was stopped'));
    return new Promise((resolve, reject) => {
      const done = () => {
        this.clock.clearTimeout(timer);
        resolve();
      };
      const timer = this.clock.setTimeout(() => {
        this.#onlineWaiters = this.#onlineWaiters.filter((w) => w !== done);
        reject(
          new ClientError('OFFLINE', `no relay connection came online within ${timeoutMs} ms`),
        );
      }, timeoutMs);
      this.#onlineWaiters.push(done);
    });
  }

  /** Closes every connection and fails pending queries. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const c of this.#connections) c.stop();
    this.#queries.failAll(new ClientError('STOPPED', 'the client was stopped'));
  }

  // -------------------------------------------------------------------------------------------
  // Sending

  /**
   * Sends `payload` to `to` without waiting for an answer. To `k.` targets it is encrypted to
   * the recipient's IDCard and signed; to `@/`, `c.` and `g.` targets it is signed only.
   */
  async send(to: string, payload: Uint8Array | string, options: SendOptions = {}): Promise<void> {
    const id = messageIdFromRandom(this.#random.bytes(16));
    await this.#send(id, to, 0n, this.#bytes(payload), options.raw ?? false, '/noreply');
  }

  /**
   * Sends like {@link send}, then waits one round trip to the relay (an `@/version` query on the
   * same connection, which the relay answers after it has routed the message). Rejects with
   * `REMOTE_ERROR` when the relay answered that it could not deliver the message, e.g.
   * `no route to k.…` for an identity that is not online. Resolving means the relay took the
   * message, not that the recipient read it.
   */
  async sendChecked(
    to: string,
    payload: Uint8Array | string,
    options: SendOptions = {},
  ): Promise<void> {
    const target = this.#target(to);
    const id = messageIdFromRandom(this.#random.bytes(16));
    const uuid = messageIdToUuid(id);
    let failure: Error | undefined;
    // An answer on the return endpoint is an error from the relay (or a reply we do not need).
    this.#queries.add(
      uuid,
      {
        target,
        resolve: () => {},
        reject: (error) => {
          failure = error;
        },
      },
      options.timeoutMs ?? this.limits.queryTimeoutMs,
      () => {},
    );
    try {
      await this.#send(id, to, 0n, this.#bytes(payload), options.raw ?? false, `/${uuid}`);
      // The relay's error reply, if any, arrives (and is handled) before this answer.
      await this.query('@/version', new Uint8Array(0), options);
    } finally {
      this.#queries.cancel(uuid);
    }
    if (failure) throw failure;
  }

  /** Sends a request and waits for its response payload (opened and checked). */
  async query(
    to: string,
    payload: Uint8Array | string = new Uint8Array(0),
    options: SendOptions = {},
  ): Promise<Uint8Array> {
    const target = this.#target(to);
    const id = messageIdFromRandom(this.#random.bytes(16));
    const uuid = messageIdToUuid(id);
    const timeoutMs = options.timeoutMs ?? this.limits.queryTimeoutMs;
    const response = new Promise<Uint8Array>((resolve, reject) => {
      this.#queries.add(uuid, { target, resolve, reject }, timeoutMs, () =>
        reject(new ClientError('TIMEOUT', `no response from ${to} within ${timeoutMs} ms`)),
      );
    });
    try {
      await this.#send(id, to, 0n, this.#bytes(payload), options.raw ?? false, `/${uuid}`);
    } catch (error) {
      this.#queries.cancel(uuid);
      throw error;
    }
    return response;
  }

  /** Round trip to a peer's `ping` endpoint; resolves with the time it took (ms). */
  async ping(to: string, options: SendOptions = {}): Promise<number> {
    const started = this.clock.now();
    const payload = this.#random.bytes(16);
    const echo = await this.query(`${to.split('/')[0]}/ping`, payload, options);
    if (toBase64Url(echo) !== toBase64Url(payload))
      throw new ClientError('BAD_RESPONSE', 'ping echo does not match');
    return this.clock.now() - started;
  }

  #bytes(payload: Uint8Array | string): Uint8Array {
    return typeof payload === 'string' ? encoder.encode(payload) : payload;
  }

  #target(to: string): Target {
    const slash = to.indexOf('/');
    if (slash < 0)
      throw new ClientError(
        'BAD_ADDRESS',
        `${JSON.stringify(to)} has no endpoint (expected <target>/<endpoint>)`,
      );
    let target: Target;
    try {
      target = parseTarget(to.slice(0, slash), to);
    } catch (error) {
      throw new ClientError('BAD_ADDRESS', (error as Error).message, { cause: error });
    }
    if (target.type === '')
      throw new ClientError('BAD_ADDRESS', `${JSON.stringify(to)} has no target`);
    return target;
  }

  async #body(target: Target, payload: Uint8Array): Promise<Uint8Array> {
    if (target.type === 'k') {
      const card = await this.getIdCard(target.hash);
      return sealMessageBody(payload, {
        signer: this.#identity.self,
        recipient: card,
        now: this.#nowSeconds(),
      });
    }
    return signMessageBody(payload, this.#identity.self);
  }

  async #send(
    id: Uint8Array,
    to: string,
    flags: bigint,
    payload: Uint8Array,
    raw: boolean,
    sender: string,
  ): Promise<void> {
    const target = this.#target(to);
    const body = raw ? payload : await this.#body(target, payload);
    let packet: Uint8Array;
    try {
      packet = encodeInstantMessage(
        { id, flags: raw ? flags | MsgFlag.NotBottle : flags, recipient: to, sender, body },
        { maxBodyLength: this.limits.maxBodyBytes },
      );
    } catch (error) {
      if (error instanceof EncodeError && error.code === 'BODY_TOO_LARGE') {
        throw new ClientError(
          'TOO_LARGE',
          `payload of ${payload.length} bytes is too large: the ${raw ? '' : 'sealed '}body is ${body.length} bytes, the limit is ${this.limits.maxBodyBytes}`,
        );
      }
      throw error;
    }
    await this.#transmit(packet);
  }

  async #transmit(packet: Uint8Array): Promise<void> {
    if (this.#stopped) throw new ClientError('STOPPED', 'the client was stopped');
    if (!this.online) await this.waitOnline();
    const online = this.#connections.filter((c) => c.isOnline);
    // prefer the least loaded connection
    let best = online[0]!;
    for (const c of online) if (c.bufferedAmount < best.bufferedAmount) best = c;
    if (!best.send(packet))
      throw new ClientError('OFFLINE', 'the relay connection closed while sending');
  }

  // -------------------------------------------------------------------------------------------
  // ID cards

  /** The verified IDCard of an identity (hash or `k.` address), cached, via `@/idcard_find`. */
  async getIdCard(hashOrAddress: string): Promise<IDCard> {
    const hash = hashOrAddress.startsWith('k.')
      ? hashOrAddress.slice(2).split('/')[0]!.split('.').pop()!
      : hashOrAddress;
    if (hash === this.#identity.card.hash) return this.#identity.card;
    return this.#cards.get(hash);
  }

  /**
   * Asks `@/idcard_find`. The relay answers an unknown identity with an error (its text is not
   * part of the protocol), so any error answer becomes `UNKNOWN_IDENTITY`, the relay's answer
   * kept as `cause`; timeouts and the like keep their own code.
   */
  async #fetchCard(hash: string): Promise<{ card: IDCard; blob: Uint8Array }> {
    let blob: Uint8Array;
    try {
      blob = await this.query('@/idcard_find', hashToBytes(hash));
    } catch (error) {
      if (error instanceof ClientError && error.code === 'REMOTE_ERROR') {
        throw new ClientError(
          'UNKNOWN_IDENTITY',
          `the relay knows no identity k.${hash} (it answered: ${error.message})`,
          { cause: error },
        );
      }
      throw error;
    }
    const card = await IDCard.parseSigned(blob);
    if (card.hash !== hash)
      throw new ClientError('BAD_RESPONSE', `@/idcard_find returned the card of another identity`);
    return { card, blob };
  }

  // -------------------------------------------------------------------------------------------
  // Blobs and groups (relay endpoints)

  /** Stores `value` on the relay under `key`, encrypted to and signed by this identity. */
  storeBlob(key: Uint8Array | string, value: Uint8Array | string): Promise<void> {
    return this.#relayEndpoints.storeBlob(key, value);
  }

  /** Fetches a blob stored by `storeBlob`; checks it was sealed to and signed by this identity. */
  fetchBlob(key: Uint8Array | string): Promise<Uint8Array> {
    return this.#relayEndpoints.fetchBlob(key);
  }

  deleteBlob(key: Uint8Array | string): Promise<void> {
    return this.#relayEndpoints.deleteBlob(key);
  }

  /** Registers a membership (signed by its group key) on the relay. */
  groupUpdate(membership: Membership): Promise<void> {
    return this.#relayEndpoints.groupUpdate(membership);
  }

  /** The `k.` addresses of a group's members, as the relay knows them. */
  groupList(groupKeyPkix: Uint8Array): Promise<string[]> {
    return this.#relayEndpoints.groupList(groupKeyPkix);
  }

  /** The relay's clock, as Unix milliseconds. */
  relayTime(): Promise<number> {
    return this.#relayEndpoints.relayTime();
  }

  relayVersion(): Promise<string> {
    return this.#relayEndpoints.relayVersion();
  }

  #nowSeconds(): number {
    return Math.floor(this.clock.now() / 1000);
  }

  // -------------------------------------------------------------------------------------------
  // Relay connections (through #owner)

  #onOnline(conn: RelayConnection): void {
    const first = this.#connections.filter((c) => c.isOnline).length === 1;
    this.emit('connected', { url: conn.url, cid: conn.cid });
    if (first) {
      this.emit('online');
      const waiters = this.#onlineWaiters;
      this.#onlineWaiters = [];
      for (const w of waiters) w();
    }
  }

  #onOffline(conn: RelayConnection, reason: string): void {
    this.emit('disconnected', { url: conn.url, reason });
    if (!this.online) this.emit('offline');
  }
}
