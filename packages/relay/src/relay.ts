/**
 * The Spot relay as a sans-I/O state machine: connections are handed in as `RelayPeer`s (send,
 * close, bufferedAmount), packets come in through `Session.receive`, time through the injected
 * clock and `tick()`, randomness through the injected source. It opens no socket, starts no
 * timer and awaits nothing: signature checks and store operations leave it as `RelayWork`
 * tickets that the host completes with `complete(ticket, result, now)` (by default an internal
 * `WorkRunner` does, against the store and the crypto backend). So a test can run hundreds of
 * clients in one process and replay any sequence of events and completions.
 *
 * This file is the façade: the connection table, packet intake, rate limits and closes. The
 * handshake (`handshake.ts`), routing and presence (`router.ts`, the cluster seam), the group
 * registry (`group-registry.ts`) and the `@/` endpoints (`endpoints/`) are their own parts.
 */
import type { Target } from '@peerwire/address';
import type { CryptoBackend } from '@peerwire/crypto';
import {
  cryptoRandom,
  DecodeError,
  decodeInstantMessage,
  encodeInstantMessage,
  encodePing,
  hasFlag,
  type InstantMessage,
  MsgFlag,
  PacketType,
  readPacketType,
  truncateReason,
  wallClock,
} from '@peerwire/wire';
import { base32nopad } from '@scure/base';
import { localOnlyBus, type RelayBus } from './bus.js';
import { CLOSE_GOING_AWAY, CLOSE_POLICY, CLOSE_TOO_BIG, CLOSE_TRY_LATER } from './close-codes.js';
import { Connection, type RelayPeer, type Session } from './connection.js';
import type { RelayClock, RelayContext, RelayRandom } from './context.js';
import { BlobEndpoints } from './endpoints/blobs.js';
import { EndpointDispatcher } from './endpoints/dispatcher.js';
import { GroupEndpoints } from './endpoints/groups.js';
import { IdCards } from './endpoints/idcard.js';
import { pApiEndpoint, timeEndpoint, versionEndpoint } from './endpoints/time.js';
import { RelayError } from './errors.js';
import { emptyStats, type RejectReason, type RelayEvent, type RelayStats } from './events.js';
import { GroupRegistry } from './group-registry.js';
import { Handshake } from './handshake.js';
import { type RelayLimits, resolveLimits } from './limits.js';
import { Router } from './router.js';
import { MemoryRelayStore, type RelayStore } from './store.js';
import { Tickets } from './tickets.js';
import type { RelayWork, WorkResult } from './work.js';
import { WorkRunner } from './work-runner.js';

export { CLOSE_GOING_AWAY, CLOSE_POLICY, CLOSE_TOO_BIG, CLOSE_TRY_LATER } from './close-codes.js';
export type { RelayPeer, Session } from './connection.js';
export type { RelayClock, RelayRandom } from './context.js';
export type { DropReason, RejectReason, RelayEvent, RelayStats } from './events.js';

export interface RelayOptions {
  /** Short name of this relay (`srv` in handshakes, `<srv>` in `c.<srv>.<id>`). */
  readonly serverCode: string;
  /** Version text served by `@/version`. */
  readonly version?: string;
  readonly limits?: Partial<RelayLimits>;
  readonly store?: RelayStore;
  readonly bus?: RelayBus;
  /** Time (default: `wallClock`, the system clock; tests pass a fake one). */
  readonly clock?: RelayClock;
  /** Randomness (default: `cryptoRandom`, WebCrypto; tests pass a seeded one). */
  readonly random?: RelayRandom;
  /**
   * Crypto for every signature check the default `WorkRunner` makes (handshakes, request
   * bottles, memberships; default: `@peerwire/crypto`'s default backend). The daemon passes
   * `nodeThreadPoolBackend` so that verifications leave the event loop.
   */
  readonly cryptoBackend?: CryptoBackend;
  /**
   * Takes the core's asynchronous work instead of the default `WorkRunner`: the host runs each
   * `RelayWork` (against `store` and its crypto) and hands the outcome back with
   * `relay.complete(work.ticket, result, now)`, in any order. Called synchronously from inside
   * the core's inputs: queue the work, do not complete it from within the call.
   */
  readonly onWork?: (work: RelayWork) => void;
  /** Observability hook; called synchronously, keep it cheap. */
  readonly onEvent?: (event: RelayEvent) => void;
}

export class Relay {
  readonly serverCode: string;
  readonly version: string;
  readonly limits: RelayLimits;
  readonly store: RelayStore;
  readonly stats: RelayStats = emptyStats();
  readonly #ctx: RelayContext;
  readonly #connections = new Map<string, Connection>();
  readonly #byAddress = new Map<string, number>();
  readonly #registry = new GroupRegistry();
  readonly #router: Router;
  readonly #handshake: Handshake;
  readonly #endpoints: EndpointDispatcher;
  readonly #tickets: Tickets;
  #shuttingDown = false;

