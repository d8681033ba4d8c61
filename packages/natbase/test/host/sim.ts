// An in-process natbase network for tests: base servers and host agents joined by a simulated
// Internet with NATs (endpoint-independent or symmetric mapping, both with address-and-port-
// dependent filtering), LAN segments with multicast, TCP links with a fixed latency, a virtual
// clock and seeded randomness. Addresses are documentation ranges; nothing touches a socket.

import {
  HostAgent,
  type HostAgentAction,
  type HostAgentEvent,
  type HostAgentLimits,
  type PeerPath,
} from '../../src/host/index.js';
import {
  type Endpoint,
  formatEndpoint,
  formatIp,
  type Identity,
  isV4Mapped,
  parseEndpoint,
  parseIp,
} from '../../src/index.js';
import {
  BaseServer,
  type BaseServerAction,
  type BaseServerLimits,
} from '../../src/server/index.js';
import { seededRandom } from '../helpers.js';

interface Scheduled {
  readonly at: number;
  readonly seq: number;
  readonly run: () => void;
}

export const LATENCY_MS = 10;
const UDP_PORT = 5582;

export class BaseNode {
  alive = true;
  readonly server: BaseServer;
  readonly tcp: Endpoint;
  readonly udp: Endpoint[];
  /** server connection id → the host end. */
  readonly conns = new Map<number, { host: HostNode; conn: number }>();
  nextConn = 1;
  /** UDP datagrams the base received, for counting. */
  udpIn = 0;

  constructor(
    readonly net: Net,
    readonly name: string,
    readonly ip: string,
    limits?: Partial<BaseServerLimits>,
  ) {
    this.tcp = parseEndpoint(`${ip}:443`);
    this.udp = [parseEndpoint(`${ip}:5582`), parseEndpoint(`${ip}:5583`)];
    this.server = new BaseServer({
      udpAddresses: this.udp,
      random: net.randomFor(`base ${name}`),
      limits,
    });
  }

  apply(actions: readonly BaseServerAction[]): void {
    for (const a of actions) {
      if (!this.alive) return;
      switch (a.type) {
        case 'send':
          if (a.transport === 'udp') this.net.deliverPublic(a.from, a.to, a.bytes);
          else {
            const end = this.conns.get(a.conn);
            if (end) this.net.later(() => end.host.tcpIn(end.conn, a.bytes));
          }
          break;
        case 'close': {
          const end = this.conns.get(a.conn);
          this.conns.delete(a.conn);
          this.apply(this.server.tcpClosed(a.conn, this.net.now));
          if (end) this.net.later(() => end.host.tcpGone(end.conn));
          break;
        }
        case 'timer':
          this.net.at(a.at, () => {
            if (this.alive) this.apply(this.server.timer(this.net.now));
          });
          break;
      }
    }
  }

  /** The base process dies: every connection drops, UDP goes unanswered. */
  kill(): void {
    this.alive = false;
    for (const [, end] of this.conns) this.net.later(() => end.host.tcpGone(end.conn));
    this.conns.clear();
  }
}

export class Nat {
  readonly #mappings = new Map<string, number>();
  readonly #byPort = new Map<number, { internal: Endpoint; allowed: Set<string> }>();
  #nextPort = 20_000;
  publicIp: string;
  readonly hosts: HostNode[] = [];

  constructor(
    readonly net: Net,
    publicIp: string,
    readonly kind: 'eim' | 'symmetric',
  ) {
    this.publicIp = publicIp;
  }

  /** The public source of a datagram from `internal` to `remote`, opening the filter for it. */
  outbound(internal: Endpoint, remote: Endpoint): Endpoint {
    const key =
      this.kind === 'eim'
        ? formatEndpoint(internal)
        : `${formatEndpoint(internal)} ${formatEndpoint(remote)}`;
    let port = this.#mappings.get(key);
    if (port === undefined) {
      // symmetric NATs pick unpredictable ports; ours jump by a random stride
      port = this.#nextPort;
      this.#nextPort += this.kind === 'eim' ? 1 : 7 + Math.floor(this.net.rng() * 50);
      this.#mappings.set(key, port);
      this.#byPort.set(port, { internal, allowed: new Set() });
    }
    this.#byPort.get(port)!.allowed.add(formatEndpoint(remote));
    return parseEndpoint(`${this.publicIp}:${port}`);
  }

