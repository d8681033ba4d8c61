/**
 * The Spot relay as a sans-I/O state machine: connections are handed in as `RelayPeer`s (send,
 * close, bufferedAmount), packets come in through `Session.receive`, time through the injected
 * clock and `tick()`, randomness through the injected source. It opens no socket and starts no
 * timer, so a test can run hundreds of clients in one process and replay any sequence of events.
 */
import { identityHash, parseTarget, type Target } from '@peerwire/address';
import {
  type CryptoBackend,
  type IDCard,
  Membership,
  openBottle,
  verifyHandshake,
} from '@peerwire/crypto';
import {
  DecodeError,
  decodeHandshakeResponse,
  decodeInstantMessage,
  encodeHandshakeRequest,
  encodeInstantMessage,
  encodePing,
  fromBase64Url,
  hasFlag,
  type InstantMessage,
  MsgFlag,
  PacketType,
  PeerwireError,
  readPacketType,
  TokenBucket,
  toBase64Url,
} from '@peerwire/wire';
import { localOnlyBus, type RelayBus } from './bus.js';
import { type RelayLimits, resolveLimits } from './limits.js';
import { MemoryRelayStore, type RelayStore, type StoredMembership } from './store.js';

/** What the host gives the relay for one connection (a transport `Link` satisfies it). */
export interface RelayPeer {
  send(packet: Uint8Array): unknown;
  /** Bytes handed to `send` that are not yet written out. */
  readonly bufferedAmount: number;
  close(code: number, reason: string): void;
}

/** Injected time: milliseconds since the Unix epoch. */
export interface RelayClock {
  now(): number;
}

/** Injected randomness. */
export interface RelayRandom {
  /** `n` cryptographically random bytes (handshake nonces, connection names). */
  bytes(n: number): Uint8Array;
  /** A uniform integer in [0, n) (choosing among an identity's connections). */
  int(n: number): number;
}

/** Why the relay dropped a message without delivering it. */
export type DropReason =
  | 'no_route'
  | 'no_route_response'
  | 'queue_full'
  | 'invalid_sender'
  | 'bus_rejected'
  /** A response beyond the sender's response budget (responses are dropped, not punished). */
  | 'rate_limited';

/** Why the relay closed a connection or refused it. */
export type RejectReason =
  | 'bad_packet'
  | 'too_large'
  | 'not_online'
  | 'unexpected_handshake'
  | 'handshake_failed'
  | 'handshake_timeout'
  | 'rate_limited'
  | 'too_many_connections'
  | 'too_many_connections_from_ip'
  | 'shutting_down'
  /** The transport gave up on a peer that stopped reading (its send buffer hit the hard cap). */
  | 'not_reading'
  /** The transport closed the connection for a protocol violation (bad framing, text frames). */
  | 'transport_violation';

export type RelayEvent =
  | { readonly type: 'open'; readonly cid: string; readonly address: string }
  | {
      readonly type: 'online';
      readonly cid: string;
      readonly hash: string;
      readonly handshakeMs: number;
    }
  | {
      readonly type: 'close';
      readonly cid: string;
      readonly hash: string | undefined;
      readonly reason: string;
    }
  | {
      readonly type: 'reject';
      readonly reason: RejectReason;
      readonly cid?: string;
      readonly detail: string;
    }
  | {
      readonly type: 'handshake_failed';
      readonly cid: string;
      readonly code: string;
      readonly detail: string;
    }
  | { readonly type: 'store_error'; readonly operation: string; readonly error: unknown };

/** Counters, cumulative since the relay started. */
export interface RelayStats {
  connections: number;
  online: number;
  handshakes: number;
  handshakeFailures: number;
  messagesIn: number;
  bytesIn: number;
  messagesRouted: number;
  bytesRouted: number;
  endpointRequests: number;
  pings: number;
  /** Text WebSocket messages admitted by the budgets and ignored (spec §2.1). */
  ignored: number;
  drops: Record<DropReason, number>;
  rejects: Record<RejectReason, number>;
}

export interface RelayOptions {
  /** Short name of this relay (`srv` in handshakes, `<srv>` in `c.<srv>.<id>`). */
  readonly serverCode: string;
  /** Version text served by `@/version`. */
  readonly version?: string;
  readonly limits?: Partial<RelayLimits>;
  readonly store?: RelayStore;
  readonly bus?: RelayBus;
  readonly clock?: RelayClock;
  readonly random?: RelayRandom;
  /**
   * Crypto for handshake verification (default: `@peerwire/crypto`'s default backend). The
   * daemon passes `nodeThreadPoolBackend` so that verifications leave the event loop.
   */
  readonly cryptoBackend?: CryptoBackend;
  /** Observability hook; called synchronously, keep it cheap. */
  readonly onEvent?: (event: RelayEvent) => void;
}

// WebSocket close codes used by the relay (RFC 6455).
export const CLOSE_POLICY = 1008;
export const CLOSE_TOO_BIG = 1009;
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_TRY_LATER = 1013;

const defaultClock: RelayClock = { now: () => Date.now() };
const defaultRandom: RelayRandom = {
  bytes: (n) => globalThis.crypto.getRandomValues(new Uint8Array(n)),
  int: (n) => Math.floor(Math.random() * n),
};