  constructor(options: RelayOptions) {
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(options.serverCode)) {
      throw new RelayError('BAD_CONFIG', 'serverCode must be 1 to 32 letters, digits, - or _');
    }
    this.serverCode = options.serverCode;
    this.version = options.version ?? 'peerwire-relay';
    this.limits = resolveLimits(options.limits);
    this.store = options.store ?? new MemoryRelayStore();
    const onEvent = options.onEvent ?? (() => {});
    this.#ctx = {
      serverCode: this.serverCode,
      version: this.version,
      limits: this.limits,
      store: this.store,
      clock: options.clock ?? wallClock,
      random: options.random ?? cryptoRandom,
      stats: this.stats,
      event: onEvent,
    };
    const ctx = this.#ctx;
    if (options.onWork) {
      this.#tickets = new Tickets(options.onWork);
    } else {
      const runner = new WorkRunner(this.store, options.cryptoBackend);
      const done = (ticket: number, result: WorkResult) =>
        this.complete(ticket, result, ctx.clock.now());
      const fault = (error: unknown) =>
        onEvent({ type: 'store-error', operation: 'complete', error });
      this.#tickets = new Tickets((work) => runner.run(work, done, fault));
    }
    const tickets = this.#tickets;
    this.#router = new Router(ctx, options.bus ?? localOnlyBus, this.#registry, this.#connections);
    const cards = new IdCards(ctx, this.#router, tickets);
    this.#handshake = new Handshake(
      ctx,
      this.#router,
      this.#registry,
      cards,
      tickets,
      (conn, reason, code, detail) => this.#kick(conn, reason, code, detail),
    );
    const groups = new GroupEndpoints(ctx, this.#registry, this.#router, (conn) =>
      this.#handshake.membershipChanged(conn, ctx.clock.now()),
    );
    this.#endpoints = new EndpointDispatcher(ctx, this.#router, tickets, [
      versionEndpoint(ctx),
      timeEndpoint(),
      cards.endpoint,
      ...groups.endpoints,
      ...new BlobEndpoints(ctx).endpoints,
      pApiEndpoint,
    ]);
  }

  /** Loads the membership registry from the store. Call once before accepting connections. */
  async start(): Promise<void> {
    for (const m of await this.store.listMemberships()) this.#registry.put(m);
  }

  /**
   * Hands in the outcome of a `RelayWork` ticket (see `onWork`); `now` is the current time.
   * Throws `RelayError` `UNKNOWN_TICKET` for a ticket that is not outstanding.
   */
  complete(ticket: number, result: WorkResult, now: number): void {
    this.#tickets.complete(ticket, result, now);
  }

  /** Work tickets emitted and not completed yet, and work waiting behind them (per identity). */
  get pendingWork(): { readonly outstanding: number; readonly queued: number } {
    return { outstanding: this.#tickets.outstanding, queued: this.#tickets.queued };
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
    const now = this.#ctx.clock.now();
    const conn = new Connection(cid, clientId, address, peer, now, this.limits);
    this.#connections.set(clientId, conn);
    this.#byAddress.set(address, (this.#byAddress.get(address) ?? 0) + 1);
    this.stats.connections++;
    this.#ctx.event({ type: 'open', cid, address });
    this.#handshake.challenge(conn, null, now);
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
    const now = this.#ctx.clock.now();
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
    this.#handshake.challenge(
      conn,
      this.#handshake.missingMemberships(conn),
      this.#ctx.clock.now(),
    );
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

  /**
   * Delivers a packet that relay `origin` forwarded here (local routes only, never forwarded
   * again); see `RelayBus`. Returns whether it was delivered.
   */
  deliverFromBus(target: Target, packet: Uint8Array, origin?: string): boolean {
    return this.#router.deliverFromBus(target, packet, origin);
  }

  #newClientId(): string {
    // 15 random bytes = 120 bits = 24 RFC 4648 base32 characters, lower-cased.
    const s = base32nopad.encode(this.#ctx.random.bytes(15)).toLowerCase();
    return `conn-${s.slice(0, 6)}-${s.slice(6, 10)}-${s.slice(10, 14)}-${s.slice(14, 18)}-${s.slice(18)}`;
  }

  #reject(reason: RejectReason, detail: string, cid?: string): void {
    this.stats.rejects[reason]++;
    this.#ctx.event(
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
    conn.peer.close(code, truncateReason(detail));
  }

  #closed(conn: Connection, reason: string): void {
    if (conn.state === 'closed') return;
    const wasOnline = conn.state === 'online';
    conn.state = 'closed';
    this.#connections.delete(conn.clientId);
    const n = (this.#byAddress.get(conn.address) ?? 1) - 1;
    if (n > 0) this.#byAddress.set(conn.address, n);
    else this.#byAddress.delete(conn.address);
    if (wasOnline) this.#router.offline(conn);
    this.#ctx.event({ type: 'close', cid: conn.cid, hash: conn.hash || undefined, reason });
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
    else if (type === PacketType.Handshake)
      this.#handshake.receive(conn, packet, this.#ctx.clock.now());
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
    const now = this.#ctx.clock.now();
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

  /** An instant message: checked, its sender rewritten, then served (`@/`) or routed. */
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

    const router = this.#router;
    if (msg.sender.charCodeAt(0) !== 47 /* '/' */) {
      this.stats.drops.invalid_sender++;
      if (!isResponse) router.replyError(conn, msg, `${conn.senderPrefix}/`, 'invalid sender');
      return;
    }
    const sender = conn.senderPrefix + msg.sender;
    const slash = msg.recipient.indexOf('/');
    const target = router.parseTarget(slash < 0 ? msg.recipient : msg.recipient.slice(0, slash));
    if (target === null) {
      router.noRoute(conn, msg, sender, isResponse);
      return;
    }
    if (target.type === '@') {
      this.stats.endpointRequests++;
      this.#endpoints.serve(
        conn,
        msg,
        sender,
        slash < 0 ? '' : msg.recipient.slice(slash + 1),
        this.#ctx.clock.now(),
      );
      return;
    }
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
        router.replyError(
          conn,
          msg,
          `${conn.senderPrefix}/`,
          'sender endpoint too long once prefixed with your k. address',
        );
      return;
    }
    router.forward(conn, msg, sender, target, out);
  }
}
