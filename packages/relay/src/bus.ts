import type { Target } from '@peerwire/address';

/** What a relay tells the bus about its own connections. */
export interface BusAnnouncement {
  readonly type: 'online' | 'offline';
  /** `<srv>.<clientid>` */
  readonly cid: string;
  /** Identity hash of the connection. */
  readonly hash: string;
  /** Hashes of the groups the identity is a valid member of. */
  readonly groups: readonly string[];
}

/**
 * The seam for clustering. A single relay routes locally; a cluster adapter (such as
 * `@peerwire/relay-redis`, Redis/Valkey pub/sub) keeps a **local replicated view** of who is
 * online on the other relays, so that routing stays synchronous:
 *
 * - `remote(target, exclude)` says how many candidates the other relays hold for a `k.` target
 *   (connections) or a `g.` target (member identities other than `exclude`); the router draws
 *   uniformly over local and remote candidates, so `k.` and `g.` spread over the whole cluster;
 * - `deliver` hands a packet to the bus when the draw (or the lack of a local route) says so. It
 *   answers at once from the view: false when nobody anywhere can take it (or the bus is down),
 *   and the router then sends the `no route` reply. A `k.<srv>.<hash>` target asks for a
 *   connection on relay `srv` (the relay a request came from: responses go back there);
 * - packets from other relays enter through `Relay.deliverFromBus` with the name of the relay
 *   they came from, and are only ever delivered locally (at most one hop between relays).
 *
 * Inside the core, `Router` (router.ts) is the only caller of the bus.
 */
export interface RelayBus {
  /** Optional: keeps other relays informed of this relay's connections. */
  announce?(event: BusAnnouncement): void;
  /**
   * Optional: candidates on other relays for a `k.` (live connections of the identity) or `g.`
   * target (connected member identities, `exclude` left out). Missing means 0: only local
   * connections are drawn from, and the bus is asked only when there is no local route.
   */
  remote?(target: Target, exclude?: string): number;
  /**
   * Delivers `packet` to a target this relay does not deliver locally; false when nobody can.
   * `from` is the sending identity's hash (left out when drawing a `g.` member).
   */
  deliver(target: Target, packet: Uint8Array, from?: string): boolean;
}

/** The single-node bus: no other relays, so nothing is reachable beyond this one. */
export const localOnlyBus: RelayBus = {
  deliver: () => false,
};
