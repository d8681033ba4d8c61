import { type Endpoint, formatEndpoint, formatIp } from '../codec/address.js';
import { type BaseToPeerMessage, decodeBaseToPeer } from '../codec/base-to-peer.js';
import type { DeviceId } from '../codec/device-id.js';
import type { Identity, RandomSource } from '../codec/identity.js';
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
import { BaseRequests } from './base-requests.js';
import { DirectPaths, errorText } from './direct-paths.js';
import { filterLocal, randomIndex, sortEndpoints } from './local-addresses.js';
import { MulticastDiscovery } from './multicast-discovery.js';
import { keysOf, NatHandshake } from './nat-handshake.js';
import { PathReport } from './path-report.js';
import { refreshPeers, sweepPeers } from './peer-timers.js';
import { PeerTable } from './peers.js';
import type {
  HostAgentAction,
  HostAgentEvent,
  HostAgentStats,
  HostConnectionId,
  HostDropReason,
  PeerPath,
} from './types.js';
import { HOST_DROP_REASONS } from './types.js';

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
  readonly #discovery: MulticastDiscovery;
  readonly #paths: PathReport;
  readonly #requests: BaseRequests;
  readonly #link: BaseLink;
  readonly #peers: PeerTable;
  readonly #direct: DirectPaths;
  readonly #helloRate: RateTable;
  #local: Endpoint[];
  /** Base UDP addresses of the last STATE, the primary first. */
  readonly #nat: NatHandshake;
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
  readonly #drops = Object.fromEntries(HOST_DROP_REASONS.map((r) => [r, 0])) as Record<
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
    this.#local = filterLocal(options.localAddresses ?? []);
    // peerwire: a full table forgets the oldest peer without DATA for `peerTeardownMs` and
    // without manual candidates (typically one that only HELLOed us), so that a flood of valid
    // HELLOs from many identities cannot lock out the peers in use.
    this.#peers = new PeerTable(
      this.limits.maxPeers,
      this.limits.maxSourceAddresses,
      (n) => randomIndex(this.#random, n),
      {
        evictable: (peer, now) =>
          now - peer.lastActivity >= this.limits.peerTeardownMs && peer.manual.size === 0,
        evicted: (peer) => {
          if (peer.reported !== 'none') {
            this.#onEvent({ type: 'path', deviceId: peer.id, path: 'none' });
          }
          this.#onEvent({ type: 'peer-gone', deviceId: peer.id });
        },
      },
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
        reportPath: (peer, now) => this.#paths.report(peer, now),
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
    this.#requests = new BaseRequests(
      this.identity,
      this.limits,
      this.#link,
      this.#nat,
      this.#counts,
      (reason, detail) => this.#drop(reason, detail),
    );
    this.#paths = new PathReport(this.#peers, this.#nat, this.#link, this.#onEvent);
    this.#discovery = new MulticastDiscovery(
      this.identity,
      options.sourcePort,
      options.multicast ?? true,
      this.#peers,
      this.#direct,
      (reason, detail) => this.#drop(reason, detail),
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
    return p ? this.#paths.pathOf(p, this.#now) : { deviceId: deviceId.slice(), path: 'none' };
  }

  /** Every known peer's path state. */
  peers(): PeerPath[] {
    return [...this.#peers.values()].map((p) => this.#paths.pathOf(p, this.#now));
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
      this.#requests.relay(peer, data, now, actions);
    }
    if (!wasActive) this.#requests.requestInfo(peer, actions);
    peer.lastActivity = now;
    peer.lastSeen = now;
    this.#paths.report(peer, now);
    this.#schedule(actions);
    return actions;
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
    this.#discovery.receive(source, bytes, now, actions);
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
    const next = sweepPeers(this.#peers, this.#direct, l, now, this.#onEvent);
    this.#wantTimer(next, actions);
    this.#paths.reportAll(now);
    this.#schedule(actions);
    return actions;
  }

  // ---- base -----------------------------------------------------------------------------------

  #baseChosen(_active: ActiveBase, now: number, actions: HostAgentAction[]): void {
    this.#nat.reset();
    this.#onEvent({ type: 'base', base: this.#link.active?.base });
    for (const peer of this.#peers.values()) {
      if (this.#direct.isActive(peer, now)) this.#requests.requestInfo(peer, actions);
    }
    this.#refresh(now, actions);
    this.#paths.reportAll(now);
  }

  #baseLost(_base: Endpoint, now: number, _actions: HostAgentAction[]): void {
    this.#nat.reset();
    this.#onEvent({ type: 'base', base: undefined });
    this.#paths.reportAll(now);
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
        this.#paths.reportAll(now);
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
        const next = sortEndpoints(
          msg.addresses
            .slice(0, this.limits.maxTargetAddresses)
            .map((e) => ({ ip: e.ip.slice(), port: e.port })),
        );
        if (keysOf(next) === keysOf(peer.targets)) return;
        peer.targets = next;
        this.#direct.reestablish(peer, now, actions);
        return;
      }
      case 'HELLO':
        return; // handled by the base link
    }
  }

  /** §2: INFO, NAT_INIT, multicast and the peers' HELLOs, every `refreshIntervalMs`. */
  #refresh(now: number, actions: HostAgentAction[]): void {
    this.#lastRefresh = now;
    this.#requests.refresh(this.#local, now, actions);
    this.#discovery.announce(actions);
    refreshPeers(this.#peers, this.#direct, this.limits, now, actions);
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
      if (!this.#direct.isActive(peer, now)) this.#requests.requestInfo(peer, actions);
      peer.lastActivity = now;
      peer.lastSeen = now;
    }
    this.#counts.received++;
    this.#onEvent({ type: 'datagram', from: from.slice(), data, path });
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
