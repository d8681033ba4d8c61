import type { BoundedMap } from '@peerwire/wire';
import { boundedMap } from './bounded.js';
import type { NodeId } from './node-id.js';
import type { RouteInfo } from './types.js';

interface Advert {
  readonly nodeId: NodeId;
  /** Hops from this node through the advertising neighbour (its `ttl` + 1). */
  readonly distance: number;
  readonly expires: number;
}

interface Route {
  readonly nodeId: NodeId;
  /** GUID of the next hop (a neighbour). */
  readonly via: string;
  readonly distance: number;
}

/** One entry of a ROUTING message to send. */
export interface RoutingAdvert {
  readonly node_id: NodeId;
  readonly ttl: number;
}

/**
 * The distance-vector table of spec §6. It keeps every neighbour's latest advertisement per
 * destination (so an alternative is at hand the moment a path dies) and the best route per
 * destination: the lowest distance, ties broken by the lower next-hop GUID. Distances above
 * `maxDistance` (the default TTL, 32) are unreachable; an entry with such a `ttl` withdraws the
 * route (peerwire's "poison", sent once when a route is lost so that withdrawal is immediate).
 */
export class RoutingTable {
  readonly #adverts = new Map<string, Map<string, Advert>>();
  readonly #neighbours = new Map<string, NodeId>();
  readonly #best = new Map<string, Route>();
  readonly #changed = new Set<string>();
  readonly #hints = new Map<string, string>();

  constructor(
    readonly selfGuid: string,
    readonly maxDistance: number,
    readonly maxRoutes: number,
  ) {
    this.#lastName = boundedMap(maxRoutes, 'insertion');
  }

  /** Destinations with a route. */
  get size(): number {
    return this.#best.size;
  }

  /** True when a destination's best route changed since the last `takeChanges`. */
  get dirty(): boolean {
    return this.#changed.size > 0;
  }

  route(guid: string): Route | undefined {
    return this.#best.get(guid);
  }

  /** A UDP-era ROUTING `address` heard for a node (§2.2): a rendezvous hint only. */
  hint(guid: string): string | undefined {
    return this.#hints.get(guid);
  }

  routes(): RouteInfo[] {
    return [...this.#best.values()].map((r) => ({
      nodeId: r.nodeId,
      nextHop: this.#neighbours.get(r.via) ?? r.via,
      distance: r.distance,
    }));
  }

  addNeighbour(guid: string, nodeId: NodeId): void {
    this.#neighbours.set(guid, nodeId);
    if (!this.#adverts.has(guid)) this.#adverts.set(guid, new Map());
    this.#recompute(guid);
  }

  /** Withdraws the neighbour and every route through it at once (§6). */
  removeNeighbour(guid: string): void {
    this.#neighbours.delete(guid);
    const adverts = this.#adverts.get(guid);
    this.#adverts.delete(guid);
    this.#recompute(guid);
    if (adverts) for (const dest of adverts.keys()) this.#recompute(dest);
    for (const [dest, r] of this.#best) if (r.via === guid) this.#recompute(dest);
  }

  /** Applies the entries of a ROUTING from neighbour `from` (already parsed and normalised). */
  learn(
    from: string,
    entries: readonly { guid: string; nodeId: NodeId; ttl: number; address?: string }[],
    expires: number,
  ): void {
    const adverts = this.#adverts.get(from);
    if (!adverts) return;
    for (const e of entries) {
      if (e.guid === this.selfGuid || e.guid === from) continue;
      if (e.address !== undefined && this.#hints.size < this.maxRoutes) {
        this.#hints.set(e.guid, e.address);
      }
      const distance = e.ttl + 1;
      if (e.ttl < 1 || distance > this.maxDistance) {
        if (adverts.delete(e.guid)) this.#recompute(e.guid);
        continue;
      }
      if (!adverts.has(e.guid) && !this.#best.has(e.guid) && this.#best.size >= this.maxRoutes) {
        continue;
      }
      const old = adverts.get(e.guid);
      adverts.set(e.guid, { nodeId: e.nodeId, distance, expires });
      if (!old || old.distance !== distance || old.nodeId !== e.nodeId) this.#recompute(e.guid);
    }
  }

  /** Drops advertisements not refreshed in time (§6: 3 routing periods). */
  expire(now: number): void {
    for (const adverts of this.#adverts.values()) {
      for (const [dest, a] of adverts) {
        if (a.expires <= now) {
          adverts.delete(dest);
          this.#recompute(dest);
        }
      }
    }
  }

  /** The destinations whose best route changed since the last call. */
  takeChanges(): string[] {
    const out = [...this.#changed];
    this.#changed.clear();
    return out;
  }

  /**
   * What to advertise to neighbour `to`: every route (split horizon: not those through `to`),
   * or with `changes`, only those destinations, lost ones (and those now through `to`) poisoned.
   */
  advertisement(to: string, changes?: readonly string[], limit = Infinity): RoutingAdvert[] {
    const out: RoutingAdvert[] = [];
    const poison = this.maxDistance + 1;
    if (changes) {
      for (const dest of changes) {
        if (dest === to) continue;
        const r = this.#best.get(dest);
        if (r && r.via !== to) out.push({ node_id: r.nodeId, ttl: r.distance });
        else {
          const nodeId = r?.nodeId ?? this.#lastName.get(dest);
          if (nodeId !== undefined) out.push({ node_id: nodeId, ttl: poison });
        }
      }
      return out;
    }
    for (const [dest, r] of this.#best) {
      if (out.length >= limit) break;
      if (dest !== to && r.via !== to) out.push({ node_id: r.nodeId, ttl: r.distance });
    }
    return out;
  }

  /** Names of destinations recently lost, so their poison can name them. */
  readonly #lastName: BoundedMap<string, NodeId>;

  #recompute(dest: string): void {
    let best: Route | undefined;
    const direct = this.#neighbours.get(dest);
    if (direct !== undefined) best = { nodeId: direct, via: dest, distance: 1 };
    else {
      for (const [via, adverts] of this.#adverts) {
        if (!this.#neighbours.has(via)) continue;
        const a = adverts.get(dest);
        if (!a) continue;
        if (
          !best ||
          a.distance < best.distance ||
          (a.distance === best.distance && via < best.via)
        ) {
          best = { nodeId: a.nodeId, via, distance: a.distance };
        }
      }
    }
    const old = this.#best.get(dest);
    if (best) {
      this.#best.set(dest, best);
      this.#lastName.delete(dest);
    } else if (old) {
      this.#best.delete(dest);
      this.#lastName.set(dest, old.nodeId);
    }
    if (
      old?.via !== best?.via ||
      old?.distance !== best?.distance ||
      old?.nodeId !== best?.nodeId
    ) {
      this.#changed.add(dest);
    }
  }
}
