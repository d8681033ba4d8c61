import { type Endpoint, formatEndpoint, formatIp } from '../codec/address.js';
import { type BaseToPeerMessage, decodeBaseToPeer } from '../codec/base-to-peer.js';
import type { DeviceId } from '../codec/device-id.js';
import type { Identity, RandomSource } from '../codec/identity.js';
import {
  decodeMulticast,
  encodeMulticast,
  isAcceptableMulticastSource,
  MULTICAST_GROUPS,
  MULTICAST_PORT,
} from '../codec/multicast.js';
import { encodePeerToBase, sealPeerToBase } from '../codec/peer-to-base.js';
import {
  decodePeerToPeer,
  encodePeerToPeer,
  type PeerToPeerMessage,
} from '../codec/peer-to-peer.js';
import type { Ed25519Verify } from '../codec/signature.js';
import { NatbaseError } from '../errors.js';
import { DEFAULT_HOST_AGENT_LIMITS, type HostAgentLimits, resolveLimits } from '../limits.js';
import { RateTable } from '../server/rate-table.js';
import { type ActiveBase, BaseLink } from './base-link.js';
import { DirectPaths, errorText, sameBytes } from './direct-paths.js';
import { keysOf, NatHandshake } from './nat-handshake.js';
import { type Peer, PeerTable } from './peers.js';
import type {
  HostAgentAction,
  HostAgentEvent,
  HostAgentStats,
  HostConnectionId,
  HostDropReason,
  PathKind,
  PeerPath,
} from './types.js';

export interface HostAgentOptions {
  readonly identity: Identity;
  /** The TCP addresses of the base servers; all are tried at once (§8.1). */
  readonly bases: readonly Endpoint[];
  /** The UDP source port of the host's socket (announced by multicast, §10). */
  readonly sourcePort: number;
  /** The host's local addresses with its UDP port, sent in INFO (fc94 addresses are left out). */
  readonly localAddresses?: readonly Endpoint[];
  /** Random bytes for hello cookies and evictions (injected). */
  readonly random: RandomSource;
  /** Send the §10 multicast announcements and listen to them (default true). */
  readonly multicast?: boolean;
  /** A USER_AGENT text sent right after connecting (default none; optional upstream too). */
  readonly userAgent?: string;
  readonly limits?: Partial<HostAgentLimits>;
  readonly onEvent?: (event: HostAgentEvent) => void;
  /** The Ed25519 verifier for peer HELLOs (default the portable `nobleEd25519Verify`). */
  readonly verify?: Ed25519Verify;
}

const DROP_REASONS: readonly HostDropReason[] = [
  'bad-frame',
  'malformed',
  'bad-hello',
  'unknown-peer',
  'stale-reply',
  'unknown-source',
  'bad-multicast',
  'peer-limit',
  'not-active-base',
  'no-path',
  'rate-limited',
];

/** P2B DATA = 33 + n bytes must fit a TCP record: the largest payload `send` takes. */
const DATA_OVERHEAD = 33;

/**
 * The host agent of spec §8 as a sans-I/O core: base connections with failover, the NAT
 * handshake (NAT_INIT / NAT_OK / NAT_OK_CONFIRM), INFO and REQUEST_INFO, the §8.2 send order,
 * direct paths by HELLO / HELLO_REPLY every refresh, the §9 source-address map and the §10
 * multicast discovery. The I/O layer reports TCP, UDP and multicast input and the time; the core
 * answers with `HostAgentAction`s and reports datagrams and path changes through `onEvent`.
 */
