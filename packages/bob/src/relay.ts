import { BobError } from './errors.js';
import {
  DEFAULT_MAX_IDENTITY_LENGTH,
  encodeFrame,
  type Packet,
  PacketDecoder,
  type PacketName,
  type RelayFailure,
} from './packet.js';
import {
  type ConnectionId,
  type RelayAction,
  SecureRoom,
  type SecureRoomEvent,
  type SecureRoomLimits,
} from './secure-room.js';

/** Default cap on handshake connections. */
export const DEFAULT_MAX_PEERS = 10_000;
/**
 * Default idle timeout of a handshake connection, reset by every byte it sends (spec §12 leaves
 * the value open). A sender waiting for its receiver is idle: 15 minutes leaves time to pass
 * the password on.
 */
export const DEFAULT_IDLE_TIMEOUT_MS = 15 * 60_000;
/** Default overall cap on a handshake connection's life (bob's `-t`, 3600 s). */
export const DEFAULT_MAX_LIFETIME_MS = 3_600_000;
/** Default cap on handshake connections from one IP address (the Spot port's per-IP default). */
export const DEFAULT_MAX_PEERS_PER_ADDRESS = 64;
/**
 * Default time a handshake connection has to say hello (register as sender or receiver). bob
 * peers say it as soon as they connect; a connection that stays silent is cut long before the
 * 15-minute idle timeout a registered sender waiting for its receiver needs.
 */
export const DEFAULT_REGISTER_TIMEOUT_MS = 30_000;

export interface BobRelayLimits extends SecureRoomLimits {
  /** Most handshake connections at once (default {@link DEFAULT_MAX_PEERS}); then new ones are closed. */
  readonly maxPeers?: number;
  /** Idle timeout, reset by activity (default {@link DEFAULT_IDLE_TIMEOUT_MS}). */
  readonly idleTimeoutMs?: number;
  /** Overall cap, never reset (default {@link DEFAULT_MAX_LIFETIME_MS}). */
  readonly maxLifetimeMs?: number;
  /** Longest identity in packets (default 99). */
  readonly maxIdentityLength?: number;
  /** Most handshake connections from one IP address (default {@link DEFAULT_MAX_PEERS_PER_ADDRESS}). */
  readonly maxPeersPerAddress?: number;
  /** Time to register with a hello before being cut (default {@link DEFAULT_REGISTER_TIMEOUT_MS}). */
  readonly registerTimeoutMs?: number;
}

export type PeerKind = 'server' | 'client';

/** What the relay did and why, for logs and metrics (`onEvent`). */
export type BobRelayEvent =
  | SecureRoomEvent
  | {
      readonly type: 'registered';
      readonly conn: ConnectionId;
      readonly uid: number;
      readonly kind: PeerKind;
      readonly identity: string;
    }
  | {
      readonly type: 'forwarded';
      readonly from: number;
      readonly to: number;
      readonly packet: PacketName;
    }
  | {
      readonly type: 'dropped';
      readonly conn: ConnectionId;
      readonly packet: PacketName;
      readonly dst: number;
      readonly reason: string;
    }
  | {
      readonly type: 'paired';
      readonly client: string;
      readonly server: string;
      readonly clientUid: number;
      readonly serverUid: number;
    }
  | { readonly type: 'handshake-failed'; readonly from: number; readonly to: number }
  | { readonly type: 'refused'; readonly client: number; readonly server: number }
  | {
      readonly type: 'relay-failure';
      readonly conn: ConnectionId;
      readonly uid: number;
      readonly failure: RelayFailure;
    }
  | {
      readonly type: 'timeout';
      readonly conn: ConnectionId;
      readonly why: 'idle' | 'lifetime' | 'unregistered';
    }
  | { readonly type: 'protocol-error'; readonly conn: ConnectionId; readonly error: BobError }
  | { readonly type: 'rejected'; readonly conn: ConnectionId; readonly reason: string }
  | { readonly type: 'gone'; readonly conn: ConnectionId; readonly uid: number | undefined };