  /** The internal destination of a datagram to our `port` from `remote`, if the filter lets it in. */
  inbound(port: number, remote: Endpoint): Endpoint | undefined {
    const m = this.#byPort.get(port);
    if (!m?.allowed.has(formatEndpoint(remote))) return undefined;
    return m.internal;
  }

  /** A new public address: every mapping is gone and TCP connections through it break. */
  rebind(publicIp: string): void {
    this.publicIp = publicIp;
    this.#mappings.clear();
    this.#byPort.clear();
    for (const h of this.hosts) h.breakTcp();
  }
}

export class HostNode {
  readonly agent: HostAgent;
  readonly received: { from: string; text: string; path: string; at: number }[] = [];
  readonly events: HostAgentEvent[] = [];
  readonly lanAddress: Endpoint;
  /** Host conn id → the base end. */
  readonly conns = new Map<number, { base: BaseNode; conn: number }>();
  blockUdpToBases = false;
  /** Answer datagrams starting with "ping" with "pong". */
  echo = true;
  #tcpPort = 40_000;

  constructor(
    readonly net: Net,
    readonly name: string,
    readonly identity: Identity,
    readonly lanIp: string,
    readonly lan: string,
    readonly nat: Nat | undefined,
    bases: readonly BaseNode[],
    limits?: Partial<HostAgentLimits>,
    info?: readonly Endpoint[],
  ) {
    this.lanAddress = parseEndpoint(`${lanIp}:${UDP_PORT}`);
    this.agent = new HostAgent({
      identity,
      bases: bases.map((b) => b.tcp),
      sourcePort: UDP_PORT,
      localAddresses: info ?? [this.lanAddress],
      random: net.randomFor(`host ${name}`),
      limits,
      onEvent: (e) => this.#event(e),
    });
    nat?.hosts.push(this);
  }

  get id(): Uint8Array {
    return this.identity.deviceId;
  }

  /** The address the Internet sees for our TCP connections. */
  publicIp(): string {
    return this.nat ? this.nat.publicIp : this.lanIp;
  }

  path(other: HostNode): PeerPath {
    return this.agent.peer(other.id);
  }

  start(): void {
    this.apply(this.agent.start(this.net.now));
  }

  send(other: HostNode, text: string): void {
    this.apply(this.agent.send(other.id, new TextEncoder().encode(text), this.net.now));
  }

  textsFrom(other: HostNode): string[] {
    return this.received.filter((r) => r.from === other.name).map((r) => r.text);
  }

