// An in-process ptpchat network for tests and benches: nodes joined by simulated TCP links
// (framed bytes, a per-link latency), a simulated UDP plane (one address per node), a virtual
// clock and a seeded random source. Time only moves when the event queue says so.
import {
  createIdentity,
  type PtpchatEvent,
  type PtpchatLimits,
  PtpchatNode,
  type PtpchatNodeOptions,
  type PtpchatOutput,
} from '../src/index.js';

/** mulberry32: a small seeded PRNG (tests only). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomBytesFrom(rng: () => number): (n: number) => Uint8Array {
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = Math.floor(rng() * 256);
    return out;
  };
}

interface Scheduled {
  readonly at: number;
  readonly seq: number;
  readonly run: () => void;
}

class Heap {
  readonly #items: Scheduled[] = [];
  get size(): number {
    return this.#items.length;
  }
  peek(): Scheduled | undefined {
    return this.#items[0];
  }
  push(item: Scheduled): void {
    const a = this.#items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }
  pop(): Scheduled | undefined {
    const a = this.#items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l]!, a[m]!)) m = l;
        if (r < a.length && before(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}
const before = (x: Scheduled, y: Scheduled) => x.at < y.at || (x.at === y.at && x.seq < y.seq);

export interface SimNode {
  readonly name: string;
  readonly node: PtpchatNode;
  readonly events: PtpchatEvent[];
  /** Simulated UDP address of this node. */
  readonly address: string;
  alive: boolean;
  timerAt: number;
  /** Data transmissions (send + datagram actions) by verb. */
  readonly sent: Map<string, number>;
}

export interface SimOptions {
  readonly seed?: number;
  readonly limits?: Partial<PtpchatLimits>;
  /** Latency per hop, ms: uniform in [min, max]. */
  readonly latency?: readonly [number, number];
  /** Keep events (memory); default true. */
  readonly keepEvents?: boolean;
}

/** Start of the virtual clock: a realistic Unix time in ms (ID cards compare against it). */
export const T0 = 1_800_000_000_000;

export class SimNetwork {
  readonly nodes: SimNode[] = [];
  readonly byId = new Map<string, SimNode>();
  readonly byAddress = new Map<string, SimNode>();
  readonly rng: () => number;
  readonly random: (n: number) => Uint8Array;
  now = T0;
  readonly #queue = new Heap();
  #seq = 0;
  /** handle → [owner, peer node, peer's handle]. */
  readonly #links = new Map<
    string,
    { owner: SimNode; other: SimNode; otherHandle: string; lastAt: number }
  >();
  /** Called for every output of every node (tests count transmissions here). */
  onOutput: ((from: SimNode, output: PtpchatOutput) => void) | undefined;
  /** Datagram delivery hook (a NAT model); default: deliver to the node owning the address. */
  routeDatagram:
    | ((from: SimNode, address: string) => { to: SimNode; source: string } | undefined)
    | undefined;

  constructor(readonly options: SimOptions = {}) {
    this.rng = seededRandom(options.seed ?? 1);
    this.random = randomBytesFrom(this.rng);
  }

  async addNode(name: string, extra: Partial<PtpchatNodeOptions> = {}): Promise<SimNode> {
    const index = this.nodes.length;
    const guidBytes = this.random(16);
    const hex = [...guidBytes].map((b) => b.toString(16).padStart(2, '0')).join('');
    const nodeId = `${name}@${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
    const identity = await createIdentity(nodeId, { now: Math.floor(T0 / 1000) - 60 });
    const address = `10.${(index >> 8) & 255}.${index & 255}.1:9001`;
    const sim: SimNode = {
      name,
      node: undefined as unknown as PtpchatNode,
      events: [],
      address,
      alive: true,
      timerAt: Number.NaN,
      sent: new Map(),
    };
    const keep = this.options.keepEvents ?? true;
    const node = new PtpchatNode({
      nodeId,
      identity,
      random: this.random,
      udpPort: 9001,
      ...(this.options.limits ? { limits: this.options.limits } : {}),
      ...extra,
      output: (o) => this.#output(sim, o, keep),
    });
    (sim as { node: PtpchatNode }).node = node;
    this.nodes.push(sim);
    this.byId.set(node.nodeId, sim);
    this.byAddress.set(address, sim);
    return sim;
  }

  /**
   * A TCP link between two nodes; each sees the other's simulated address unless `seen` says what
   * `a` sees of `b` (`aSees`) and `b` of `a` (`bSees`).
   */
  connect(a: SimNode, b: SimNode, seen: { aSees?: string; bSees?: string } = {}): void {
    const ha = `${a.name}>${b.name}#${this.#seq}`;
    const hb = `${b.name}>${a.name}#${this.#seq++}`;
    this.#links.set(ha, { owner: a, other: b, otherHandle: hb, lastAt: 0 });
    this.#links.set(hb, { owner: b, other: a, otherHandle: ha, lastAt: 0 });
    a.node.peerConnected(
      ha,
      {
        transport: 'tcp',
        remoteAddress: seen.aSees ?? b.address.replace(':9001', ':40000'),
        outbound: true,
      },
      this.now,
    );
    b.node.peerConnected(
      hb,
      { transport: 'tcp', remoteAddress: seen.bSees ?? a.address.replace(':9001', ':40001') },
      this.now,
    );
  }