export class HostAgent {
  readonly limits: HostAgentLimits;
  readonly identity: Identity;
  readonly #random: RandomSource;
  readonly #onEvent: (event: HostAgentEvent) => void;
  readonly #verify: Ed25519Verify | undefined;
  readonly #multicast: boolean;
  readonly #sourcePort: number;
  readonly #link: BaseLink;
  readonly #peers: PeerTable;
  readonly #direct: DirectPaths;
  readonly #helloRate: RateTable;
  #local: Endpoint[];
  /** Base UDP addresses of the last STATE, the primary first. */
  readonly #nat: NatHandshake;
  #udpAliveReported = false;
  #lastRefresh = Number.NEGATIVE_INFINITY;
  #started = false;
  #timerAt = Number.POSITIVE_INFINITY;
  #now = 0;
  readonly #counts = {
    sentDirect: 0,
    sentBaseUdp: 0,
    sentBaseTcp: 0,
    received: 0,
    hellosSent: 0,
  };
  readonly #drops = Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<
    HostDropReason,
    number
  >;

  constructor(options: HostAgentOptions) {
    this.limits = resolveLimits(DEFAULT_HOST_AGENT_LIMITS, options.limits);
    if (options.bases.length === 0) throw new NatbaseError('BAD_VALUE', 'no base server given');
    this.identity = options.identity;
    this.#random = options.random;
    this.#onEvent = options.onEvent ?? (() => {});
    this.#verify = options.verify;
    this.#multicast = options.multicast ?? true;
    this.#sourcePort = options.sourcePort;
    this.#local = filterLocal(options.localAddresses ?? []);
    this.#peers = new PeerTable(this.limits.maxPeers, this.limits.maxSourceAddresses, (n) =>
      randomIndex(this.#random, n),
    );
    this.#nat = new NatHandshake(this.identity, this.limits);
    this.#direct = new DirectPaths(
      this.identity,
      this.#peers,
      this.limits,
      this.#random,
      options.verify,
      {
        counts: this.#counts,
        drop: (reason, detail) => this.#drop(reason, detail),
        wantTimer: (at, actions) => this.#wantTimer(at, actions),
        reportPath: (peer, now) => this.#reportPath(peer, now),
        event: (e) => this.#onEvent(e),
      },
    );
    this.#helloRate = new RateTable(
      this.limits.helloRatePerSecond,
      this.limits.helloBurst,
      this.limits.maxTrackedHelloSources,
    );
    this.#link = new BaseLink(
      options.bases,
      this.limits,
      {
        chosen: (active, now, actions) => this.#baseChosen(active, now, actions),
        lost: (base, now, actions) => this.#baseLost(base, now, actions),
        message: (msg, now, actions) => this.#baseMessage(msg, 'tcp', now, actions),
        drop: (reason, detail) => this.#drop(reason, detail),
      },
      options.userAgent,
    );
  }

  get stats(): HostAgentStats {
    return {
      peers: this.#peers.size,
      ...this.#counts,
      baseConnects: this.#link.connects,
      drops: { ...this.#drops },
    };
  }

  /** The TCP address of the base in use, if any. */
  get base(): Endpoint | undefined {
    return this.#link.active?.base;
  }

  /** Whether UDP to the base is alive (a NAT_OK within `udpBaseAliveMs`). */
  get baseUdpAlive(): boolean {
    return this.#nat.alive(this.#now);
  }

  /** A peer's path state (`none` for an unknown peer). */
  peer(deviceId: DeviceId): PeerPath {
    const p = this.#peers.get(deviceId);
    return p ? this.#pathOf(p, this.#now) : { deviceId: deviceId.slice(), path: 'none' };
  }

  /** Every known peer's path state. */
  peers(): PeerPath[] {
    return [...this.#peers.values()].map((p) => this.#pathOf(p, this.#now));
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  /** Connects to every base and runs the first refresh. */
  start(now: number): HostAgentAction[] {
    this.#now = now;
    const actions: HostAgentAction[] = [];
    if (this.#started) return actions;
    this.#started = true;
    this.#link.start(now, actions);
    this.#refresh(now, actions);
    this.#schedule(actions);
    return actions;
  }

  /** Closes the base connections; timers stop. */
  stop(now: number): HostAgentAction[] {
    this.#now = now;
    const actions: HostAgentAction[] = [];
    this.#started = false;
    this.#link.stop(actions);
    return actions;
  }

  /** The host's local addresses changed: INFO and a refresh at once (the "instant reconnect"). */
  setLocalAddresses(addresses: readonly Endpoint[], now: number): HostAgentAction[] {
    this.#now = now;
    const actions: HostAgentAction[] = [];
    const next = filterLocal(addresses);
    if (keysOf(next) === keysOf(this.#local)) return actions;
    this.#local = next;
    if (this.#started) this.#refresh(now, actions);
    this.#schedule(actions);
    return actions;
  }

  /** A manual candidate address for a peer (§8.3), HELLOed at once and every refresh. */
  addCandidate(deviceId: DeviceId, address: Endpoint, now: number): HostAgentAction[] {
    this.#now = now;
    const actions: HostAgentAction[] = [];
    const peer = this.#peers.getOrCreate(deviceId, now);
    if (!peer) throw new NatbaseError('BAD_VALUE', `already ${this.limits.maxPeers} peers`);
    peer.manual.set(formatEndpoint(address), { ip: address.ip.slice(), port: address.port });
    this.#direct.reestablish(peer, now, actions);
    this.#schedule(actions);
    return actions;
  }

  // ---- sending (§8.2) -------------------------------------------------------------------------

  /**
   * Sends one datagram to a peer: direct if a path is up, else relayed by the base over UDP if
   * NAT is confirmed within 35 s, else over TCP; and keeps trying to establish a direct path.
   * Throws `PAYLOAD_TOO_LARGE` / `BAD_LENGTH` for a payload the relay could not carry.
   */
  send(deviceId: DeviceId, data: Uint8Array, now: number): HostAgentAction[] {
    this.#now = now;
    const actions: HostAgentAction[] = [];
    if (data.length === 0) throw new NatbaseError('BAD_LENGTH', 'a datagram has at least one byte');
    if (data.length > this.limits.maxTcpPayload - DATA_OVERHEAD) {
      throw new NatbaseError(
        'PAYLOAD_TOO_LARGE',
        `a datagram is at most ${this.limits.maxTcpPayload - DATA_OVERHEAD} bytes, not ${data.length}`,
      );
    }
    if (deviceId.length !== 16) throw new NatbaseError('BAD_VALUE', 'a device id is 16 bytes');
    const peer = this.#peers.getOrCreate(deviceId, now);
    if (!peer) {
      this.#drop('peer-limit', `already ${this.limits.maxPeers} peers`);
      return actions;
    }
    const wasActive = this.#direct.isActive(peer, now);
    if (peer.connected && peer.target) {
      this.#counts.sentDirect++;
      actions.push({
        type: 'send',
        transport: 'udp',
        to: peer.target,
        bytes: encodePeerToPeer({ kind: 'DATA', payload: data }),
      });
    } else {
      const l = this.limits;
      if (
        !peer.reestablishing ||
        (now - peer.lastReestablish > l.reestablishTimeoutMs &&
          peer.failed <= l.maxFailedEstablishments)
      ) {
        this.#direct.reestablish(peer, now, actions);
      }
      this.#relay(peer, data, now, actions);
    }
    if (!wasActive) this.#requestInfo(peer, actions);
    peer.lastActivity = now;
    peer.lastSeen = now;
    this.#reportPath(peer, now);
    this.#schedule(actions);
    return actions;
  }

  #relay(peer: Peer, data: Uint8Array, now: number, actions: HostAgentAction[]): void {
    const bytes = encodePeerToBase({
      kind: 'DATA',
      source: this.identity.deviceId,
      target: peer.id,
      data,
    });
    const primary = this.#nat.primary;
    if (this.#nat.alive(now) && primary) {
      this.#counts.sentBaseUdp++;
      actions.push({ type: 'send', transport: 'udp', to: primary, bytes });
    } else if (this.#link.send(bytes, actions)) {
      this.#counts.sentBaseTcp++;
    } else {
      this.#drop('no-path', 'no direct path and no base connection');
    }
  }

  // ---- input ----------------------------------------------------------------------------------

  tcpConnected(conn: HostConnectionId, now: number): HostAgentAction[] {
    this.#now = now;
    const actions: HostAgentAction[] = [];
    this.#link.tcpConnected(conn, now, actions);
    return actions;
  }

  tcpData(conn: HostConnectionId, bytes: Uint8Array, now: number): HostAgentAction[] {
    this.#now = now;
    const actions: HostAgentAction[] = [];
    this.#link.tcpData(conn, bytes, now, actions);
    this.#schedule(actions);
    return actions;
  }

  tcpClosed(conn: HostConnectionId, now: number): HostAgentAction[] {
    this.#now = now;
    const actions: HostAgentAction[] = [];
    this.#link.tcpClosed(conn, now, actions);
    this.#schedule(actions);
    return actions;
  }

  /** A datagram on the host's UDP socket. */
  udpData(source: Endpoint, bytes: Uint8Array, now: number): HostAgentAction[] {
    this.#now = now;
    const actions: HostAgentAction[] = [];
    const primaryKey = this.#nat.primaryKey;
    if (primaryKey !== undefined && formatEndpoint(source) === primaryKey) {
      // §6: only the primary base UDP address is the base.
      let msg: BaseToPeerMessage;
      try {
        msg = decodeBaseToPeer(bytes);
      } catch (error) {
        this.#drop('malformed', errorText(error));
        return actions;
      }
      this.#baseMessage(msg, 'udp', now, actions);
    } else {
      let msg: PeerToPeerMessage;
      try {
        msg = decodePeerToPeer(bytes);
      } catch (error) {
        this.#drop('malformed', errorText(error));
        return actions;
      }
      if (msg.kind === 'DATA') this.#direct.peerData(source, msg.payload, now);
      else if (!this.#helloRate.take(formatIp(source.ip), now)) {
        this.#drop('rate-limited', `HELLOs too fast from ${formatIp(source.ip)}`);
      } else if (msg.kind === 'HELLO') this.#direct.hello(source, msg, now, actions);
      else this.#direct.helloReply(source, msg, now);
    }
    this.#schedule(actions);
    return actions;
  }

  /** A datagram on the discovery socket (port 5581, spec §10). */
  multicastData(source: Endpoint, bytes: Uint8Array, now: number): HostAgentAction[] {
    this.#now = now;
    const actions: HostAgentAction[] = [];
    if (!this.#multicast) return actions;
    if (!isAcceptableMulticastSource(source.ip)) {
      this.#drop('bad-multicast', 'announcement from a non-local source');
      return actions;
    }
    let ann: ReturnType<typeof decodeMulticast>;
    try {
      ann = decodeMulticast(bytes);
    } catch (error) {
      this.#drop('bad-multicast', errorText(error));
      return actions;
    }
    if (sameBytes(ann.deviceId, this.identity.deviceId)) return actions;
    const peer = this.#peers.get(ann.deviceId); // a hint for known peers only [ref]
    if (!peer) return actions;
    this.#direct.announced(peer, { ip: source.ip.slice(), port: ann.port }, now, actions);
    this.#schedule(actions);
    return actions;
  }

  /** Runs what is due at `now`: refresh, NAT_INIT retries, fallbacks, teardowns, base timers. */
  timer(now: number): HostAgentAction[] {
    this.#now = now;
    const actions: HostAgentAction[] = [];
    this.#timerAt = Number.POSITIVE_INFINITY;
    if (!this.#started) return actions;
    this.#link.timer(now, actions);
    const l = this.limits;
    if (now >= this.#lastRefresh + l.refreshIntervalMs) this.#refresh(now, actions);
    if (!this.#nat.confirmed && now >= this.#nat.lastInitSent + l.natInitRetryMs) {
      this.#nat.init(this.#link.active?.cookie, now, actions);
    }
    let next = Number.POSITIVE_INFINITY;
    for (const peer of [...this.#peers.values()]) {
      if (now >= peer.lastSeen + l.peerTeardownMs && !this.#direct.isActive(peer, now)) {
        this.#peers.remove(peer);
        if (peer.reported !== 'none') {
          this.#onEvent({ type: 'path', deviceId: peer.id, path: 'none' });
        }
        this.#onEvent({ type: 'peer-gone', deviceId: peer.id });
        continue;
      }
      if (
        peer.reestablishing &&
        peer.connected &&
        now >= peer.lastReestablish + l.reestablishTimeoutMs
      ) {
        peer.connected = false; // falling back to the relay
      }
      next = Math.min(next, Math.max(peer.lastSeen, peer.lastActivity) + l.peerTeardownMs);
      if (peer.reestablishing && peer.connected) {
        next = Math.min(next, peer.lastReestablish + l.reestablishTimeoutMs);
      }
    }
    this.#wantTimer(next, actions);
    this.#reportAll(now);
    this.#schedule(actions);
    return actions;
  }

  // ---- base -----------------------------------------------------------------------------------

  #baseChosen(_active: ActiveBase, now: number, actions: HostAgentAction[]): void {
    this.#nat.reset();
    this.#onEvent({ type: 'base', base: this.#link.active?.base });
    for (const peer of this.#peers.values()) {
      if (this.#direct.isActive(peer, now)) this.#requestInfo(peer, actions);
    }
    this.#refresh(now, actions);
    this.#reportAll(now);
  }

  #baseLost(_base: Endpoint, now: number, _actions: HostAgentAction[]): void {
    this.#nat.reset();
    this.#onEvent({ type: 'base', base: undefined });
    this.#reportAll(now);
  }

  #baseMessage(
    msg: BaseToPeerMessage,
    transport: 'tcp' | 'udp',
    now: number,
    actions: HostAgentAction[],
  ): void {
    switch (msg.kind) {
      case 'DATA': {
        this.#deliver(
          msg.source,
          msg.data,
          transport === 'udp' ? 'base-udp' : 'base-tcp',
          now,
          actions,
        );
        return;
      }
      case 'NAT_OK': {
        if (transport !== 'udp') {
          this.#drop('malformed', 'NAT_OK over TCP');
          return;
        }
        this.#nat.ok(this.#link.active?.cookie, now, actions);
        this.#reportAll(now);
        return;
      }
      case 'STATE': {
        if (transport !== 'tcp') return;
        // §16 decision: the transient range is read but never used (the reference never sends
        // NAT_INIT_TRANSIENT either).
        if (this.#nat.state(msg.addresses) && !this.#nat.confirmed) {
          this.#nat.init(this.#link.active?.cookie, now, actions);
        }
        return;
      }
      case 'DEVICE_ADDRESSES': {
        if (transport !== 'tcp') return;
        const peer = this.#peers.get(msg.deviceId);
        if (!peer) return;
        const next = msg.addresses
          .slice(0, this.limits.maxTargetAddresses)
          .map((e) => ({ ip: e.ip.slice(), port: e.port }))
          .sort((a, b) => compareText(formatEndpoint(a), formatEndpoint(b)));
        if (keysOf(next) === keysOf(peer.targets)) return;
        peer.targets = next;
        this.#direct.reestablish(peer, now, actions);
        return;
      }
      case 'HELLO':
        return; // handled by the base link
    }
  }

  #requestInfo(peer: Peer, actions: HostAgentAction[]): void {
    const active = this.#link.active;
    if (!active) return; // resent for every active peer on the next HELLO
    const bytes = sealPeerToBase(
      { kind: 'REQUEST_INFO', target: peer.id },
      this.identity,
      active.cookie,
    );
    this.#link.send(bytes, actions);
  }

  /** §2: INFO, NAT_INIT, multicast and the peers' HELLOs, every `refreshIntervalMs`. */
  #refresh(now: number, actions: HostAgentAction[]): void {
    this.#lastRefresh = now;
    const active = this.#link.active;
    if (active) {
      const info = sealPeerToBase(
        {
          kind: 'INFO',
          addresses: this.#local.slice(0, maxInfoEntries(this.limits.maxTcpPayload)),
        },
        this.identity,
        active.cookie,
      );
      this.#link.send(info, actions);
      this.#nat.init(active.cookie, now, actions);
    }
    if (this.#multicast) {
      const bytes = encodeMulticast({ port: this.#sourcePort, deviceId: this.identity.deviceId });
      for (const group of MULTICAST_GROUPS) {
        actions.push({
          type: 'send',
          transport: 'multicast',
          to: { ip: group, port: MULTICAST_PORT },
          bytes,
        });
      }
    }
    for (const peer of this.#peers.values()) {
      if (!this.#direct.isActive(peer, now)) {
        peer.connected = false;
        continue;
      }
      if (
        peer.reestablishing &&
        peer.connected &&
        now - peer.lastReestablish > this.limits.reestablishTimeoutMs
      ) {
        peer.connected = false;
      }
      this.#direct.reestablish(peer, now, actions);
    }
  }

  // ---- peers ----------------------------------------------------------------------------------

  /** Relayed DATA: counts as activity; an inactive peer is asked about (peerwire decision). */
  #deliver(
    from: DeviceId,
    data: Uint8Array,
    path: 'base-udp' | 'base-tcp',
    now: number,
    actions: HostAgentAction[],
  ): void {
    const peer = this.#peers.getOrCreate(from, now);
    if (peer) {
      if (!this.#direct.isActive(peer, now)) this.#requestInfo(peer, actions);
      peer.lastActivity = now;
      peer.lastSeen = now;
    }
    this.#counts.received++;
    this.#onEvent({ type: 'datagram', from: from.slice(), data, path });
  }

  // ---- paths ----------------------------------------------------------------------------------

  #pathOf(peer: Peer, now: number): PeerPath {
    let path: PathKind;
    if (peer.connected && peer.target) path = 'direct';
    else if (this.#nat.alive(now)) path = 'base-udp';
    else if (this.#link.active) path = 'base-tcp';
    else path = 'none';
    const out: PeerPath = { deviceId: peer.id, path };
    if (path === 'direct') return { ...out, target: peer.target, rttMs: peer.rttMs };
    return out;
  }

  #reportPath(peer: Peer, now: number): void {
    const p = this.#pathOf(peer, now);
    const key = p.path === 'direct' ? `direct ${formatEndpoint(p.target!)}` : p.path;
    if (key === peer.reported) return;
    peer.reported = key;
    this.#onEvent({ type: 'path', ...p });
  }

  #reportAll(now: number): void {
    const alive = this.#nat.alive(now);
    if (alive !== this.#udpAliveReported) {
      this.#udpAliveReported = alive;
      this.#onEvent({ type: 'base-udp', alive });
    }
    for (const peer of this.#peers.values()) this.#reportPath(peer, now);
  }

  // ---- timers ---------------------------------------------------------------------------------

  #wantTimer(at: number, actions: HostAgentAction[]): void {
    if (!Number.isFinite(at)) return;
    at = Math.max(at, this.#now + this.limits.timerGranularityMs);
    if (at >= this.#timerAt) return;
    this.#timerAt = at;
    actions.push({ type: 'timer', at });
  }

  /** Asks for a timer at the earliest of the agent's own deadlines. */
  #schedule(actions: HostAgentAction[]): void {
    if (!this.#started) return;
    const l = this.limits;
    let at = Math.min(this.#link.nextDeadline(), this.#lastRefresh + l.refreshIntervalMs);
    at = Math.min(at, this.#nat.nextDeadline(this.#link.active !== undefined, this.#now));
    this.#wantTimer(at, actions);
  }

  #drop(reason: HostDropReason, detail: string): void {
    this.#drops[reason]++;
    this.#onEvent({ type: 'dropped', reason, detail });
  }
}

function filterLocal(addresses: readonly Endpoint[]): Endpoint[] {
  return addresses
    .filter((e) => !(e.ip[0] === 0xfc && e.ip[1] === 0x94))
    .map((e) => ({ ip: e.ip.slice(), port: e.port }))
    .sort((a, b) => compareText(formatEndpoint(a), formatEndpoint(b)));
}

function maxInfoEntries(maxTcpPayload: number): number {
  return Math.max(0, Math.floor((maxTcpPayload - 129) / 18));
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function randomIndex(random: RandomSource, n: number): number {
  if (n <= 1) return 0;
  const b = random(4);
  const v = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  return v % n;
}