const encoder = new TextEncoder();
/** Parsed targets kept (cleared when full; a miss only costs a parse). */
const TARGET_CACHE_SIZE = 4096;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** One connection, as the relay sees it. */
class Connection {
  state: 'handshaking' | 'online' | 'closed' = 'handshaking';
  /** A handshake response is being verified (the connection keeps its state meanwhile). */
  verifying = false;
  /** Raw payload of the outstanding HandshakeRequest (what the client must sign). */
  outstanding: Uint8Array | null = null;
  deadline: number;
  readonly openedAt: number;
  refreshed = false;
  card: IDCard | null = null;
  hash = '';
  /** `k.<hash>` prefix for sender rewriting. */
  senderPrefix = '';
  groups: readonly string[] = [];
  readonly messages: TokenBucket;
  /**
   * Responses have their own, larger budget: a peer that is sent many requests answers many, and
   * that must not get it disconnected (a reflection attack). Excess responses are dropped.
   */
  readonly responses: TokenBucket;
  readonly bytes: TokenBucket;

  constructor(
    readonly cid: string,
    readonly clientId: string,
    readonly address: string,
    readonly peer: RelayPeer,
    now: number,
    limits: RelayLimits,
  ) {
    this.openedAt = now;
    this.deadline = now + limits.handshakeTimeoutMs;
    this.messages = new TokenBucket(limits.messagesPerSecond, limits.messageBurst, now);
    this.responses = new TokenBucket(2 * limits.messagesPerSecond, 2 * limits.messageBurst, now);
    this.bytes = new TokenBucket(limits.bytesPerSecond, limits.byteBurst, now);
  }
}

/** The handle the host keeps for one accepted connection. */
export interface Session {
  /** `<srv>.<clientid>` */
  readonly cid: string;
  /** Feeds one received packet (one binary WebSocket message). */
  receive(packet: Uint8Array): void;
  /**
   * Counts a message the transport received but ignores (a text WebSocket message, spec §2.1)
   * against the same budgets as packets: over `maxPacketBytes` closes with 1009, past the
   * message or byte rate closes with 1008 (`rate_limited`), like a binary flood.
   */
  ignored(bytes: number): void;
  /**
   * Tells the relay the connection is gone. Pass the close info when the transport has it: a
   * close the transport itself made (oversized frame, peer not reading) is counted as a reject.
   */
  closed(info?: { readonly code: number; readonly reason: string; readonly local: boolean }): void;
}

export class Relay {
  readonly serverCode: string;
  readonly version: string;
  readonly limits: RelayLimits;
  readonly store: RelayStore;
  readonly #bus: RelayBus;
  readonly #clock: RelayClock;
  readonly #random: RelayRandom;
  readonly #cryptoBackend: CryptoBackend | undefined;
  /** Every signature check in the core goes through the injected backend. */
  readonly #backendOptions: { readonly backend?: CryptoBackend };
  /** Blob writes of one identity, one after the other: a quota check and its write are atomic. */
  readonly #blobWrites = new Map<string, Promise<unknown>>();
  readonly #onEvent: (event: RelayEvent) => void;

  readonly #connections = new Map<string, Connection>();
  readonly #byIdentity = new Map<string, Connection[]>();
  readonly #byAddress = new Map<string, number>();
  /** group hash → identity hashes with a valid membership declared in their online card */
  readonly #cardGroups = new Map<string, Set<string>>();
  /** group hash → subject hash → registry membership */
  readonly #registry = new Map<string, Map<string, StoredMembership>>();
  /** watched identity hash → subscriber identity hashes */
  readonly #subscribers = new Map<string, Set<string>>();
  readonly #subscriptionCount = new Map<string, number>();
  /** Parsed recipient targets (recipients repeat; parsing validates a hash each time). */
  readonly #targets = new Map<string, Target | null>();
  /**
   * `<identity hash> <request id>` → the connection that sent the request, for identities with
   * several connections, oldest first (see `#rememberReplyRoute`).
   */
  readonly #replyRoutes = new Map<string, { conn: Connection; expires: number }>();
  #shuttingDown = false;

  readonly stats: RelayStats = {
    connections: 0,
    online: 0,
    handshakes: 0,
    handshakeFailures: 0,
    messagesIn: 0,
    bytesIn: 0,
    messagesRouted: 0,
    bytesRouted: 0,
    endpointRequests: 0,
    pings: 0,
    ignored: 0,
    drops: {
      no_route: 0,
      no_route_response: 0,
      queue_full: 0,
      invalid_sender: 0,
      bus_rejected: 0,
      rate_limited: 0,
    },
    rejects: {
      bad_packet: 0,
      too_large: 0,
      not_online: 0,
      unexpected_handshake: 0,
      handshake_failed: 0,
      handshake_timeout: 0,
      rate_limited: 0,
      too_many_connections: 0,
      too_many_connections_from_ip: 0,
      shutting_down: 0,
      not_reading: 0,
      transport_violation: 0,
    },
  };