  /** Cuts the link between two nodes: both see a disconnect. */
  disconnect(a: SimNode, b: SimNode): void {
    for (const [h, l] of this.#links) {
      if (l.owner === a && l.other === b) {
        this.#links.delete(h);
        this.#links.delete(l.otherHandle);
        a.node.peerDisconnected(h, this.now);
        b.node.peerDisconnected(l.otherHandle, this.now);
      }
    }
  }

  /** The node stops: no input, no output, no disconnects (its neighbours must notice by silence). */
  kill(n: SimNode): void {
    n.alive = false;
  }

  linksOf(n: SimNode): number {
    let count = 0;
    for (const l of this.#links.values()) if (l.owner === n) count++;
    return count;
  }

  get edges(): number {
    return this.#links.size / 2;
  }

  at(time: number, run: () => void): void {
    this.#queue.push({ at: time, seq: this.#seq++, run });
  }

  #output(from: SimNode, o: PtpchatOutput, keep: boolean): void {
    if (!from.alive) return;
    this.onOutput?.(from, o);
    switch (o.type) {
      case 'send': {
        from.sent.set(o.message.msg_type, (from.sent.get(o.message.msg_type) ?? 0) + 1);
        const l = this.#links.get(o.peer);
        if (!l) return;
        const bytes = o.bytes;
        // A TCP link is FIFO: a frame never overtakes an earlier one on the same link.
        l.lastAt = Math.max(this.now + this.#latency(), l.lastAt);
        this.at(l.lastAt, () => {
          if (l.other.alive && this.#links.has(l.otherHandle))
            l.other.node.receiveBytes(l.otherHandle, bytes, this.now);
        });
        return;
      }
      case 'datagram': {
        from.sent.set(o.message.msg_type, (from.sent.get(o.message.msg_type) ?? 0) + 1);
        const route = this.routeDatagram
          ? this.routeDatagram(from, o.address)
          : (() => {
              const to = this.byAddress.get(o.address);
              return to ? { to, source: from.address } : undefined;
            })();
        if (!route) return;
        const bytes = o.bytes;
        this.at(this.now + this.#latency(), () => {
          if (route.to.alive) route.to.node.receiveDatagram(route.source, bytes, this.now);
        });
        return;
      }
      case 'close': {
        const l = this.#links.get(o.peer);
        if (!l) return;
        this.#links.delete(o.peer);
        this.#links.delete(l.otherHandle);
        this.at(this.now + this.#latency(), () => {
          if (l.other.alive) l.other.node.peerDisconnected(l.otherHandle, this.now);
        });
        return;
      }
      case 'timer': {
        from.timerAt = o.at;
        const at = Math.max(o.at, this.now);
        this.at(at, () => {
          if (from.alive && from.timerAt === o.at) from.node.timer(this.now);
        });
        return;
      }
      default:
        if (keep) from.events.push(o);
    }
  }

  #latency(): number {
    const [min, max] = this.options.latency ?? [1, 5];
    return min + Math.floor(this.rng() * (max - min + 1));
  }

  /** Runs events until the queue is empty or the clock would pass `until` (then sets it there). */
  async run(until: number): Promise<void> {
    for (;;) {
      const next = this.#queue.peek();
      if (!next || next.at > until) break;
      this.#queue.pop();
      if (next.at > this.now) {
        await this.settle();
        this.now = next.at;
      }
      next.run();
    }
    await this.settle();
    this.now = Math.max(this.now, until);
  }

  /** Runs for `ms` of virtual time. */
  runFor(ms: number): Promise<void> {
    return this.run(this.now + ms);
  }

  /** Waits for every node's crypto work (whose outputs may schedule more events). */
  async settle(): Promise<void> {
    for (;;) {
      const busy = this.nodes.filter((n) => n.node.busy);
      if (busy.length === 0) return;
      await Promise.all(busy.map((n) => n.node.idle()));
    }
  }

  eventsOf<T extends PtpchatEvent['type']>(
    n: SimNode,
    type: T,
  ): Extract<PtpchatEvent, { type: T }>[] {
    return n.events.filter((e): e is Extract<PtpchatEvent, { type: T }> => e.type === type);
  }
}

/** A random connected graph: a random spanning tree plus `extra` random edges. */
export function randomTopology(net: SimNetwork, nodes: readonly SimNode[], extra: number): void {
  const seen = new Set<string>();
  const key = (a: SimNode, b: SimNode) =>
    a.name < b.name ? `${a.name}|${b.name}` : `${b.name}|${a.name}`;
  for (let i = 1; i < nodes.length; i++) {
    const j = Math.floor(net.rng() * i);
    seen.add(key(nodes[i]!, nodes[j]!));
    net.connect(nodes[i]!, nodes[j]!);
  }
  let added = 0;
  while (added < extra) {
    const a = nodes[Math.floor(net.rng() * nodes.length)]!;
    const b = nodes[Math.floor(net.rng() * nodes.length)]!;
    if (a === b || seen.has(key(a, b))) continue;
    seen.add(key(a, b));
    net.connect(a, b);
    added++;
  }
}
