import { type Link, TransportError } from '@peerwire/transport';
import { connectTcp } from '@peerwire/transport/node';
import { type Endpoint, formatIp, isV4Mapped } from '../codec/address.js';
import type { DeviceId } from '../codec/device-id.js';
import type { Identity, RandomSource } from '../codec/identity.js';
import type { Ed25519Verify } from '../codec/signature.js';
import { NatbaseError } from '../errors.js';
import { HostAgent } from '../host/host-agent.js';
import type {
  HostAgentAction,
  HostAgentEvent,
  HostAgentStats,
  HostConnectionId,
  PeerPath,
} from '../host/types.js';
import { type HostAgentLimits, MAX_TCP_PAYLOAD } from '../limits.js';
import { SecureLayer, type SecureOutput } from '../secure/layer.js';
import type { SecureLimits } from '../secure/limits.js';
import { SECURE_DATA_OVERHEAD } from '../secure/secure-packet.js';
import { type BoundDatagram, closeDatagram } from './datagram.js';
import {
  closeDiscovery,
  type DiscoverySockets,
  type MulticastOption,
  openDiscovery,
} from './discovery-sockets.js';
import { LinkLocalScopes } from './link-local.js';
import { bindSourcePort, interfaceAddresses, safeEndpoint } from './local-sockets.js';
import { opensslEd25519Verify } from './openssl-ed25519.js';
import { pooledRandom } from './pooled-random.js';
import { rawStream } from './raw-stream.js';
import { monotonicNow, socketAddress, TimerSlot } from './sockets.js';
import { sodiumSecretbox } from './sodium-secretbox.js';

/**
 * `ping` repeats its heartbeat this often until an answer or the timeout [pw]: one probe lost
 * (a stale direct path at the peer, a dropped datagram) does not fail the whole ping.
 */
export const DEFAULT_PING_INTERVAL_MS = 1_000;
/** How long a TCP connect to a base may take before it counts as failed [pw: 10 s]. */
export const DEFAULT_BASE_CONNECT_TIMEOUT_MS = 10_000;
/**
 * Largest datagram `send` takes through the secure layer: a relayed packet (33 bytes of P2B
 * DATA header + 49 of secure DATA + the payload) must fit one TCP record (1994): 1912 bytes.
 */
export const MAX_SECURE_DATAGRAM = MAX_TCP_PAYLOAD - 33 - SECURE_DATA_OVERHEAD;

export interface StartHostOptions {
  readonly identity: Identity;
  /** The bases' TCP addresses; all are tried at once and the first to say HELLO is kept (§8.1). */
  readonly bases: readonly Endpoint[];
  /**
   * The UDP socket: `host` default `0.0.0.0`; `port` default: 5582, then the next free one up to
   * 6999 (spec §2); 0 = any free port.
   */
  readonly udp?: { readonly host?: string; readonly port?: number };
  /**
   * Addresses sent in INFO (with the UDP port). Default `'auto'`: every non-internal IPv4 and
   * global IPv6 interface address. `[]` sends none (the base still adds the observed address).
   */
  readonly localAddresses?: readonly Endpoint[] | 'auto';
  /**
   * Link-local discovery (§10) on 5581 at IPv4 group 224.3.252.148 and IPv6 group
   * ff02:88bb:31e4:95f7:2b87:6b52:e112:19ac (`MulticastOption`): `false` (default), `true` (both),
   * or `{ interface?, port?, ipv4?, ipv6? }`.
   */
  readonly multicast?: MulticastOption;
  /**
   * Wrap datagrams in the §11 secure layer (default true: what Husarnet peers speak). With
   * `false`, `send` hands bytes straight to the NgSocket layer (unencrypted, for tests).
   */
  readonly secure?: boolean;
  readonly limits?: Partial<HostAgentLimits>;
  readonly secureLimits?: Partial<SecureLimits>;
  readonly userAgent?: string;
  readonly random?: RandomSource;
  readonly verify?: Ed25519Verify;
  readonly connectTimeoutMs?: number;
  readonly onError?: (error: Error) => void;
}

/** What `on('datagram')` hands out. */
export interface HostDatagram {
  readonly from: DeviceId;
  readonly data: Uint8Array;
  readonly path: 'direct' | 'base-udp' | 'base-tcp';
}

/** A peer's path with the secure layer's view of it. */
export interface HostPeerState extends PeerPath {
  /** Whether secure-layer keys with the peer exist (always false without `secure`). */
  readonly established: boolean;
  /** The last heartbeat RTT (`ping`), ms. */
  readonly latencyMs?: number;
}

type Handlers = {
  datagram: (d: HostDatagram) => void;
  path: (p: PeerPath) => void;
  event: (e: HostAgentEvent) => void;
  latency: (e: { readonly peer: DeviceId; readonly rttMs: number }) => void;
};