  constructor(options: RelayOptions) {
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(options.serverCode)) {
      throw new PeerwireError('BAD_CONFIG', 'serverCode must be 1 to 32 letters, digits, - or _');
    }
    this.serverCode = options.serverCode;
    this.version = options.version ?? 'peerwire-relay';
    this.limits = resolveLimits(options.limits);
    this.store = options.store ?? new MemoryRelayStore();
    this.#bus = options.bus ?? localOnlyBus;
    this.#clock = options.clock ?? defaultClock;
    this.#random = options.random ?? defaultRandom;
    this.#cryptoBackend = options.cryptoBackend;
    this.#backendOptions = options.cryptoBackend ? { backend: options.cryptoBackend } : {};
    this.#onEvent = options.onEvent ?? (() => {});
  }

  /** Loads the membership registry from the store. Call once before accepting connections. */
  async start(): Promise<void> {
    for (const m of await this.store.listMemberships()) this.#registryPut(m);
  }

  // -------------------------------------------------------------------------------------------
  // Connections

  /**
   * Whether a new connection from `address` would be accepted now; hosts call it before the
   * WebSocket upgrade to refuse cheaply. Returns the refusal reason, or null.
   */
  refusal(address: string): { reason: RejectReason; detail: string } | null {
    if (this.#shuttingDown) return { reason: 'shutting_down', detail: 'relay is shutting down' };
    if (this.#connections.size >= this.limits.maxConnections) {
      return {
        reason: 'too_many_connections',
        detail: `relay is full (${this.limits.maxConnections} connections)`,
      };
    }
    if ((this.#byAddress.get(address) ?? 0) >= this.limits.maxConnectionsPerIp) {
      return {
        reason: 'too_many_connections_from_ip',
        detail: `too many connections from ${address} (limit ${this.limits.maxConnectionsPerIp})`,
      };
    }
    return null;
  }

  /**
   * Accepts a connection and sends it the first HandshakeRequest. Returns null (after closing
   * the peer with a reason) when a limit refuses it.
   */
  accept(peer: RelayPeer, address: string): Session | null {
    const refused = this.refusal(address);
    if (refused) {
      this.#reject(refused.reason, refused.detail);
      peer.close(CLOSE_TRY_LATER, refused.detail);
      return null;
    }
    const clientId = this.#newClientId();
    const cid = `${this.serverCode}.${clientId}`;
    const now = this.#clock.now();
    const conn = new Connection(cid, clientId, address, peer, now, this.limits);
    this.#connections.set(clientId, conn);
    this.#byAddress.set(address, (this.#byAddress.get(address) ?? 0) + 1);
    this.stats.connections++;
    this.#onEvent({ type: 'open', cid, address });
    this.#challenge(conn, null);
    return {
      cid,
      receive: (packet) => this.#receive(conn, packet),
      ignored: (bytes) => this.#ignored(conn, bytes),
      closed: (info) => {
        if (conn.state === 'closed') return;
        if (info?.local) {
          const reason: RejectReason =
            info.code === CLOSE_TOO_BIG
              ? 'too_large'
              : info.code === CLOSE_POLICY
                ? 'not_reading'
                : 'transport_violation';
          this.#reject(reason, info.reason || `closed by the transport (${info.code})`, conn.cid);
        }
        this.#closed(
          conn,
          info
            ? `${info.local ? 'closed locally' : 'closed by peer'} (${info.code}${info.reason ? `: ${info.reason}` : ''})`
            : 'closed by peer',
        );
      },
    };
  }

  /** Number of open connections. */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /** Closes connections whose handshake deadline passed. Call it about once a second. */
  tick(): void {
    const now = this.#clock.now();
    for (const conn of this.#connections.values()) {
      if (conn.state !== 'online' && now > conn.deadline) {
        this.#kick(
          conn,
          'handshake_timeout',
          CLOSE_POLICY,
          `handshake not completed within ${this.limits.handshakeTimeoutMs} ms`,
        );
      }
    }
  }

  /** Asks an online connection to prove its identity again (e.g. after a group change). */
  rechallenge(cid: string): boolean {
    const conn = this.#connections.get(cid.slice(this.serverCode.length + 1));
    if (conn?.state !== 'online') return false;
    this.#challenge(conn, this.#missingMemberships(conn));
    return true;
  }

  /** Refuses new connections and closes every open one with `reason` (1001 going away). */
  shutdown(reason = 'relay shutting down'): void {
    this.#shuttingDown = true;
    for (const conn of [...this.#connections.values()])
      this.#kick(conn, 'shutting_down', CLOSE_GOING_AWAY, reason);
  }

  /** Total bytes waiting in connections' send buffers (for draining on shutdown). */
  get bufferedBytes(): number {
    let total = 0;
    for (const conn of this.#connections.values()) total += conn.peer.bufferedAmount;
    return total;
  }

  #newClientId(): string {
    const r = this.#random.bytes(15);
    let s = '';
    for (let i = 0; i < 24; i++) {
      const bit = i * 5;
      const byte = bit >> 3;
      const v = ((r[byte]! << 8) | (r[byte + 1] ?? 0)) >> (11 - (bit & 7));
      s += BASE32[v & 31];
    }
    return `conn-${s.slice(0, 6)}-${s.slice(6, 10)}-${s.slice(10, 14)}-${s.slice(14, 18)}-${s.slice(18)}`;
  }

  #challenge(conn: Connection, groups: readonly Uint8Array[] | null): void {
    const packet = encodeHandshakeRequest({
      ready: false,
      serverCode: this.serverCode,
      clientId: conn.cid,
      nonce: this.#random.bytes(32),
      groups,
    });
    conn.outstanding = packet.subarray(1);
    if (conn.state === 'online') conn.deadline = this.#clock.now() + this.limits.handshakeTimeoutMs;
    conn.peer.send(packet);
  }

  #reject(reason: RejectReason, detail: string, cid?: string): void {
    this.stats.rejects[reason]++;
    this.#onEvent(
      cid === undefined
        ? { type: 'reject', reason, detail }
        : { type: 'reject', reason, detail, cid },
    );
  }

  /** Closes a connection for a violation, with a reason naming the rule. */
  #kick(conn: Connection, reason: RejectReason, code: number, detail: string): void {
    if (conn.state === 'closed') return;
    this.#reject(reason, detail, conn.cid);
    this.#closed(conn, detail);
    conn.peer.close(code, detail.length > 120 ? `${detail.slice(0, 117)}...` : detail);
  }

  #closed(conn: Connection, reason: string): void {
    if (conn.state === 'closed') return;
    const wasOnline = conn.state === 'online';
    conn.state = 'closed';
    this.#connections.delete(conn.clientId);
    const n = (this.#byAddress.get(conn.address) ?? 1) - 1;
    if (n > 0) this.#byAddress.set(conn.address, n);
    else this.#byAddress.delete(conn.address);
    if (wasOnline) this.#goOffline(conn);
    this.#onEvent({ type: 'close', cid: conn.cid, hash: conn.hash || undefined, reason });
  }

  // -------------------------------------------------------------------------------------------
  // Packets

  #receive(conn: Connection, packet: Uint8Array): void {
    if (conn.state === 'closed') return;
    if (packet.length > this.limits.maxPacketBytes) {
      this.#kick(
        conn,
        'too_large',
        CLOSE_TOO_BIG,
        `packet of ${packet.length} bytes exceeds ${this.limits.maxPacketBytes}`,
      );
      return;
    }
    let type: PacketType;
    try {
      type = readPacketType(packet);
    } catch (error) {
      this.#kick(conn, 'bad_packet', CLOSE_POLICY, `bad packet: ${(error as Error).message}`);
      return;
    }
    if (type === PacketType.InstantMessage) this.#onMessage(conn, packet);
    else if (type === PacketType.Handshake) this.#onHandshake(conn, packet);
    else this.#onPing(conn, packet);
  }

  #ignored(conn: Connection, bytes: number): void {
    if (conn.state === 'closed') return;
    if (bytes > this.limits.maxPacketBytes) {
      this.#kick(
        conn,
        'too_large',
        CLOSE_TOO_BIG,
        `message of ${bytes} bytes exceeds ${this.limits.maxPacketBytes}`,
      );
      return;
    }
    if (this.#admit(conn, bytes)) this.stats.ignored++;
  }

  #onPing(conn: Connection, packet: Uint8Array): void {
    if (packet.length - 1 > this.limits.maxPingBytes) {
      this.#kick(
        conn,
        'too_large',
        CLOSE_TOO_BIG,
        `ping payload of ${packet.length - 1} bytes exceeds ${this.limits.maxPingBytes}`,
      );
      return;
    }
    if (!this.#admit(conn, packet.length)) return;
    this.stats.pings++;
    conn.peer.send(encodePing(packet.subarray(1)));
  }

  /**
   * Rate limits. A connection that floods requests (or pings) is closed; responses beyond their
   * budget are dropped and counted.
   */
  #admit(conn: Connection, bytes: number, isResponse = false): boolean {
    const now = this.#clock.now();
    if (isResponse) {
      if (conn.responses.take(1, now) && conn.bytes.take(bytes, now)) return true;
      this.stats.drops.rate_limited++;
      return false;
    }
    if (!conn.messages.take(1, now)) {
      this.#kick(
        conn,
        'rate_limited',
        CLOSE_POLICY,
        `rate limit exceeded: more than ${this.limits.messagesPerSecond} messages/s`,
      );
      return false;
    }
    if (!conn.bytes.take(bytes, now)) {
      this.#kick(
        conn,
        'rate_limited',
        CLOSE_POLICY,
        `rate limit exceeded: more than ${this.limits.bytesPerSecond} bytes/s`,
      );
      return false;
    }
    return true;
  }

  #onHandshake(conn: Connection, packet: Uint8Array): void {
    const raw = conn.outstanding;
    if (raw === null || conn.verifying) {
      this.#kick(
        conn,
        'unexpected_handshake',
        CLOSE_POLICY,
        'handshake response without an outstanding request',
      );
      return;
    }
    let response: ReturnType<typeof decodeHandshakeResponse>;
    try {
      response = decodeHandshakeResponse(packet);
    } catch (error) {
      this.#kick(
        conn,
        'bad_packet',
        CLOSE_POLICY,
        `bad handshake response: ${(error as Error).message}`,
      );
      return;
    }
    conn.outstanding = null;
    conn.verifying = true;
    const blob = response.id;
    verifyHandshake(raw, response, {
      now: Math.floor(this.#clock.now() / 1000),
      backend: this.#cryptoBackend,
    }).then(
      (verified) => {
        conn.verifying = false;
        return this.#onVerified(conn, verified.card, verified.hash, blob!);
      },
      (error: unknown) => {
        conn.verifying = false;
        if (conn.state === 'closed') return;
        this.stats.handshakeFailures++;
        const code = error instanceof PeerwireError ? error.code : 'ERROR';
        const detail = error instanceof Error ? error.message : String(error);
        this.#onEvent({ type: 'handshake_failed', cid: conn.cid, code, detail });
        this.#kick(conn, 'handshake_failed', CLOSE_POLICY, `handshake failed: ${detail}`);
      },
    );
  }

  async #onVerified(conn: Connection, card: IDCard, hash: string, blob: Uint8Array): Promise<void> {
    if (conn.state === 'closed') return;
    const wasOnline = conn.state === 'online';
    if (wasOnline && hash !== conn.hash) {
      this.#kick(
        conn,
        'handshake_failed',
        CLOSE_POLICY,
        'handshake failed: a re-challenge must be answered by the same identity',
      );
      return;
    }
    this.stats.handshakes++;
    const firstTime = conn.card === null;
    conn.card = card;
    conn.hash = hash;
    conn.senderPrefix = `k.${hash}`;
    const missing = this.#missingMemberships(conn);
    if (missing !== null && !conn.refreshed) {
      conn.refreshed = true;
      this.#challenge(conn, missing);
      return;
    }
    const groups = await this.#verifiedCardGroups(card);
    if (isClosed(conn)) return; // it may have closed while the groups were verified
    if (wasOnline) this.#goOffline(conn);
    conn.groups = groups;
    conn.state = 'online';
    this.#goOnline(conn);
    conn.peer.send(
      encodeHandshakeRequest({
        ready: true,
        serverCode: this.serverCode,
        clientId: conn.cid,
        nonce: this.#random.bytes(32),
        groups: null,
      }),
    );
    if (firstTime)
      this.#onEvent({
        type: 'online',
        cid: conn.cid,
        hash,
        handshakeMs: this.#clock.now() - conn.openedAt,
      });
    void this.#rememberCard(hash, card.issued, blob);
  }

  /** Valid group memberships in the presented card, each checked against the group key. */
  async #verifiedCardGroups(card: IDCard): Promise<string[]> {
    const out: string[] = [];
    for (const m of (card.groups ?? []).slice(0, 32)) {
      if (m.status !== 'valid') continue;
      try {
        const copy = Membership.decode(m.encode());
        copy.subject = card.self;
        if (await copy.verify(this.#backendOptions)) out.push(identityHash(copy.key));
      } catch {
        // an unverifiable membership is simply not honoured
      }
    }
    return out;
  }

  #goOnline(conn: Connection): void {
    const list = this.#byIdentity.get(conn.hash);
    if (list) list.push(conn);
    else this.#byIdentity.set(conn.hash, [conn]);
    for (const g of conn.groups) {
      getOrCreate(this.#cardGroups, g, () => new Set<string>()).add(conn.hash);
    }
    this.stats.online++;
    this.#bus.announce?.({ type: 'online', cid: conn.cid, hash: conn.hash, groups: conn.groups });
  }

  #goOffline(conn: Connection): void {
    const list = this.#byIdentity.get(conn.hash);
    if (list) {
      const i = list.indexOf(conn);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.#byIdentity.delete(conn.hash);
    }
    if (!this.#byIdentity.has(conn.hash)) {
      for (const g of conn.groups) {
        const members = this.#cardGroups.get(g);
        members?.delete(conn.hash);
        if (members?.size === 0) this.#cardGroups.delete(g);
      }
    }
    this.stats.online--;
    this.#bus.announce?.({ type: 'offline', cid: conn.cid, hash: conn.hash, groups: conn.groups });
  }

  /** Keeps the newest card of each identity for `@/idcard_find`, and tells its watchers. */
  async #rememberCard(hash: string, issued: number, blob: Uint8Array): Promise<void> {
    try {
      const stored = await this.store.getCard(hash);
      if (stored && (stored.issued > issued || bytesEq(stored.blob, blob))) return;
      await this.store.putCard(hash, { blob, issued });
      if (stored) this.#pushCardUpdate(hash, blob);
    } catch (error) {
      this.#onEvent({ type: 'store_error', operation: 'putCard', error });
    }
  }

  #pushCardUpdate(hash: string, blob: Uint8Array): void {
    for (const subscriber of this.#subscribers.get(hash) ?? []) {
      const conns = this.#byIdentity.get(subscriber);
      if (!conns?.length) continue;
      const packet = encodeInstantMessage({
        id: this.#random.bytes(16),
        flags: MsgFlag.NotBottle,
        recipient: `k.${subscriber}/idcard_update`,
        sender: '@/',
        body: blob,
      });
      this.#deliverTo(conns[this.#random.int(conns.length)]!, packet);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Instant messages

  #onMessage(conn: Connection, packet: Uint8Array): void {
    if (conn.state !== 'online') {
      this.#kick(
        conn,
        'not_online',
        CLOSE_POLICY,
        'instant message before the handshake completed',
      );
      return;
    }
    let msg: InstantMessage;
    try {
      msg = decodeInstantMessage(packet, {
        maxBodyLength: this.limits.maxBodyBytes,
        maxNameLength: this.limits.maxNameBytes,
      });
    } catch (error) {
      const tooLarge =
        error instanceof DecodeError &&
        (error.code === 'BODY_TOO_LARGE' || error.code === 'NAME_TOO_LONG');
      this.#kick(
        conn,
        tooLarge ? 'too_large' : 'bad_packet',
        tooLarge ? CLOSE_TOO_BIG : CLOSE_POLICY,
        `bad instant message: ${(error as Error).message}`,
      );
      return;
    }
    const isResponse = hasFlag(msg.flags, MsgFlag.Response);
    if (!this.#admit(conn, packet.length, isResponse)) return;
    this.stats.messagesIn++;
    this.stats.bytesIn += packet.length;

    if (msg.sender.charCodeAt(0) !== 47 /* '/' */) {
      this.stats.drops.invalid_sender++;
      if (!isResponse) this.#replyError(conn, msg, `${conn.senderPrefix}/`, 'invalid sender');
      return;
    }
    const sender = conn.senderPrefix + msg.sender;
    const slash = msg.recipient.indexOf('/');
    const targetText = slash < 0 ? msg.recipient : msg.recipient.slice(0, slash);
    const target = this.#parseTarget(targetText);
    if (target === null) {
      this.#noRoute(conn, msg, sender, isResponse);
      return;
    }
    if (target.type === '@') {
      this.stats.endpointRequests++;
      void this.#endpoint(conn, msg, sender, slash < 0 ? '' : msg.recipient.slice(slash + 1));
      return;
    }
    const dest =
      (isResponse && target.type === 'k' ? this.#takeReplyRoute(target.hash, msg.id) : undefined) ??
      this.#route(target, conn);
    let out: Uint8Array;
    try {
      out = encodeInstantMessage(
        { id: msg.id, flags: msg.flags, recipient: msg.recipient, sender, body: msg.body },
        { maxBodyLength: this.limits.maxBodyBytes, maxNameLength: this.limits.maxNameBytes },
      );
    } catch {
      // only the rewritten sender can be too long: the rest passed the decoder's limits
      this.stats.drops.invalid_sender++;
      if (!isResponse)
        this.#replyError(
          conn,
          msg,
          `${conn.senderPrefix}/`,
          'sender endpoint too long once prefixed with your k. address',
        );
      return;
    }
    if (!isResponse && (this.#byIdentity.get(conn.hash)?.length ?? 0) > 1) {
      this.#rememberReplyRoute(conn, msg.id);
    }
    if (dest) {
      this.#deliverTo(dest, out);
    } else if (target.type !== '' && this.#bus.deliver(target, out)) {
      this.stats.messagesRouted++;
      this.stats.bytesRouted += out.length;
    } else {
      this.#noRoute(conn, msg, sender, isResponse);
    }
  }

  #parseTarget(text: string): Target | null {
    let target = this.#targets.get(text);
    if (target === undefined) {
      try {
        target = parseTarget(text);
      } catch {
        target = null;
      }
      if (this.#targets.size >= TARGET_CACHE_SIZE) this.#targets.clear();
      this.#targets.set(text, target);
    }
    return target;
  }

  /**
   * Responses go to `k.<hash>/…` like anything else, and the relay would pick any connection
   * of that identity: with two (a `peerwire spot listen` and a query from another terminal on
   * the same keychain), half the answers would reach the connection that did not ask and be
   * dropped there. So while an identity has several connections, the relay remembers who sent
   * each request and routes its response back to that connection if it is still online.
   */
  #rememberReplyRoute(conn: Connection, id: Uint8Array): void {
    const now = this.#clock.now();
    for (const [key, route] of this.#replyRoutes) {
      if (route.expires > now && this.#replyRoutes.size < this.limits.maxReplyRoutes) break;
      this.#replyRoutes.delete(key);
    }
    const key = replyRouteKey(conn.hash, id);
    this.#replyRoutes.delete(key); // a repeated id moves to the end
    this.#replyRoutes.set(key, { conn, expires: now + this.limits.replyRouteTtlMs });
  }

  #takeReplyRoute(hash: string, id: Uint8Array): Connection | undefined {
    if (this.#replyRoutes.size === 0) return undefined;
    const key = replyRouteKey(hash, id);
    const route = this.#replyRoutes.get(key);
    if (route === undefined) return undefined;
    this.#replyRoutes.delete(key);
    const { conn } = route;
    return conn.state === 'online' && conn.hash === hash && route.expires > this.#clock.now()
      ? conn
      : undefined;
  }

  /** Picks the local connection a target resolves to, if any. */
  #route(target: Target, from: Connection): Connection | undefined {
    switch (target.type) {
      case 'k': {
        if (
          target.server !== undefined &&
          target.server !== this.serverCode &&
          !this.#byIdentity.has(target.hash)
        ) {
          return undefined;
        }
        const conns = this.#byIdentity.get(target.hash);
        if (!conns) return undefined;
        return conns.length === 1 ? conns[0] : conns[this.#random.int(conns.length)];
      }
      case 'c': {
        if (target.server !== this.serverCode) return undefined;
        const conn = this.#connections.get(target.clientId);
        return conn?.state === 'online' ? conn : undefined;
      }
      case 'g': {
        const members = this.#groupMembers(target.hash, true);
        const others = members.filter((h) => h !== from.hash);
        const pool = others.length > 0 ? others : members;
        if (pool.length === 0) return undefined;
        const conns = this.#byIdentity.get(pool[this.#random.int(pool.length)]!)!;
        return conns[this.#random.int(conns.length)];
      }
      default:
        return undefined;
    }
  }

  #deliverTo(dest: Connection, packet: Uint8Array): boolean {
    if (dest.peer.bufferedAmount > this.limits.maxQueuedBytes) {
      this.stats.drops.queue_full++;
      return false;
    }
    dest.peer.send(packet);
    this.stats.messagesRouted++;
    this.stats.bytesRouted += packet.length;
    return true;
  }

  #noRoute(conn: Connection, msg: InstantMessage, sender: string, isResponse: boolean): void {
    if (isResponse) {
      this.stats.drops.no_route_response++;
      return;
    }
    this.stats.drops.no_route++;
    this.#replyError(conn, msg, sender, `no route to ${msg.recipient}`);
  }

  /** Raw reply to `conn` (flags Response | NotBottle, plus Error when `error`). */
  #reply(
    conn: Connection,
    msg: InstantMessage,
    recipient: string,
    body: Uint8Array,
    error: boolean,
  ): void {
    const packet = encodeInstantMessage(
      {
        id: msg.id,
        flags: error
          ? MsgFlag.Response | MsgFlag.Error | MsgFlag.NotBottle
          : MsgFlag.Response | MsgFlag.NotBottle,
        recipient,
        sender: '@/',
        body,
      },
      { maxBodyLength: Number.MAX_SAFE_INTEGER },
    );
    this.#deliverTo(conn, packet);
  }

  #replyError(conn: Connection, msg: InstantMessage, recipient: string, text: string): void {
    this.#reply(conn, msg, recipient, encoder.encode(text), true);
  }

  /** Identity hashes of the members of a group; only connected ones when `online`. */
  #groupMembers(group: string, online: boolean): string[] {
    const out = new Set<string>();
    for (const h of this.#cardGroups.get(group) ?? []) out.add(h);
    for (const [subject, m] of this.#registry.get(group) ?? []) {
      if (m.status === 'valid') out.add(subject);
    }
    const list = [...out];
    return online ? list.filter((h) => this.#byIdentity.has(h)) : list;
  }

  // -------------------------------------------------------------------------------------------
  // Relay endpoints (@/…)

  async #endpoint(
    conn: Connection,
    msg: InstantMessage,
    sender: string,
    endpoint: string,
  ): Promise<void> {
    const isResponse = hasFlag(msg.flags, MsgFlag.Response);
    const ep = endpoint.split('/')[0]!;
    try {
      const payload = await this.#requestPayload(conn, msg);
      const result = await this.#serve(conn, ep, payload);
      if (!isResponse && conn.state === 'online') this.#reply(conn, msg, sender, result, false);
    } catch (error) {
      if (isResponse || conn.state !== 'online') return;
      const text = error instanceof EndpointError ? error.message : 'internal error';
      if (!(error instanceof EndpointError))
        this.#onEvent({ type: 'store_error', operation: ep, error });
      this.#replyError(conn, msg, sender, text);
    }
  }

  /**
   * The request payload: raw with NotBottle, else a sign-only bottle whose signatures must all
   * verify and include a `sign` key of the sender's card.
   */
  async #requestPayload(conn: Connection, msg: InstantMessage): Promise<Uint8Array> {
    if (hasFlag(msg.flags, MsgFlag.NotBottle)) return msg.body;
    let opened: Awaited<ReturnType<typeof openBottle>>;
    try {
      opened = await openBottle(msg.body, undefined, this.#backendOptions);
    } catch (error) {
      throw new EndpointError(`invalid request bottle: ${(error as Error).message}`);
    }
    const now = Math.floor(this.#clock.now() / 1000);
    const card = conn.card!;
    if (!opened.signers.some((s) => card.testKeyPurpose(s.pkix, 'sign', now))) {
      throw new EndpointError('request is not signed by a sign key of your IDCard');
    }
    return opened.payload;
  }

  async #serve(conn: Connection, endpoint: string, payload: Uint8Array): Promise<Uint8Array> {
    switch (endpoint) {
      case 'version':
        return encoder.encode(this.version);
      case 'time': {
        const ms = this.#clock.now();
        const out = new Uint8Array(12);
        const view = new DataView(out.buffer);
        view.setBigUint64(0, BigInt(Math.floor(ms / 1000)), false);
        view.setUint32(8, Math.floor((ms % 1000) * 1e6), false);
        return out;
      }
      case 'idcard_find':
        return this.#idcardFind(conn, payload);
      case 'group_list':
        return this.#groupList(payload);
      case 'group_update':
        return this.#groupUpdate(payload);
      case 'store_blob':
        return this.#storeBlob(conn, payload);
      case 'fetch_blob':
        return this.#fetchBlob(conn, payload);
      case 'p_api':
        throw new EndpointError('p_api is not supported by this relay');
      default:
        throw new EndpointError(`unknown endpoint ${endpoint}`);
    }
  }

  async #idcardFind(conn: Connection, payload: Uint8Array): Promise<Uint8Array> {
    if (payload.length !== 32) throw new EndpointError('idcard_find takes a 32-byte identity hash');
    const hash = toBase64Url(payload);
    const card = await this.store.getCard(hash);
    if (!card) throw new EndpointError('idcard not found');
    this.#subscribe(conn.hash, hash);
    return card.blob;
  }

  #subscribe(subscriber: string, watched: string): void {
    if (subscriber === watched) return;
    if (this.#subscribers.get(watched)?.has(subscriber)) return;
    const count = this.#subscriptionCount.get(subscriber) ?? 0;
    if (count >= this.limits.maxSubscriptionsPerIdentity) return;
    getOrCreate(this.#subscribers, watched, () => new Set<string>()).add(subscriber);
    this.#subscriptionCount.set(subscriber, count + 1);
  }

  #groupList(payload: Uint8Array): Uint8Array {
    if (payload.length === 0) throw new EndpointError('group_list takes the group key (PKIX)');
    const members = this.#groupMembers(identityHash(payload), false);
    const out = new Uint8Array(members.length * 32);
    for (let i = 0; i < members.length; i++) out.set(fromBase64Url(members[i]!), i * 32);
    return out;
  }

  async #groupUpdate(payload: Uint8Array): Promise<Uint8Array> {
    let m: Membership;
    try {
      m = Membership.decode(payload);
    } catch (error) {
      throw new EndpointError(`invalid membership: ${(error as Error).message}`);
    }
    if (m.subject === null) throw new EndpointError('membership has no subject');
    if (!bytesEq(m.signKey, m.key))
      throw new EndpointError('membership must be signed by the group key');
    if (!(await m.verify(this.#backendOptions)))
      throw new EndpointError('membership signature does not verify');
    const stored: StoredMembership = {
      bytes: payload.slice(),
      group: identityHash(m.key),
      subject: identityHash(m.subject),
      issued: m.issued,
      status: m.status,
    };
    const existing = this.#registry.get(stored.group)?.get(stored.subject);
    if (existing && existing.issued > stored.issued)
      throw new EndpointError('a newer membership is already registered');
    const members = this.#registry.get(stored.group);
    if (!existing && members && members.size >= this.limits.maxMembersPerGroup) {
      throw new EndpointError(`group is full (${this.limits.maxMembersPerGroup} members)`);
    }
    await this.store.putMembership(stored);
    this.#registryPut(stored);
    for (const conn of this.#byIdentity.get(stored.subject) ?? []) {
      conn.refreshed = false;
      if (this.#missingMemberships(conn)) this.rechallenge(conn.cid);
    }
    return new Uint8Array(0);
  }

  #registryPut(m: StoredMembership): void {
    getOrCreate(this.#registry, m.group, () => new Map<string, StoredMembership>()).set(
      m.subject,
      m,
    );
  }

  /** Registry memberships (valid) of the connection's identity that its card lacks, or null. */
  #missingMemberships(conn: Connection): Uint8Array[] | null {
    const card = conn.card;
    if (!card) return null;
    const have = new Set((card.groups ?? []).map((m) => `${identityHash(m.key)}@${m.issued}`));
    const missing: Uint8Array[] = [];
    for (const [group, members] of this.#registry) {
      const m = members.get(conn.hash);
      if (m && m.status === 'valid' && !have.has(`${group}@${m.issued}`)) missing.push(m.bytes);
    }
    return missing.length > 0 ? missing : null;
  }

  /**
   * Requests of one connection run concurrently, so two pipelined `store_blob`s could both pass
   * the quota check before either write lands. Writes of one identity are queued instead.
   */
  #storeBlob(conn: Connection, payload: Uint8Array): Promise<Uint8Array> {
    const previous = this.#blobWrites.get(conn.hash) ?? Promise.resolve();
    const run = previous.then(
      () => this.#storeBlobNow(conn, payload),
      () => this.#storeBlobNow(conn, payload),
    );
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.#blobWrites.set(conn.hash, settled);
    void settled.then(() => {
      if (this.#blobWrites.get(conn.hash) === settled) this.#blobWrites.delete(conn.hash);
    });
    return run;
  }

  async #storeBlobNow(conn: Connection, payload: Uint8Array): Promise<Uint8Array> {
    const zero = payload.indexOf(0);
    if (zero < 0) throw new EndpointError('store_blob takes key ‖ 0x00 ‖ value');
    if (zero === 0) throw new EndpointError('blob key is empty');
    if (zero > this.limits.maxBlobKeyBytes)
      throw new EndpointError(`blob key longer than ${this.limits.maxBlobKeyBytes} bytes`);
    const key = payload.subarray(0, zero);
    const value = payload.subarray(zero + 1);
    if (value.length === 0) {
      await this.store.deleteBlob(conn.hash, key);
      return new Uint8Array(0);
    }
    const usage = await this.store.blobUsage(conn.hash);
    const old = await this.store.getBlob(conn.hash, key);
    const count = usage.count + (old ? 0 : 1);
    const bytes = usage.bytes - (old?.length ?? 0) + value.length;
    if (count > this.limits.maxBlobsPerIdentity)
      throw new EndpointError(`blob quota exceeded (${this.limits.maxBlobsPerIdentity} blobs)`);
    if (bytes > this.limits.maxBlobBytesPerIdentity) {
      throw new EndpointError(`blob quota exceeded (${this.limits.maxBlobBytesPerIdentity} bytes)`);
    }
    await this.store.putBlob(conn.hash, key, value);
    return new Uint8Array(0);
  }

  async #fetchBlob(conn: Connection, payload: Uint8Array): Promise<Uint8Array> {
    if (payload.length === 0) throw new EndpointError('fetch_blob takes a key');
    const value = await this.store.getBlob(conn.hash, payload);
    if (!value) throw new EndpointError('blob not found');
    return value;
  }

  // -------------------------------------------------------------------------------------------
  // Cluster

  /** Delivers a packet that another relay forwarded here (local routes only). */
  deliverFromBus(target: Target, packet: Uint8Array): boolean {
    let dest: Connection | undefined;
    if (target.type === 'k') {
      const conns = this.#byIdentity.get(target.hash);
      dest = conns?.[this.#random.int(conns.length)];
    } else if (target.type === 'c' && target.server === this.serverCode) {
      dest = this.#connections.get(target.clientId);
    }
    return dest?.state === 'online' ? this.#deliverTo(dest, packet) : false;
  }
}

/** A failure of an `@/` request, answered to the client as an error text. */
class EndpointError extends PeerwireError {
  constructor(message: string) {
    super('ENDPOINT_FAILED', message);
  }
}

function replyRouteKey(hash: string, id: Uint8Array): string {
  return `${hash} ${String.fromCharCode(...id)}`;
}

function getOrCreate<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}

/** Reads the state afresh (TypeScript's narrowing does not know an `await` can change it). */
function isClosed(conn: Connection): boolean {
  return conn.state === 'closed';
}

function bytesEq(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
