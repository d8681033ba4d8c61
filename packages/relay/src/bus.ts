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
 * The seam for clustering. A single relay routes locally; when it has no local route for a
 * target it asks the bus, which a cluster adapter (Redis/Valkey pub/sub or streams) implements
 * by forwarding the packet to the relay that holds the target. Packets arriving from other
 * relays enter through `Relay.deliverFromBus`. Inside the core, `Router` (router.ts) is the only
 * caller of the bus: it announces presence changes and hands over what it cannot route.
 */
export interface RelayBus {
  /** Optional: keeps other relays informed of this relay's connections. */
  announce?(event: BusAnnouncement): void;
  /** Delivers `packet` to a target this relay cannot reach locally; false when nobody can. */
  deliver(target: Target, packet: Uint8Array): boolean;
}

/** The single-node bus: no other relays, so nothing is reachable beyond this one. */
export const localOnlyBus: RelayBus = {
  deliver: () => false,
};