/** Counters the relay keeps (monotonic unless named as current). */
export interface BobRelayStats {
  /** Current handshake connections. */
  readonly connections: number;
  /** Current registered senders / receivers. */
  readonly servers: number;
  readonly clients: number;
  readonly registered: number;
  readonly forwarded: number;
  readonly dropped: number;
  readonly pairings: number;
  readonly handshakeFailures: number;
  readonly refusals: number;
  readonly timeouts: number;
  readonly protocolErrors: number;
  readonly securePaired: number;
  readonly secureRefused: number;
}

interface Peer {
  readonly conn: ConnectionId;
  readonly identity: string;
  readonly address: string;
  readonly connectedAt: number;
  readonly decoder: PacketDecoder;
  lastActivity: number;
  uid?: number;
  kind?: PeerKind;
  public?: Uint8Array;
  /** uids of the peers of the other kind this one may talk to; kept symmetric. */
  readonly candidates: Set<number>;
  closing: boolean;
}

/** Packets a peer sends to another peer, and the kind of their destination (spec §1.3). */
const DESTINATION: Partial<Record<PacketName, PeerKind | 'opposite'>> = {
  'client-validator': 'server',
  'x-and-client-identity': 'server',
  accepted: 'server',
  refused: 'server',
  'y-and-server-validator': 'client',
  agreement: 'client',
  'spoke-failure': 'opposite',
};

/** Packets that need the pair to still be candidates of each other. */
const NEEDS_CANDIDATE = new Set<PacketName>([
  'client-validator',
  'x-and-client-identity',
  'y-and-server-validator',
  'agreement',
  'accepted',
]);

/**
 * The bob relay (spec §1, §3, §4, §12) as a sans-I/O core: the I/O layer reports connections,
 * bytes, disconnections and the time; the core answers with `RelayAction`s (bytes to write,
 * connections to close, pipes to start). Wire-compatible with OCaml peers, with peerwire's
 * fixes: `Refused` forwarded, `N0000` parsed, every uid 1–0xffff usable, eager cleanup with `09`
 * notices, an activity-reset idle timeout under the overall cap, and secure-room pairing only from
 * the handshake's addresses.
 */