  #event(e: HostAgentEvent): void {
    this.events.push(e);
    if (e.type !== 'datagram') return;
    const from = this.net.hostById(e.from);
    const text = new TextDecoder().decode(e.data);
    this.received.push({ from: from?.name ?? '?', text, path: e.path, at: this.net.now });
    if (this.echo && from && text.startsWith('ping')) {
      const reply = `pong${text.slice(4)}`;
      this.net.later(() => this.send(from, reply), 0);
    }
  }

  apply(actions: readonly HostAgentAction[]): void {
    for (const a of actions) {
      switch (a.type) {
        case 'connect':
          this.#connect(a.conn, a.to);
          break;
        case 'send':
          if (a.transport === 'tcp') {
            const end = this.conns.get(a.conn);
            if (end) {
              this.net.later(() => {
                if (end.base.alive && end.base.conns.has(end.conn))
                  end.base.apply(end.base.server.tcpData(end.conn, a.bytes, this.net.now));
              });
            }
          } else if (a.transport === 'udp') this.#udpOut(a.to, a.bytes);
          else if (isV4Mapped(a.to.ip)) this.net.multicast(this, a.bytes); // one copy per segment
          break;
        case 'close': {
          const end = this.conns.get(a.conn);
          this.conns.delete(a.conn);
          if (end) {
            this.net.later(() => {
              if (end.base.conns.delete(end.conn))
                end.base.apply(end.base.server.tcpClosed(end.conn, this.net.now));
            });
          }
          break;
        }
        case 'timer':
          this.net.at(a.at, () => this.apply(this.agent.timer(this.net.now)));
          break;
      }
    }
  }

  #connect(conn: number, to: Endpoint): void {
    this.net.later(() => {
      const base = this.net.baseAt(to);
      if (!base?.alive) {
        this.net.later(() => this.apply(this.agent.tcpClosed(conn, this.net.now)));
        return;
      }
      const serverConn = base.nextConn++;
      base.conns.set(serverConn, { host: this, conn });
      this.conns.set(conn, { base, conn: serverConn });
      const remote = parseEndpoint(`${this.publicIp()}:${this.#tcpPort++}`);
      base.apply(base.server.tcpOpen(serverConn, remote, this.net.now));
      this.net.later(() => this.apply(this.agent.tcpConnected(conn, this.net.now)));
    });
  }

  tcpIn(conn: number, bytes: Uint8Array): void {
    if (!this.conns.has(conn)) return;
    this.apply(this.agent.tcpData(conn, bytes, this.net.now));
  }

  tcpGone(conn: number): void {
    if (!this.conns.delete(conn)) return;
    this.apply(this.agent.tcpClosed(conn, this.net.now));
  }

  /** Our NAT's address changed: the TCP connections through it die at both ends. */
  breakTcp(): void {
    for (const [conn, end] of [...this.conns]) {
      this.conns.delete(conn);
      if (end.base.conns.delete(end.conn))
        end.base.apply(end.base.server.tcpClosed(end.conn, this.net.now));
      this.net.later(() => this.apply(this.agent.tcpClosed(conn, this.net.now)));
    }
  }

  #udpOut(to: Endpoint, bytes: Uint8Array): void {
    const sameLan = this.net.hostOnLan(this.lan, to);
    if (sameLan) {
      this.net.later(() => sameLan.udpIn(this.lanAddress, bytes));
      return;
    }
    if (this.net.isPrivate(to)) return; // another LAN's address: unroutable from here
    if (this.nat && formatIp(to.ip) === this.nat.publicIp) return; // no hairpinning
    if (this.blockUdpToBases && this.net.isBaseUdp(to)) return; // the lab's firewall
    const source = this.nat ? this.nat.outbound(this.lanAddress, to) : this.lanAddress;
    this.net.deliverPublic(source, to, bytes);
  }

  udpIn(source: Endpoint, bytes: Uint8Array): void {
    this.apply(this.agent.udpData(source, bytes, this.net.now));
  }
}

export class Net {
  now = 0;
  readonly #queue: Scheduled[] = [];
  #seq = 0;
  readonly bases: BaseNode[] = [];
  readonly hosts: HostNode[] = [];
  readonly nats: Nat[] = [];
  readonly rng: () => number;
  readonly #seed: number;
  /** Datagrams dropped by a NAT filter or to nowhere. */
  lost = 0;
  /** Sees every datagram that reaches a base (a wiretap for replay tests). */
  tap: ((source: Endpoint, to: Endpoint, bytes: Uint8Array) => void) | undefined;

  constructor(seed = 1) {
    this.#seed = seed;
    const r = seededRandom(seed);
    this.rng = () => {
      const b = r(4);
      return (((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0) / 2 ** 32;
    };
  }

  randomFor(name: string): (n: number) => Uint8Array {
    let h = this.#seed;
    for (const ch of name) h = (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0;
    return seededRandom(h);
  }

  addBase(name: string, ip: string, limits?: Partial<BaseServerLimits>): BaseNode {
    const b = new BaseNode(this, name, ip, limits);
    this.bases.push(b);
    return b;
  }

  addNat(publicIp: string, kind: 'eim' | 'symmetric'): Nat {
    const n = new Nat(this, publicIp, kind);
    this.nats.push(n);
    return n;
  }

  addHost(
    name: string,
    identity: Identity,
    opts: {
      lanIp: string;
      lan: string;
      nat?: Nat;
      bases: BaseNode[];
      limits?: Partial<HostAgentLimits>;
      /** INFO addresses (default: the LAN address with port 5582). */
      info?: Endpoint[];
    },
  ): HostNode {
    const h = new HostNode(
      this,
      name,
      identity,
      opts.lanIp,
      opts.lan,
      opts.nat,
      opts.bases,
      opts.limits,
      opts.info,
    );
    this.hosts.push(h);
    return h;
  }

  at(t: number, run: () => void): void {
    const item = { at: Math.max(t, this.now), seq: this.#seq++, run };
    const q = this.#queue;
    q.push(item);
    let i = q.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(q[i]!, q[p]!)) break;
      [q[i], q[p]] = [q[p]!, q[i]!];
      i = p;
    }
  }

  later(run: () => void, delay = LATENCY_MS): void {
    this.at(this.now + delay, run);
  }

  #pop(): Scheduled | undefined {
    const q = this.#queue;
    const top = q[0];
    const last = q.pop();
    if (q.length > 0 && last) {
      q[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < q.length && before(q[l]!, q[m]!)) m = l;
        if (r < q.length && before(q[r]!, q[m]!)) m = r;
        if (m === i) break;
        [q[i], q[m]] = [q[m]!, q[i]!];
        i = m;
      }
    }
    return top;
  }

