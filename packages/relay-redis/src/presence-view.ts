import type { Target } from '@peerwire/address';
import type { RelayClock, RelayRandom } from '@peerwire/relay';
import type { RedisClusterLimits } from './options.js';

/** One connection of another relay, as announced. */
export interface PresenceEntry {
  /** `<srv>.<clientid>` */
  readonly cid: string;
  readonly hash: string;
  readonly groups: readonly string[];
}

interface RelayInfo {
  expires: number;
  hosts: readonly string[];
}

/** Where the bus sends a packet: relay `srv`, connection `cid` there. */
export interface PresencePick {
  readonly srv: string;
  readonly cid: string;
}

/**
 * This relay's replicated view of who is online on the **other** relays of the cluster, fed by
 * presence notices and snapshots from Redis. It lets routing stay synchronous: counting and
 * drawing remote candidates never waits for Redis. A relay that has not sent a heartbeat for
 * `presenceTtlMs` is forgotten with all its connections (`expire`). Sans-I/O: clock and
 * randomness are injected.
 */
export class PresenceView {
  readonly #relays = new Map<string, RelayInfo>();
  readonly #conns = new Map<string, PresenceEntry & { readonly srv: string }>();
  /** identity hash → its remote connection ids */
  readonly #byHash = new Map<string, string[]>();
  /** group hash → member identity hash → connections announcing that group */
  readonly #byGroup = new Map<string, Map<string, number>>();
  /** Entries refused by `maxPresencePerIdentity` or `maxPresenceEntries`. */
  refused = 0;

  constructor(
    readonly self: string,
    readonly limits: Pick<
      RedisClusterLimits,
      'presenceTtlMs' | 'maxPresencePerIdentity' | 'maxPresenceEntries'
    >,
    readonly clock: RelayClock,
  ) {}

  /** Remote connections in the view. */
  get size(): number {
    return this.#conns.size;
  }

  /** Live relays (other than this one) and the public hosts they announce. */
  relays(): [string, readonly string[]][] {
    return [...this.#relays].map(([srv, info]) => [srv, info.hosts]);
  }

  /** Whether relay `srv` is live in the view. */
  knows(srv: string): boolean {
    return this.#relays.has(srv);
  }

  /** A heartbeat of `srv`: keeps it (and its connections) alive. Returns true if it was new. */
  heartbeat(srv: string, hosts: readonly string[]): boolean {
    if (srv === this.self) return false;
    const info = this.#relays.get(srv);
    const expires = this.clock.now() + this.limits.presenceTtlMs;
    if (info) {
      info.expires = expires;
      info.hosts = hosts;
      return false;
    }
    this.#relays.set(srv, { expires, hosts });
    return true;
  }

  /** A connection of relay `srv` went online. */
  online(srv: string, entry: PresenceEntry): void {
    if (srv === this.self || this.#conns.has(entry.cid)) return;
    if (!this.#relays.has(srv)) this.heartbeat(srv, []);
    const list = this.#byHash.get(entry.hash);
    if (
      (list?.length ?? 0) >= this.limits.maxPresencePerIdentity ||
      this.#conns.size >= this.limits.maxPresenceEntries
    ) {
      this.refused++;
      return;
    }
    this.#conns.set(entry.cid, { ...entry, srv });
    if (list) list.push(entry.cid);
    else this.#byHash.set(entry.hash, [entry.cid]);
    for (const g of entry.groups) {
      let members = this.#byGroup.get(g);
      if (!members) {
        members = new Map();
        this.#byGroup.set(g, members);
      }
      members.set(entry.hash, (members.get(entry.hash) ?? 0) + 1);
    }
  }

  /** A connection of another relay went offline. */
  offline(cid: string): void {
    const entry = this.#conns.get(cid);
    if (!entry) return;
    this.#conns.delete(cid);
    const list = this.#byHash.get(entry.hash);
    if (list) {
      const i = list.indexOf(cid);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.#byHash.delete(entry.hash);
    }
    for (const g of entry.groups) {
      const members = this.#byGroup.get(g);
      if (!members) continue;
      const n = (members.get(entry.hash) ?? 1) - 1;
      if (n > 0) members.set(entry.hash, n);
      else members.delete(entry.hash);
      if (members.size === 0) this.#byGroup.delete(g);
    }
  }

  /** Forgets relay `srv` and every connection it had. */
  dropRelay(srv: string): void {
    this.#relays.delete(srv);
    for (const [cid, entry] of this.#conns) if (entry.srv === srv) this.offline(cid);
  }

  /** Replaces everything known about `srv` with a snapshot read from Redis. */
  replaceRelay(srv: string, hosts: readonly string[], entries: readonly PresenceEntry[]): void {
    if (srv === this.self) return;
    this.dropRelay(srv);
    this.heartbeat(srv, hosts);
    for (const e of entries) this.online(srv, e);
  }

  /** Drops relays whose heartbeat is older than `presenceTtlMs`; returns their names. */
  expire(): string[] {
    const now = this.clock.now();
    const dead: string[] = [];
    for (const [srv, info] of this.#relays) if (info.expires <= now) dead.push(srv);
    for (const srv of dead) this.dropRelay(srv);
    return dead;
  }

  /** Remote candidates: connections of a `k.` identity, member identities of a `g.` group. */
  count(target: Target, exclude?: string): number {
    if (target.type === 'k') return this.#byHash.get(target.hash)?.length ?? 0;
    if (target.type === 'g') {
      const members = this.#byGroup.get(target.hash);
      if (!members) return 0;
      return members.size - (exclude !== undefined && members.has(exclude) ? 1 : 0);
    }
    if (target.type === 'c') return this.#conns.has(`${target.server}.${target.clientId}`) ? 1 : 0;
    return 0;
  }

  /**
   * Draws the remote connection a target goes to: a random connection of a `k.` identity (on
   * relay `server` when the target names one and it has one there), a random connection of a
   * random member of a `g.` group (other than `exclude`), or the named `c.` connection.
   */
  pick(target: Target, random: RelayRandom, exclude?: string): PresencePick | undefined {
    switch (target.type) {
      case 'k': {
        let cids = this.#byHash.get(target.hash);
        if (!cids) return undefined;
        if (target.server !== undefined) {
          const there = cids.filter((c) => this.#conns.get(c)?.srv === target.server);
          if (there.length > 0) cids = there;
        }
        return this.#entry(cids.length === 1 ? cids[0]! : cids[random.int(cids.length)]!);
      }
      case 'g': {
        const members = this.#byGroup.get(target.hash);
        if (!members) return undefined;
        const pool = [...members.keys()].filter((h) => h !== exclude);
        if (pool.length === 0) return undefined;
        const cids = this.#byHash.get(pool[random.int(pool.length)]!)!;
        return this.#entry(cids[random.int(cids.length)]!);
      }
      case 'c': {
        const cid = `${target.server}.${target.clientId}`;
        return this.#conns.has(cid) ? this.#entry(cid) : undefined;
      }
      default:
        return undefined;
    }
  }

  #entry(cid: string): PresencePick {
    return { srv: this.#conns.get(cid)!.srv, cid };
  }
}