export class BobRelay {
  readonly #maxPeers: number;
  readonly #idle: number;
  readonly #lifetime: number;
  readonly #maxIdentity: number;
  readonly #maxPerAddress: number;
  readonly #registerTimeout: number;
  /** Handshake connections per IP address. */
  readonly #perAddress = new Map<string, number>();
  readonly #onEvent: (event: BobRelayEvent) => void;
  readonly #peers = new Map<ConnectionId, Peer>();
  readonly #uids = new Map<number, Peer>();
  readonly #secure: SecureRoom;
  #nextUid = 1;
  readonly #stats = {
    registered: 0,
    forwarded: 0,
    dropped: 0,
    pairings: 0,
    handshakeFailures: 0,
    refusals: 0,
    timeouts: 0,
    protocolErrors: 0,
    securePaired: 0,
    secureRefused: 0,
  };

  constructor(options: { limits?: BobRelayLimits; onEvent?: (event: BobRelayEvent) => void } = {}) {
    const limits = options.limits ?? {};
    this.#maxPeers = limits.maxPeers ?? DEFAULT_MAX_PEERS;
    this.#idle = limits.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.#lifetime = limits.maxLifetimeMs ?? DEFAULT_MAX_LIFETIME_MS;
    this.#maxIdentity = limits.maxIdentityLength ?? DEFAULT_MAX_IDENTITY_LENGTH;
    this.#maxPerAddress = limits.maxPeersPerAddress ?? DEFAULT_MAX_PEERS_PER_ADDRESS;
    this.#registerTimeout = limits.registerTimeoutMs ?? DEFAULT_REGISTER_TIMEOUT_MS;
    this.#onEvent = options.onEvent ?? (() => {});
    this.#secure = new SecureRoom(limits, (event) => {
      if (event.type === 'secure-paired') this.#stats.securePaired++;
      if (event.type === 'secure-refused') this.#stats.secureRefused++;
      this.#onEvent(event);
    });
  }

  get stats(): BobRelayStats {
    let servers = 0;
    let clients = 0;
    for (const p of this.#uids.values()) {
      if (p.kind === 'server') servers++;
      else clients++;
    }
    return { connections: this.#peers.size, servers, clients, ...this.#stats };
  }

  // ---- handshake port -------------------------------------------------------------------------

  /**
   * A new connection on the handshake port. `identity` is `"<ip>:<port>"` as the relay sees it
   * (bob's format, IPv6 without brackets); `address` is the IP alone.
   */
  connect(
    conn: ConnectionId,
    peer: { identity: string; address: string },
    now: number,
  ): RelayAction[] {
    if (this.#peers.size >= this.#maxPeers) {
      this.#onEvent({ type: 'rejected', conn, reason: `already ${this.#maxPeers} connections` });
      return [{ type: 'close', conn }];
    }
    if (peer.identity.length > this.#maxIdentity || peer.identity.includes('\0')) {
      this.#onEvent({ type: 'rejected', conn, reason: 'identity too long' });
      return [{ type: 'close', conn }];
    }
    const fromAddress = this.#perAddress.get(peer.address) ?? 0;
    if (fromAddress >= this.#maxPerAddress) {
      this.#onEvent({
        type: 'rejected',
        conn,
        reason: `already ${this.#maxPerAddress} connections from ${peer.address}`,
      });
      return [{ type: 'close', conn }];
    }
    this.#perAddress.set(peer.address, fromAddress + 1);
    this.#peers.set(conn, {
      conn,
      identity: peer.identity,
      address: peer.address,
      connectedAt: now,
      lastActivity: now,
      decoder: new PacketDecoder({ maxIdentityLength: this.#maxIdentity }),
      candidates: new Set(),
      closing: false,
    });
    return [];
  }

  /** Bytes received on a handshake connection. */
  receive(conn: ConnectionId, bytes: Uint8Array, now: number): RelayAction[] {
    const peer = this.#peers.get(conn);
    if (!peer || peer.closing) return [];
    peer.lastActivity = now;
    const actions: RelayAction[] = [];
    let frames: ReturnType<PacketDecoder['push']>;
    try {
      frames = peer.decoder.push(bytes);
    } catch (error) {
      const err = error instanceof BobError ? error : new BobError('BAD_PACKET', String(error));
      this.#stats.protocolErrors++;
      this.#onEvent({ type: 'protocol-error', conn, error: err });
      this.#remove(peer, actions);
      actions.push({ type: 'close', conn });
      return actions;
    }
    for (const { uid, packet } of frames) {
      if (peer.closing) break;
      this.#process(peer, uid, packet, now, actions);
    }
    return actions;
  }

  /** The connection went away (EOF, error, or after a close the core asked for). */
  disconnect(conn: ConnectionId, _now: number): RelayAction[] {
    const peer = this.#peers.get(conn);
    if (!peer) return this.#secure.disconnect(conn, _now);
    const actions: RelayAction[] = [];
    this.#onEvent({ type: 'gone', conn, uid: peer.uid });
    this.#remove(peer, actions);
    this.#peers.delete(conn);
    const left = (this.#perAddress.get(peer.address) ?? 1) - 1;
    if (left > 0) this.#perAddress.set(peer.address, left);
    else this.#perAddress.delete(peer.address);
    return actions;
  }

  // ---- secure port ----------------------------------------------------------------------------

  /** A new connection on the secure port, from IP `address`. */
  secureConnect(conn: ConnectionId, address: string, now: number): RelayAction[] {
    return this.#secure.connect(conn, address, now);
  }

  /** Bytes received on a secure-port connection before it is piped. */
  secureReceive(conn: ConnectionId, bytes: Uint8Array, now: number): RelayAction[] {
    return this.#secure.receive(conn, bytes, now);
  }

  /** A secure-port connection ended (or one side of a pipe reached EOF / failed). */
  secureDisconnect(conn: ConnectionId, now: number): RelayAction[] {
    return this.#secure.disconnect(conn, now);
  }

  // ---- time -----------------------------------------------------------------------------------

  /** Applies every timeout due at `now`. Call it periodically. */
  tick(now: number): RelayAction[] {
    const actions: RelayAction[] = [];
    for (const peer of [...this.#peers.values()]) {
      if (peer.closing) continue;
      const why = this.#timeoutOf(peer, now);
      if (why === undefined) continue;
      this.#stats.timeouts++;
      this.#onEvent({ type: 'timeout', conn: peer.conn, why });
      if (peer.uid !== undefined) {
        actions.push({ type: 'send', conn: peer.conn, bytes: encodeFrame(0, { type: 'timeout' }) });
      }
      this.#remove(peer, actions);
      actions.push({ type: 'close', conn: peer.conn });
    }
    actions.push(...this.#secure.tick(now));
    return actions;
  }

  /** Earliest time `tick` has work, if any. */
  nextDeadline(): number | undefined {
    let next = this.#secure.nextDeadline();
    for (const peer of this.#peers.values()) {
      if (peer.closing) continue;
      let t = Math.min(peer.lastActivity + this.#idle, peer.connectedAt + this.#lifetime);
      if (peer.uid === undefined) t = Math.min(t, peer.connectedAt + this.#registerTimeout);
      if (next === undefined || t < next) next = t;
    }
    return next;
  }

  #timeoutOf(peer: Peer, now: number): 'idle' | 'lifetime' | 'unregistered' | undefined {
    if (now >= peer.connectedAt + this.#lifetime) return 'lifetime';
    if (peer.uid === undefined && now >= peer.connectedAt + this.#registerTimeout)
      return 'unregistered';
    if (now >= peer.lastActivity + this.#idle) return 'idle';
    return undefined;
  }

  // ---- internals ------------------------------------------------------------------------------

  #send(peer: Peer, src: number, packet: Packet, actions: RelayAction[]): void {
    actions.push({
      type: 'send',
      conn: peer.conn,
      bytes: encodeFrame(src, packet, { maxIdentityLength: this.#maxIdentity }),
    });
  }

  #drop(peer: Peer, dst: number, packet: Packet, reason: string): void {
    this.#stats.dropped++;
    this.#onEvent({ type: 'dropped', conn: peer.conn, packet: packet.type, dst, reason });
  }

  #allocateUid(): number | undefined {
    for (let i = 0; i < 0xffff; i++) {
      const uid = this.#nextUid;
      this.#nextUid = uid === 0xffff ? 1 : uid + 1;
      if (!this.#uids.has(uid)) return uid;
    }
    return undefined;
  }

  #process(peer: Peer, dst: number, packet: Packet, now: number, actions: RelayAction[]): void {
    if (dst === 0) {
      this.#toRelay(peer, packet, actions);
      return;
    }
    if (peer.uid === undefined || peer.kind === undefined) {
      this.#drop(peer, dst, packet, 'the sender has not said hello');
      return;
    }
    const target = DESTINATION[packet.type];
    if (target === undefined) {
      this.#drop(peer, dst, packet, 'only the relay sends this packet');
      return;
    }
    const kind: PeerKind =
      target === 'opposite' ? (peer.kind === 'server' ? 'client' : 'server') : target;
    if (kind === peer.kind) {
      this.#drop(peer, dst, packet, `a ${peer.kind} cannot talk to another ${peer.kind}`);
      return;
    }
    const other = this.#uids.get(dst);
    if (!other || other.kind !== kind || other.closing) {
      this.#drop(peer, dst, packet, `no ${kind} with uid ${dst}`);
      this.#send(peer, 0, { type: 'closed', uid: dst }, actions);
      return;
    }
    const linked = peer.candidates.has(dst);
    if (NEEDS_CANDIDATE.has(packet.type) && !linked) {
      this.#drop(peer, dst, packet, 'these peers are no longer candidates of each other');
      return;
    }
    switch (packet.type) {
      case 'spoke-failure':
        this.#stats.handshakeFailures++;
        this.#onEvent({ type: 'handshake-failed', from: peer.uid, to: dst });
        this.#unlink(peer, other);
        break;
      case 'refused':
        // OCaml relays swallow Refused; peerwire forwards it so the sender learns the answer.
        this.#stats.refusals++;
        this.#onEvent({ type: 'refused', client: peer.uid, server: dst });
        this.#unlink(peer, other);
        break;
      case 'accepted':
        this.#pair(peer, other, now, actions);
        return;
    }
    this.#stats.forwarded++;
    this.#onEvent({ type: 'forwarded', from: peer.uid, to: dst, packet: packet.type });
    this.#send(other, peer.uid, packet, actions);
  }

  #toRelay(peer: Peer, packet: Packet, actions: RelayAction[]): void {
    switch (packet.type) {
      case 'hello-as-a-server':
      case 'hello-as-a-client': {
        const kind: PeerKind = packet.type === 'hello-as-a-server' ? 'server' : 'client';
        if (peer.kind !== undefined && peer.kind !== kind) {
          this.#drop(peer, 0, packet, `a registered ${peer.kind} said hello as a ${kind}`);
          return;
        }
        if (peer.uid === undefined) {
          const uid = this.#allocateUid();
          if (uid === undefined) {
            this.#drop(peer, 0, packet, 'no free uid');
            return;
          }
          peer.uid = uid;
          peer.kind = kind;
          this.#uids.set(uid, peer);
          this.#stats.registered++;
          this.#onEvent({
            type: 'registered',
            conn: peer.conn,
            uid,
            kind,
            identity: peer.identity,
          });
        }
        const uid = peer.uid;
        if (packet.type === 'hello-as-a-server') {
          peer.public = packet.public;
          this.#send(peer, 0, { type: 'server-identity', identity: peer.identity }, actions);
          for (const c of this.#uids.values()) {
            if (c.kind !== 'client' || c.closing) continue;
            peer.candidates.add(c.uid!);
            c.candidates.add(uid);
            this.#send(
              c,
              0,
              { type: 'new-server', uid, public: packet.public, identity: peer.identity },
              actions,
            );
          }
        } else {
          this.#send(peer, 0, { type: 'client-identity', identity: peer.identity }, actions);
          for (const s of this.#uids.values()) {
            if (s.kind !== 'server' || s.closing || !s.public) continue;
            peer.candidates.add(s.uid!);
            s.candidates.add(uid);
            this.#send(
              peer,
              0,
              { type: 'new-server', uid: s.uid!, public: s.public, identity: s.identity },
              actions,
            );
          }
        }
        return;
      }
      case 'relay-failure':
        if (peer.uid === undefined) {
          this.#drop(peer, 0, packet, 'the sender has not said hello');
          return;
        }
        this.#onEvent({
          type: 'relay-failure',
          conn: peer.conn,
          uid: peer.uid,
          failure: packet.failure,
        });
        return;
      default:
        this.#drop(peer, 0, packet, 'not a packet for the relay');
    }
  }

  #unlink(a: Peer, b: Peer): void {
    a.candidates.delete(b.uid!);
    b.candidates.delete(a.uid!);
  }

  /** Accepted: forward it, send Done, close both, register the pair for the secure room. */
  #pair(client: Peer, server: Peer, now: number, actions: RelayAction[]): void {
    const clientUid = client.uid!;
    const serverUid = server.uid!;
    this.#unlink(client, server);
    this.#remove(client, actions);
    this.#remove(server, actions);
    this.#send(server, clientUid, { type: 'accepted' }, actions);
    actions.push({ type: 'close', conn: server.conn });
    this.#send(client, 0, { type: 'done' }, actions);
    actions.push({ type: 'close', conn: client.conn });
    this.#secure.addPair([client.identity, server.identity], [client.address, server.address], now);
    this.#stats.pairings++;
    this.#stats.forwarded++;
    this.#onEvent({
      type: 'paired',
      client: client.identity,
      server: server.identity,
      clientUid,
      serverUid,
    });
  }

  /**
   * Unregisters a peer (it stays known by connection until `disconnect`) and tells every peer
   * that had it as a candidate with `09 <uid>`: the eager cleanup of spec §12.
   */
  #remove(peer: Peer, actions: RelayAction[]): void {
    if (peer.closing) return;
    peer.closing = true;
    if (peer.uid === undefined) return;
    this.#uids.delete(peer.uid);
    for (const uid of peer.candidates) {
      const other = this.#uids.get(uid);
      if (!other) continue;
      other.candidates.delete(peer.uid);
      if (!other.closing) this.#send(other, 0, { type: 'closed', uid: peer.uid }, actions);
    }
    peer.candidates.clear();
  }
}
