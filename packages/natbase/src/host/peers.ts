import { toHex } from '@peerwire/wire';
import { type Endpoint, formatEndpoint } from '../codec/address.js';
import type { DeviceId } from '../codec/device-id.js';

/** What the host knows about one peer device. */
export interface Peer {
  readonly id: DeviceId;
  /** `id` in hex: the map key. */
  readonly key: string;
  /** Candidate addresses from the base's DEVICE_ADDRESSES, sorted by text form. */
  targets: Endpoint[];
  /** The address its multicast announcement gave (§10), or a link-local HELLO source. */
  linkLocal: Endpoint | undefined;
  /** Addresses given by the application (`addCandidate`). */
  readonly manual: Map<string, Endpoint>;
  /** Addresses its datagrams came from (§9), at most `maxSourceAddresses`. */
  readonly sources: Map<string, Endpoint>;
  /** A direct path is up: DATA goes to `target`. */
  connected: boolean;
  target: Endpoint | undefined;
  /** HELLOs are out and a HELLO_REPLY with `helloCookie` is awaited. */
  reestablishing: boolean;
  helloCookie: Uint8Array | undefined;
  lastReestablish: number;
  /** Re-establish attempts since the last success. */
  failed: number;
  /** Last DATA sent to or received from it (−∞ before any). */
  lastActivity: number;
  /** Last time anything of it was seen (activity, HELLO), for the teardown timer. */
  lastSeen: number;
  rttMs: number | undefined;
  /** The path last reported in a `path` event (to emit changes only). */
  reported: string;
}

/** Which peers a full table may forget to make room, and what to do when it does. */
export interface PeerEviction {
  evictable(peer: Peer, now: number): boolean;
  evicted(peer: Peer): void;
}

/**
 * The peers of a host and the source-address map of spec §9: `source address → peer`, at most
 * `maxSources` addresses per peer (a random one is evicted beyond), an address moving to the
 * newer peer on conflict. Bounded by `maxPeers`: a full table forgets its oldest evictable peer
 * for a new one, and refuses the new one when none is evictable.
 */
export class PeerTable {
  readonly #peers = new Map<string, Peer>();
  readonly #bySource = new Map<string, Peer>();

  constructor(
    readonly maxPeers: number,
    readonly maxSources: number,
    /** A uniform integer in [0, n) from the injected random source. */
    readonly randomIndex: (n: number) => number,
    readonly eviction?: PeerEviction,
  ) {}

  get size(): number {
    return this.#peers.size;
  }

  values(): IterableIterator<Peer> {
    return this.#peers.values();
  }

  get(id: DeviceId): Peer | undefined {
    return this.#peers.get(toHex(id));
  }

  /** The peer, created if new (a full table first forgets its oldest evictable peer); undefined when full. */
  getOrCreate(id: DeviceId, now: number): Peer | undefined {
    const key = toHex(id);
    const known = this.#peers.get(key);
    if (known) return known;
    if (this.#peers.size >= this.maxPeers && !this.#makeRoom(now)) return undefined;
    const peer: Peer = {
      id: id.slice(),
      key,
      targets: [],
      linkLocal: undefined,
      manual: new Map(),
      sources: new Map(),
      connected: false,
      target: undefined,
      reestablishing: false,
      helloCookie: undefined,
      lastReestablish: Number.NEGATIVE_INFINITY,
      failed: 0,
      lastActivity: Number.NEGATIVE_INFINITY,
      lastSeen: now,
      rttMs: undefined,
      reported: 'none',
    };
    this.#peers.set(key, peer);
    return peer;
  }

  bySource(source: Endpoint): Peer | undefined {
    return this.#bySource.get(formatEndpoint(source));
  }

  /** §9: remember that `source` is `peer`'s. */
  addSource(peer: Peer, source: Endpoint): void {
    const key = formatEndpoint(source);
    if (peer.sources.has(key)) return;
    if (peer.sources.size >= this.maxSources) {
      const keys = [...peer.sources.keys()];
      const evict = keys[this.randomIndex(keys.length)]!;
      peer.sources.delete(evict);
      if (this.#bySource.get(evict) === peer) this.#bySource.delete(evict);
    }
    peer.sources.set(key, { ip: source.ip.slice(), port: source.port });
    const previous = this.#bySource.get(key);
    if (previous && previous !== peer) previous.sources.delete(key);
    this.#bySource.set(key, peer);
  }

  remove(peer: Peer): void {
    if (this.#peers.get(peer.key) !== peer) return;
    this.#peers.delete(peer.key);
    for (const key of peer.sources.keys()) {
      if (this.#bySource.get(key) === peer) this.#bySource.delete(key);
    }
  }

  /** Forgets the oldest evictable peer (insertion order); false when there is none. */
  #makeRoom(now: number): boolean {
    const e = this.eviction;
    if (!e) return false;
    for (const peer of this.#peers.values()) {
      if (!e.evictable(peer, now)) continue;
      this.remove(peer);
      e.evicted(peer);
      return true;
    }
    return false;
  }

  /** Every address a re-establish HELLOs (§8.3), deduplicated, in a stable order. */
  candidates(peer: Peer): Endpoint[] {
    const out = new Map<string, Endpoint>();
    for (const e of peer.targets) out.set(formatEndpoint(e), e);
    if (peer.linkLocal) out.set(formatEndpoint(peer.linkLocal), peer.linkLocal);
    for (const [k, e] of peer.sources) out.set(k, e);
    for (const [k, e] of peer.manual) out.set(k, e);
    return [...out.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => e);
  }
}
