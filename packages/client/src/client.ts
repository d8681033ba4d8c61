/**
 * A Spot client: connects to one or more relays, keeps them connected, and exchanges end-to-end
 * encrypted instant messages. Works in Node and in browsers: the WebSocket dialer, `fetch` and
 * the clock are injected.
 */
import { endpointOf, hashToBytes, parseTarget, type Target } from '@peerwire/address';
import {
  Bottle,
  canSign,
  generatePrivateKey,
  IDCard,
  type Keychain,
  type Membership,
  openBottle,
  type PrivateKey,
  sealMessageBody,
  signedBy,
  signHandshake,
  signMessageBody,
} from '@peerwire/crypto';
import {
  concatBytes,
  decodeInstantMessage,
  EncodeError,
  encodeHandshakeResponse,
  encodeInstantMessage,
  hasFlag,
  type InstantMessage,
  MsgFlag,
  messageIdFromRandom,
  messageIdToUuid,
  PeerwireError,
  toBase64Url,
} from '@peerwire/wire';
import { discoverRelays } from './discovery.js';
import { Emitter } from './emitter.js';
import { ClientError } from './errors.js';
import { type ClientClock, type Dialer, systemClock } from './link.js';
import { DEFAULT_RECONNECT, type ReconnectOptions, RelayConnection } from './relay-connection.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A request delivered to a handler. */
export interface IncomingRequest {
  /** Sender address as the relay rewrote it (`k.<hash>/<endpoint>`, or `@/` for the relay). */
  readonly from: string;
  /** Identity hash of the sender (empty for the relay). */
  readonly fromHash: string;
  /** The endpoint addressed (first path segment after the target). */
  readonly endpoint: string;
  /** The full recipient address. */
  readonly to: string;
  readonly payload: Uint8Array;
  /** Whether the payload was encrypted to us (false: sign-only bottle or raw). */
  readonly encrypted: boolean;
  /** Whether the body was raw (NotBottle): then nothing is signed, only the relay vouches for `from`. */
  readonly raw: boolean;
  /** The sender's IDCard, when the body was a bottle. */
  readonly card: IDCard | undefined;
  readonly messageId: Uint8Array;
}

/** What a handler returns: the response payload, or nothing for no response. */
// biome-ignore lint/suspicious/noConfusingVoidType: a handler that answers nothing simply returns
export type HandlerResult = Uint8Array | string | undefined | void;

/** Answers requests to one endpoint. Throwing (or rejecting) answers an error text. */
export type Handler = (request: IncomingRequest) => HandlerResult | Promise<HandlerResult>;

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
}

export const DEFAULT_CLIENT_LIMITS: ClientLimits = {
  queryTimeoutMs: 30_000,
  onlineTimeoutMs: 30_000,
  cardCacheSize: 1000,
  cardCacheTtlMs: 10 * 60_000,
  maxBodyBytes: 65535,
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
  readonly random?: (n: number) => Uint8Array;
  /** Text answered on the `version` endpoint. */
  readonly version?: string;
  readonly limits?: Partial<ClientLimits>;
  readonly reconnect?: Partial<ReconnectOptions>;
}