/**
 * The host agent of spec §8 on real sockets: TCP to the bases (`@peerwire/transport`), one UDP
 * socket for the bases and peers, an optional multicast socket (node:dgram), with the sans-I/O
 * `HostAgent` and (by default) a `SecureLayer` over it. Start with `NatbaseHost.start(options)`.
 */
export class NatbaseHost {
  readonly identity: Identity;
  readonly core: HostAgent;
  readonly secure: SecureLayer | undefined;
  readonly #udp: BoundDatagram;
  readonly #disco: DiscoverySockets;
  /** The interface of each `fe80::` peer address heard from (`LinkLocalScopes`). */
  readonly #scopes = new LinkLocalScopes();
  readonly #links = new Map<HostConnectionId, Link>();
  readonly #cancelled = new Set<HostConnectionId>();
  readonly #timer: TimerSlot;
  /** The secure layer's HELLO 1 repeats (`SecureLayer.timer`). */
  readonly #secureTimer: TimerSlot;
  readonly #handlers: { [K in keyof Handlers]: Set<Handlers[K]> } = {
    datagram: new Set(),
    path: new Set(),
    event: new Set(),
    latency: new Set(),
  };
  readonly #connectTimeoutMs: number;
  readonly #onError: (error: Error) => void;
  #closed = false;

  private constructor(
    options: StartHostOptions,
    udp: BoundDatagram,
    disco: DiscoverySockets,
    local: readonly Endpoint[],
  ) {
    this.identity = options.identity;
    this.#udp = udp;
    this.#disco = disco;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_BASE_CONNECT_TIMEOUT_MS;
    this.#onError = options.onError ?? (() => {});
    const random = options.random ?? pooledRandom();
    const verify = options.verify ?? opensslEd25519Verify();
    this.core = new HostAgent({
      identity: options.identity,
      bases: options.bases,
      sourcePort: udp.port,
      localAddresses: local,
      random,
      multicast: disco.v4 !== undefined || disco.v6 !== undefined,
      userAgent: options.userAgent,
      limits: options.limits,
      onEvent: (e) => this.#coreEvent(e),
    });
    this.secure =
      options.secure === false
        ? undefined
        : new SecureLayer({
            identity: options.identity,
            random,
            now: monotonicNow,
            secretbox: sodiumSecretbox,
            verify,
            limits: { maxPayloadLength: MAX_SECURE_DATAGRAM, ...options.secureLimits },
          });
    this.#timer = new TimerSlot(() => this.#run(this.core.timer(monotonicNow())));
    this.#secureTimer = new TimerSlot(() => {
      if (this.secure && !this.#closed) this.#secureOut(this.secure.timer());
    });
    const onUdp = (msg: Buffer, rinfo: { address: string; port: number }): void => {
      const source = safeEndpoint(rinfo.address, rinfo.port);
      if (!source) return;
      this.#scopes.learn(rinfo.address);
      this.#run(this.core.udpData(source, view(msg), monotonicNow()));
    };
    const onMulticast = (msg: Buffer, address: string, port: number): void => {
      const source = safeEndpoint(address, port);
      if (!source) return;
      this.#scopes.learn(address);
      this.#run(this.core.multicastData(source, view(msg), monotonicNow()));
    };
    for (const s of [udp, disco.peer6]) {
      s?.socket.on('message', onUdp);
      s?.socket.on('error', (e) => this.#onError(e));
    }
    disco.v4?.socket.on('message', (msg: Buffer, r) => onMulticast(msg, r.address, r.port));
    disco.v4?.socket.on('error', (e) => this.#onError(e));
    disco.v6?.onMessage(onMulticast);
  }

  /** Binds the sockets and connects to the bases. */
  static async start(options: StartHostOptions): Promise<NatbaseHost> {
    if (options.bases.length === 0) throw new NatbaseError('BAD_VALUE', 'no base server given');
    const host = options.udp?.host ?? '0.0.0.0';
    const udp = await bindSourcePort(host, options.udp?.port);
    let local: Endpoint[];
    try {
      local =
        options.localAddresses === undefined || options.localAddresses === 'auto'
          ? interfaceAddresses(udp.port)
          : options.localAddresses.map((e) => ({ ip: e.ip.slice(), port: e.port }));
    } catch (error) {
      await closeDatagram(udp.socket);
      throw error;
    }
    let disco: DiscoverySockets;
    try {
      disco = await openDiscovery(options.multicast, local, udp, options.onError ?? (() => {}));
    } catch (error) {
      await closeDatagram(udp.socket);
      throw error;
    }
    const agent = new NatbaseHost(options, udp, disco, local);
    agent.#run(agent.core.start(monotonicNow()));
    return agent;
  }

  get deviceId(): DeviceId {
    return this.identity.deviceId;
  }

  /** The UDP source port in use. */
  get udpPort(): number {
    return this.#udp.port;
  }

  get stats(): HostAgentStats {
    return this.core.stats;
  }

  /** The TCP address of the base in use. */
  get base(): Endpoint | undefined {
    return this.core.base;
  }

  /** One peer's path, with the secure layer's state. */
  peer(deviceId: DeviceId): HostPeerState {
    return this.#withSecure(this.core.peer(deviceId));
  }

  peers(): HostPeerState[] {
    return this.core.peers().map((p) => this.#withSecure(p));
  }

  /**
   * Sends one datagram to a peer (§8.2: direct, else relayed over base UDP, else over base TCP).
   * Through the secure layer it is queued (≤ 10) until the handshake completes. Throws
   * `PAYLOAD_TOO_LARGE` / `BAD_LENGTH` / `BAD_VALUE` for what cannot be sent.
   */
  send(deviceId: DeviceId, data: Uint8Array): void {
    if (this.#closed) throw new NatbaseError('BAD_VALUE', 'the host agent is closed');
    if (this.secure) this.#secureOut(this.secure.send(deviceId, data));
    else this.#run(this.core.send(deviceId, data, monotonicNow()));
  }

  /**
   * A secure-layer heartbeat, repeated every `intervalMs` until one is answered; resolves with
   * the RTT of the answered one in ms, rejects (`TIMEOUT`) after `timeoutMs`.
   */
  ping(
    deviceId: DeviceId,
    timeoutMs = 5_000,
    intervalMs = DEFAULT_PING_INTERVAL_MS,
  ): Promise<number> {
    const secure = this.secure;
    if (!secure)
      return Promise.reject(new NatbaseError('BAD_VALUE', 'ping needs the secure layer'));
    return new Promise((resolve, reject) => {
      const off = this.on('latency', (e) => {
        if (!sameId(e.peer, deviceId)) return;
        clearTimeout(t);
        clearInterval(again);
        off();
        resolve(e.rttMs);
      });
      const t = setTimeout(() => {
        clearInterval(again);
        off();
        reject(new TransportError('TIMEOUT', `no heartbeat reply within ${timeoutMs} ms`));
      }, timeoutMs);
      // Each repeat has a new ident; only the last one's answer counts, so the RTT is honest.
      const again = setInterval(() => {
        if (!this.#closed) this.#secureOut(secure.heartbeat(deviceId));
      }, intervalMs);
      this.#secureOut(secure.heartbeat(deviceId));
    });
  }

  /** A manual candidate address for a peer (§8.3). */
  addCandidate(deviceId: DeviceId, address: Endpoint): void {
    this.#run(this.core.addCandidate(deviceId, address, monotonicNow()));
  }

  /**
   * Re-reads the interface addresses (or takes `addresses`); a change sends INFO at once. The
   * IPv6 group's interfaces are re-evaluated too (as they are before every announcement).
   */
  updateLocalAddresses(addresses?: readonly Endpoint[]): void {
    this.#disco.v6?.refresh();
    const next = addresses ?? interfaceAddresses(this.#udp.port);
    this.#run(this.core.setLocalAddresses(next, monotonicNow()));
  }

  on<K extends keyof Handlers>(event: K, handler: Handlers[K]): () => void {
    this.#handlers[event].add(handler);
    return () => this.#handlers[event].delete(handler);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#run(this.core.stop(monotonicNow()));
    this.#timer.clear();
    this.#secureTimer.clear();
    for (const link of this.#links.values()) link.close(1000, 'host agent closed');
    this.#links.clear();
    await closeDatagram(this.#udp.socket);
    await closeDiscovery(this.#disco);
  }

  // ---- internals ------------------------------------------------------------------------------

  #withSecure(p: PeerPath): HostPeerState {
    const s = this.secure?.peer(p.deviceId);
    return {
      ...p,
      established: s?.established ?? false,
      ...(s?.latencyMs !== undefined ? { latencyMs: s.latencyMs } : {}),
    };
  }

  #emit<K extends keyof Handlers>(event: K, value: Parameters<Handlers[K]>[0]): void {
    for (const h of this.#handlers[event]) {
      try {
        (h as (v: typeof value) => void)(value);
      } catch (error) {
        this.#onError(error instanceof Error ? error : new Error(String(error)));
      }
    }
  }

  #coreEvent(e: HostAgentEvent): void {
    this.#emit('event', e);
    if (e.type === 'path') {
      const { type: _t, ...path } = e;
      this.#emit('path', path);
      // A new path may carry the handshake that the old one lost: HELLO 1 again at once.
      if (e.path !== 'none') this.#retryHandshakes([e.deviceId]);
    } else if (e.type === 'base' && e.base) {
      this.#retryHandshakes(this.core.peers().map((p) => p.deviceId));
    } else if (e.type === 'datagram') {
      if (!this.secure) {
        this.#emit('datagram', { from: e.from, data: e.data, path: e.path });
        return;
      }
      // The core's events arrive while it runs; the secure layer's answers go out after.
      queueMicrotask(() => {
        if (this.#closed || !this.secure) return;
        this.#secureOut(this.secure.receive(e.from, e.data), e.path);
      });
    }
  }

  #retryHandshakes(peers: readonly DeviceId[]): void {
    const secure = this.secure;
    if (!secure) return;
    queueMicrotask(() => {
      if (this.#closed) return;
      for (const peer of peers) this.#secureOut(secure.pathChanged(peer));
    });
  }

  #secureOut(outputs: readonly SecureOutput[], path?: HostDatagram['path']): void {
    const now = monotonicNow();
    for (const o of outputs) {
      switch (o.type) {
        case 'send':
          try {
            this.#run(this.core.send(o.peer, o.packet, now));
          } catch (error) {
            this.#onError(error instanceof Error ? error : new Error(String(error)));
          }
          break;
        case 'deliver':
          this.#emit('datagram', {
            from: o.peer,
            data: o.payload,
            path: path ?? 'direct',
          });
          break;
        case 'latency':
          this.#emit('latency', { peer: o.peer, rttMs: o.rttMs });
          break;
        default:
          break;
      }
    }
    if (this.secure && !this.#closed) {
      const at = this.secure.nextTimer();
      if (Number.isFinite(at)) this.#secureTimer.set(at, now);
      else this.#secureTimer.clear();
    }
  }

  #run(actions: readonly HostAgentAction[]): void {
    for (const a of actions) {
      switch (a.type) {
        case 'connect':
          this.#connect(a.conn, a.to);
          break;
        case 'send':
          if (a.transport === 'tcp') {
            this.#links.get(a.conn)?.send(a.bytes);
          } else if (!this.#closed) {
            if (a.transport === 'udp') this.#sendUdp(a.to, a.bytes);
            else this.#sendMulticast(a.to, a.bytes);
          }
          break;
        case 'close': {
          const link = this.#links.get(a.conn);
          if (link) link.close(1000, 'closed by the host agent');
          else this.#cancelled.add(a.conn);
          break;
        }
        case 'timer':
          if (!this.#closed) this.#timer.set(a.at, monotonicNow());
          break;
      }
    }
  }

  /** A peer datagram: IPv4 on the peer socket, IPv6 on it or the IPv6 one, `fe80::` scoped. */
  #sendUdp(to: Endpoint, bytes: Uint8Array): void {
    const v4 = isV4Mapped(to.ip);
    const s = v4 || this.#udp.family === 'udp6' ? this.#udp : this.#disco.peer6;
    if (!s) return;
    const text = v4 ? socketAddress(to, s.family) : this.#scopes.address(to);
    if (text !== undefined) s.socket.send(bytes, to.port, text);
  }

  /** An announcement: the IPv4 group on its socket, the IPv6 one out of every interface. */
  #sendMulticast(to: Endpoint, bytes: Uint8Array): void {
    if (isV4Mapped(to.ip)) {
      const v4 = this.#disco.v4;
      const text = v4 && socketAddress(to, v4.family);
      if (v4 && text !== undefined) v4.socket.send(bytes, to.port, text);
    } else if (this.#disco.v6) {
      this.#disco.v6.refresh();
      this.#disco.v6.announce(bytes, to.port);
    }
  }

  #connect(conn: HostConnectionId, to: Endpoint): void {
    const host = formatIp(to.ip);
    connectTcp({
      host,
      port: to.port,
      framing: rawStream(),
      timeoutMs: this.#connectTimeoutMs,
    }).then(
      (link) => {
        if (this.#closed || this.#cancelled.delete(conn)) {
          link.close(1000, 'not wanted');
          if (!this.#closed) this.#run(this.core.tcpClosed(conn, monotonicNow()));
          return;
        }
        this.#links.set(conn, link);
        link.on('message', (d) => this.#run(this.core.tcpData(conn, d, monotonicNow())));
        link.on('error', (e) => this.#onError(e));
        link.on('close', () => {
          this.#links.delete(conn);
          if (!this.#closed) this.#run(this.core.tcpClosed(conn, monotonicNow()));
        });
        this.#run(this.core.tcpConnected(conn, monotonicNow()));
      },
      (error: unknown) => {
        this.#cancelled.delete(conn);
        this.#onError(error instanceof Error ? error : new Error(String(error)));
        if (!this.#closed) this.#run(this.core.tcpClosed(conn, monotonicNow()));
      },
    );
  }
}

function view(msg: Buffer): Uint8Array {
  return new Uint8Array(msg.buffer, msg.byteOffset, msg.length);
}

function sameId(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