  /** Runs every event up to `now + ms`. */
  runFor(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      const next = this.#queue[0];
      if (!next || next.at > until) break;
      this.#pop();
      this.now = next.at;
      next.run();
    }
    this.now = until;
  }

  /** Runs until `done()` holds (checked after every event) or `ms` pass; returns whether it held. */
  runUntil(done: () => boolean, ms: number): boolean {
    const until = this.now + ms;
    if (done()) return true;
    for (;;) {
      const next = this.#queue[0];
      if (!next || next.at > until) break;
      this.#pop();
      this.now = next.at;
      next.run();
      if (done()) return true;
    }
    this.now = until;
    return done();
  }

  hostById(id: Uint8Array): HostNode | undefined {
    return this.hosts.find((h) => formatIp(h.id) === formatIp(id));
  }

  baseAt(tcp: Endpoint): BaseNode | undefined {
    return this.bases.find((b) => formatEndpoint(b.tcp) === formatEndpoint(tcp));
  }

  isBaseUdp(e: Endpoint): boolean {
    const k = formatEndpoint(e);
    return this.bases.some((b) => b.udp.some((u) => formatEndpoint(u) === k));
  }

  isPrivate(e: Endpoint): boolean {
    const ip = formatIp(e.ip);
    return /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(ip);
  }

  hostOnLan(lan: string, to: Endpoint): HostNode | undefined {
    const k = formatEndpoint(to);
    return this.hosts.find((h) => h.lan === lan && formatEndpoint(h.lanAddress) === k);
  }

  /** A datagram on the public Internet from `source` to `to`. */
  deliverPublic(source: Endpoint, to: Endpoint, bytes: Uint8Array): void {
    const toKey = formatEndpoint(to);
    const src = { ip: source.ip.slice(), port: source.port };
    this.later(() => {
      for (const b of this.bases) {
        const local = b.udp.find((u) => formatEndpoint(u) === toKey);
        if (!local) continue;
        if (!b.alive) return this.#lose();
        b.udpIn++;
        this.tap?.(src, local, bytes);
        b.apply(b.server.udpData(local, src, bytes, this.now));
        return;
      }
      const ip = formatIp(to.ip);
      const nat = this.nats.find((n) => n.publicIp === ip);
      if (nat) {
        const internal = nat.inbound(to.port, src);
        const host =
          internal &&
          nat.hosts.find((h) => formatEndpoint(h.lanAddress) === formatEndpoint(internal));
        if (!host) return this.#lose();
        host.udpIn(src, bytes);
        return;
      }
      const host = this.hosts.find((h) => !h.nat && formatEndpoint(h.lanAddress) === toKey);
      if (!host) return this.#lose();
      host.udpIn(src, bytes);
    });
  }

  /** The IPv4 group copy reaches every other host of the segment, from its LAN address. */
  multicast(from: HostNode, bytes: Uint8Array): void {
    for (const h of this.hosts) {
      if (h === from || h.lan !== from.lan) continue;
      this.later(() =>
        h.apply(h.agent.multicastData({ ip: parseIp(from.lanIp), port: 5581 }, bytes, this.now)),
      );
    }
  }

  #lose(): void {
    this.lost++;
  }
}

const before = (x: Scheduled, y: Scheduled) => x.at < y.at || (x.at === y.at && x.seq < y.seq);