interface PendingQuery {
  readonly target: Target;
  readonly resolve: (payload: Uint8Array) => void;
  readonly reject: (error: Error) => void;
  readonly timer: unknown;
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
  readonly #random: (n: number) => Uint8Array;
  readonly #self: PrivateKey;
  #card: IDCard;
  #blob: Uint8Array | undefined;
  #connections: RelayConnection[] = [];
  readonly #queries = new Map<string, PendingQuery>();
  readonly #handlers = new Map<string, Handler>();
  readonly #cards = new Map<string, { card: IDCard; blob: Uint8Array; at: number }>();
  readonly #cardFetches = new Map<string, Promise<IDCard>>();
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
    this.#random = options.random ?? ((n) => globalThis.crypto.getRandomValues(new Uint8Array(n)));
    const self = options.card
      ? options.keychain.get(options.card.self)
      : (options.keychain.firstSigner ?? undefined);
    if (!self || !canSign(self.type)) {
      throw new ClientError('NO_IDENTITY', 'the keychain holds no signing key for this identity');
    }
    this.#self = self;
    this.#card =
      options.card ??
      IDCard.create(self.publicKey, { now: this.#nowSeconds() }).addKeychain(options.keychain);
    this.handle('ping', (req) => req.payload.subarray(0, 128));
    this.handle('version', () => this.#options.version ?? 'peerwire-client');
    this.handle('finger', async () => this.signedCard());
    this.handle('idcard_update', async (req) => {
      await this.#acceptCardUpdate(req.payload);
      return undefined;
    });
    this.handle('check_update', (req) => {
      this.emit('check_update', req.from);
      return undefined;
    });
  }

  /** This client's identity address, `k.<hash>`. */
  get address(): string {
    return this.#card.address;
  }

  get card(): IDCard {
    return this.#card;
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
  async signedCard(): Promise<Uint8Array> {
    this.#blob ??= await this.#card.sign(this.#self);
    return this.#blob;
  }

  /**
   * Registers the handler of an endpoint (replacing any previous one). The endpoint `*` catches
   * requests to endpoints that have no handler of their own.
   */
  handle(endpoint: string, handler: Handler): () => void {
    this.#handlers.set(endpoint, handler);
    return () => {
      if (this.#handlers.get(endpoint) === handler) this.#handlers.delete(endpoint);
    };
  }

  /** Connects to the relays (resolving discovery first when configured). Returns at once. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    await this.#ensureDecryptKey();
    await this.signedCard();
    const relays = this.#options.relays;
    const urls = Array.isArray(relays)
      ? [...(relays as readonly string[])]
      : (await discoverRelays((relays as { discovery: string }).discovery, this.#options.fetch))
          .urls;
    if (urls.length === 0) throw new ClientError('DISCOVERY_FAILED', 'no relay to connect to');
    this.#connections = urls.map((url) => new RelayConnection(url, this));
    for (const c of this.#connections) c.start();
  }

  /**
   * Without a `decrypt` key nobody can encrypt to this identity (an Ed25519-only card, say). As
   * spotlib does, add a fresh P-256 key for the session, with purposes decrypt, ephemeral, sign.
   */
  async #ensureDecryptKey(): Promise<void> {
    const now = this.#nowSeconds();
    if (this.#card.getKeys('decrypt', now).length > 0) return;
    const key = await generatePrivateKey('P-256');
    this.keychain.add(key);
    this.#card.addKey(key.publicKey.pkix, ['decrypt', 'ephemeral', 'sign'], { issued: now });
    this.#blob = undefined;
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
    for (const [id, q] of this.#queries) {
      this.clock.clearTimeout(q.timer);
      q.reject(new ClientError('STOPPED', 'the client was stopped'));
      this.#queries.delete(id);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Sending

  /**
   * Sends `payload` to `to` without waiting for an answer. To `k.` targets it is encrypted to
   * the recipient's IDCard and signed; to `@/`, `c.` and `g.` targets it is signed only.
   */
  async send(to: string, payload: Uint8Array | string, options: SendOptions = {}): Promise<void> {
    const id = messageIdFromRandom(this.#random(16));
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
    const id = messageIdFromRandom(this.#random(16));
    const uuid = messageIdToUuid(id);
    let failure: Error | undefined;
    const timer = this.clock.setTimeout(
      () => this.#queries.delete(uuid),
      options.timeoutMs ?? this.limits.queryTimeoutMs,
    );
    // An answer on the return endpoint is an error from the relay (or a reply we do not need).
    this.#queries.set(uuid, {
      target,
      resolve: () => {},
      reject: (error) => {
        failure = error;
      },
      timer,
    });
    try {
      await this.#send(id, to, 0n, this.#bytes(payload), options.raw ?? false, `/${uuid}`);
      // The relay's error reply, if any, arrives (and is handled) before this answer.
      await this.query('@/version', new Uint8Array(0), options);
    } finally {
      this.clock.clearTimeout(timer);
      this.#queries.delete(uuid);
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
    const id = messageIdFromRandom(this.#random(16));
    const uuid = messageIdToUuid(id);
    const timeoutMs = options.timeoutMs ?? this.limits.queryTimeoutMs;
    const response = new Promise<Uint8Array>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.#queries.delete(uuid);
        reject(new ClientError('TIMEOUT', `no response from ${to} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#queries.set(uuid, { target, resolve, reject, timer });
    });
    try {
      await this.#send(id, to, 0n, this.#bytes(payload), options.raw ?? false, `/${uuid}`);
    } catch (error) {
      const q = this.#queries.get(uuid);
      if (q) {
        this.clock.clearTimeout(q.timer);
        this.#queries.delete(uuid);
      }
      throw error;
    }
    return response;
  }

  /** Round trip to a peer's `ping` endpoint; resolves with the time it took (ms). */
  async ping(to: string, options: SendOptions = {}): Promise<number> {
    const started = this.clock.now();
    const payload = this.#random(16);
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
    try {
      const target = parseTarget(to.slice(0, slash), to);
      if (target.type === '')
        throw new ClientError('BAD_ADDRESS', `${JSON.stringify(to)} has no target`);
      return target;
    } catch (error) {
      if (error instanceof ClientError) throw error;
      throw new ClientError('BAD_ADDRESS', (error as Error).message, { cause: error });
    }
  }

  async #body(target: Target, payload: Uint8Array): Promise<Uint8Array> {
    if (target.type === 'k') {
      const card = await this.getIdCard(target.hash);
      return sealMessageBody(payload, {
        signer: this.#self,
        recipient: card,
        now: this.#nowSeconds(),
      });
    }
    return signMessageBody(payload, this.#self);
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
    if (hash === this.#card.hash) return this.#card;
    const cached = this.#cards.get(hash);
    if (cached && this.clock.now() - cached.at < this.limits.cardCacheTtlMs) return cached.card;
    let pending = this.#cardFetches.get(hash);
    if (!pending) {
      pending = this.#fetchCard(hash).finally(() => this.#cardFetches.delete(hash));
      this.#cardFetches.set(hash, pending);
    }
    return pending;
  }

  async #fetchCard(hash: string): Promise<IDCard> {
    let blob: Uint8Array;
    try {
      blob = await this.query('@/idcard_find', hashToBytes(hash));
    } catch (error) {
      if (
        error instanceof ClientError &&
        error.code === 'REMOTE_ERROR' &&
        /not found/.test(error.message)
      ) {
        throw new ClientError('UNKNOWN_IDENTITY', `the relay knows no identity k.${hash}`);
      }
      throw error;
    }
    const card = await IDCard.parseSigned(blob);
    if (card.hash !== hash)
      throw new ClientError('BAD_RESPONSE', `@/idcard_find returned the card of another identity`);
    this.#cacheCard(hash, card, blob);
    return card;
  }

  #cacheCard(hash: string, card: IDCard, blob: Uint8Array): void {
    this.#cards.delete(hash);
    this.#cards.set(hash, { card, blob, at: this.clock.now() });
    while (this.#cards.size > this.limits.cardCacheSize)
      this.#cards.delete(this.#cards.keys().next().value!);
  }

  async #acceptCardUpdate(blob: Uint8Array): Promise<void> {
    const card = await IDCard.parseSigned(blob);
    const cached = this.#cards.get(card.hash);
    if (!cached || cached.card.issued <= card.issued) this.#cacheCard(card.hash, card, blob);
  }

  // -------------------------------------------------------------------------------------------
  // Blobs and groups (relay endpoints)

  /** Stores `value` on the relay under `key`, encrypted to and signed by this identity. */
  async storeBlob(key: Uint8Array | string, value: Uint8Array | string): Promise<void> {
    const k = this.#blobKey(key);
    const bottle = Bottle.fromPayload(this.#bytes(value));
    await bottle.encrypt([this.#card], { now: this.#nowSeconds() });
    bottle.bottleUp();
    for (const signer of this.keychain.keys().filter((x) => canSign(x.type)))
      await bottle.sign(signer);
    await this.query('@/store_blob', concatBytes(k, Uint8Array.of(0), bottle.encode()));
  }

  /** Fetches a blob stored by `storeBlob`; checks it was sealed to and signed by this identity. */
  async fetchBlob(key: Uint8Array | string): Promise<Uint8Array> {
    const stored = await this.query('@/fetch_blob', this.#blobKey(key));
    const opened = await openBottle(stored, this.keychain);
    if (opened.decryptions === 0 || !opened.signers.some((s) => this.keychain.has(s.pkix))) {
      throw new ClientError(
        'BAD_RESPONSE',
        'the stored blob is not sealed to and signed by this identity',
      );
    }
    return opened.payload;
  }

  async deleteBlob(key: Uint8Array | string): Promise<void> {
    await this.query('@/store_blob', concatBytes(this.#blobKey(key), Uint8Array.of(0)));
  }

  #blobKey(key: Uint8Array | string): Uint8Array {
    const k = this.#bytes(key);
    if (k.length === 0 || k.includes(0))
      throw new ClientError('BAD_ADDRESS', 'a blob key is non-empty and contains no 0x00 byte');
    return k;
  }

  /** Registers a membership (signed by its group key) on the relay. */
  async groupUpdate(membership: Membership): Promise<void> {
    await this.query('@/group_update', membership.encode());
  }

  /** The `k.` addresses of a group's members, as the relay knows them. */
  async groupList(groupKeyPkix: Uint8Array): Promise<string[]> {
    const out = await this.query('@/group_list', groupKeyPkix);
    const list: string[] = [];
    for (let i = 0; i + 32 <= out.length; i += 32)
      list.push(`k.${toBase64Url(out.subarray(i, i + 32))}`);
    return list;
  }

  /** The relay's clock, as Unix milliseconds. */
  async relayTime(): Promise<number> {
    const out = await this.query('@/time');
    if (out.length !== 12) throw new ClientError('BAD_RESPONSE', '@/time must answer 12 bytes');
    const view = new DataView(out.buffer, out.byteOffset, 12);
    return Number(view.getBigUint64(0, false)) * 1000 + Math.floor(view.getUint32(8, false) / 1e6);
  }

  async relayVersion(): Promise<string> {
    return decoder.decode(await this.query('@/version'));
  }

  #nowSeconds(): number {
    return Math.floor(this.clock.now() / 1000);
  }

  // -------------------------------------------------------------------------------------------
  // ConnectionOwner (called by RelayConnection)

  async answerHandshake(
    raw: Uint8Array,
    groups: readonly Uint8Array[] | null,
  ): Promise<Uint8Array> {
    if (groups !== null && groups.length > 0) {
      try {
        if (await this.#card.updateGroups(groups)) this.#blob = undefined;
      } catch (error) {
        // as spotlib: a bad group list does not stop the handshake
        this.emit('problem', { message: `cannot update groups: ${(error as Error).message}` });
      }
    }
    const blob = await this.signedCard();
    const key = this.#handshakeKey();
    return encodeHandshakeResponse(await signHandshake({ raw }, key, blob));
  }

  /** An ECDSA key when there is one (as the Go client), else the identity key. */
  #handshakeKey(): PrivateKey {
    const now = this.#nowSeconds();
    for (const k of this.keychain.keys()) {
      if (
        (k.type === 'P-256' || k.type === 'P-384') &&
        this.#card.testKeyPurpose(k.publicKey.pkix, 'sign', now)
      )
        return k;
    }
    return this.#self;
  }

  onOnline(conn: RelayConnection): void {
    const first = this.#connections.filter((c) => c.isOnline).length === 1;
    this.emit('connected', { url: conn.url, cid: conn.cid });
    if (first) {
      this.emit('online');
      const waiters = this.#onlineWaiters;
      this.#onlineWaiters = [];
      for (const w of waiters) w();
    }
  }

  onOffline(conn: RelayConnection, reason: string): void {
    this.emit('disconnected', { url: conn.url, reason });
    if (!this.online) this.emit('offline');
  }

  onProblem(conn: RelayConnection, message: string): void {
    this.emit('problem', { url: conn.url, message });
  }

  onPacket(conn: RelayConnection, packet: Uint8Array): void {
    let msg: InstantMessage;
    try {
      msg = decodeInstantMessage(packet, { maxBodyLength: Number.MAX_SAFE_INTEGER });
    } catch (error) {
      this.emit('problem', {
        url: conn.url,
        message: `bad instant message: ${(error as Error).message}`,
      });
      return;
    }
    const endpoint = endpointOf(msg.recipient);
    if (hasFlag(msg.flags, MsgFlag.Response)) {
      const q = this.#queries.get(endpoint);
      if (!q) return; // late or unsolicited response
      this.#queries.delete(endpoint);
      this.clock.clearTimeout(q.timer);
      this.#openResponse(q, msg).then(q.resolve, q.reject);
      return;
    }
    void this.#dispatch(msg, endpoint);
  }

  async #openResponse(q: PendingQuery, msg: InstantMessage): Promise<Uint8Array> {
    const isError = hasFlag(msg.flags, MsgFlag.Error);
    let payload: Uint8Array;
    if (hasFlag(msg.flags, MsgFlag.NotBottle)) {
      payload = msg.body;
    } else {
      const opened = await openBottle(msg.body, this.keychain).catch((error: unknown) => {
        throw new ClientError(
          'BAD_RESPONSE',
          `cannot open the response: ${(error as Error).message}`,
          { cause: error },
        );
      });
      if (q.target.type === 'k') {
        const card = await this.getIdCard(q.target.hash);
        if (opened.decryptions === 0 || !signedBy(opened, card, this.#nowSeconds())) {
          throw new ClientError(
            'BAD_RESPONSE',
            `the response is not encrypted to us and signed by k.${q.target.hash}`,
          );
        }
      }
      payload = opened.payload;
    }
    if (isError) throw new ClientError('REMOTE_ERROR', decoder.decode(payload) || 'remote error');
    return payload.slice();
  }

  async #dispatch(msg: InstantMessage, endpoint: string): Promise<void> {
    const handler = this.#handlers.get(endpoint) ?? this.#handlers.get('*');
    const bottled = !hasFlag(msg.flags, MsgFlag.NotBottle);
    const fromHash = msg.sender.startsWith('k.') ? msg.sender.slice(2).split('/')[0]! : '';
    let request: IncomingRequest;
    try {
      let payload = msg.body;
      let encrypted = false;
      let card: IDCard | undefined;
      if (bottled) {
        if (!fromHash)
          throw new Error(`bottled message from ${msg.sender}, which is not an identity`);
        card = await this.getIdCard(fromHash);
        const opened = await openBottle(msg.body, this.keychain);
        if (!signedBy(opened, card, this.#nowSeconds()))
          throw new Error('not signed by the sender');
        encrypted = opened.decryptions > 0;
        payload = opened.payload;
      }
      request = {
        from: msg.sender,
        fromHash,
        endpoint,
        to: msg.recipient,
        payload,
        encrypted,
        raw: !bottled,
        card,
        messageId: msg.id,
      };
    } catch (error) {
      this.emit('problem', {
        message: `dropped a message from ${msg.sender}: ${(error as Error).message}`,
      });
      return;
    }
    let result: HandlerResult;
    let failed = false;
    if (!handler) {
      result = `unknown endpoint ${endpoint}`;
      failed = true;
    } else {
      try {
        result = await handler(request);
      } catch (error) {
        failed = true;
        result =
          error instanceof PeerwireError || error instanceof Error ? error.message : String(error);
      }
    }
    if (result === undefined) return;
    const body = this.#bytes(result);
    const flags = failed ? MsgFlag.Response | MsgFlag.Error : MsgFlag.Response;
    try {
      if (bottled && request.card) {
        const sealed = await sealMessageBody(body, {
          signer: this.#self,
          recipient: request.card,
          now: this.#nowSeconds(),
        });
        await this.#transmit(
          encodeInstantMessage({
            id: msg.id,
            flags,
            recipient: msg.sender,
            sender: '/noreply',
            body: sealed,
          }),
        );
      } else {
        await this.#transmit(
          encodeInstantMessage({
            id: msg.id,
            flags: flags | MsgFlag.NotBottle,
            recipient: msg.sender,
            sender: '/noreply',
            body,
          }),
        );
      }
    } catch (error) {
      this.emit('problem', { message: `cannot answer ${msg.sender}: ${(error as Error).message}` });
    }
  }
}
