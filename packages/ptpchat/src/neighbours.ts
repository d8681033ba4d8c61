import { TokenBucket } from '@peerwire/wire';
import type { NodeId } from './node-id.js';
import type { NeighbourInfo, PeerHandle } from './types.js';

/** One link the I/O layer opened (or a punched UDP path), and the neighbour on it once known. */
export interface Link {
  readonly peer: PeerHandle;
  readonly transport: 'tcp' | 'udp';
  readonly remoteAddress: string | undefined;
  /** A punched UDP path (spec §9): used for traffic to that node only. */
  readonly direct: boolean;
  /** Set by the neighbour's first HELLO. */
  nodeId: NodeId | null;
  guid: string | null;
  nodeType: 'client' | 'server' | undefined;
  udpPort: number | undefined;
  lastHeard: number;
  /** Fresh routed messages accepted from this neighbour (spec §3, peerwire rate limit). */
  readonly bucket: TokenBucket;
}

/**
 * The links and the neighbours on them (spec §5). A neighbour is known by its GUID; a node has
 * at most one neighbour entry per GUID for relayed links (a new link for the same GUID replaces
 * the old one) and at most one direct (punched) path.
 */
export class NeighbourTable {
  readonly #links = new Map<PeerHandle, Link>();
  readonly #byGuid = new Map<string, PeerHandle>();
  readonly #directByGuid = new Map<string, PeerHandle>();
  /** Identified relayed-link neighbours whose HELLO said `node_type: 'server'`, oldest first. */
  readonly #servers = new Set<PeerHandle>();

  constructor(
    readonly ratePerSecond: number,
    readonly burst: number,
  ) {}

  get size(): number {
    return this.#links.size;
  }

  /** Neighbours identified by a HELLO, over links the I/O layer opened (not punched paths). */
  get identified(): number {
    return this.#byGuid.size;
  }

  open(
    peer: PeerHandle,
    transport: 'tcp' | 'udp',
    remoteAddress: string | undefined,
    direct: boolean,
    now: number,
  ): Link {
    const link: Link = {
      peer,
      transport,
      remoteAddress,
      direct,
      nodeId: null,
      guid: null,
      nodeType: undefined,
      udpPort: undefined,
      lastHeard: now,
      bucket: new TokenBucket(this.ratePerSecond, this.burst, now),
    };
    this.#links.set(peer, link);
    return link;
  }

  get(peer: PeerHandle): Link | undefined {
    return this.#links.get(peer);
  }

  /**
   * Names the neighbour on `link`. Returns the handle of an older link that the same GUID used
   * (the caller closes it), if any.
   */
  identify(link: Link, nodeId: NodeId, guid: string): PeerHandle | undefined {
    link.nodeId = nodeId;
    link.guid = guid;
    const index = link.direct ? this.#directByGuid : this.#byGuid;
    const old = index.get(guid);
    index.set(guid, link.peer);
    this.retype(link);
    return old !== undefined && old !== link.peer ? old : undefined;
  }

  /** Notes a change of an identified link's `nodeType` (a later HELLO may say another). */
  retype(link: Link): void {
    if (link.guid !== null && !link.direct && link.nodeType === 'server')
      this.#servers.add(link.peer);
    else this.#servers.delete(link.peer);
  }

  /** The oldest `server` neighbour: a client's default route (next hop when no route is known). */
  defaultRoute(): Link | undefined {
    for (const peer of this.#servers) return this.#links.get(peer);
    return undefined;
  }

  /** Removes a link; returns it when it was there. */
  close(peer: PeerHandle): Link | undefined {
    const link = this.#links.get(peer);
    if (!link) return undefined;
    this.#links.delete(peer);
    this.#servers.delete(peer);
    if (link.guid !== null) {
      const index = link.direct ? this.#directByGuid : this.#byGuid;
      if (index.get(link.guid) === peer) index.delete(link.guid);
    }
    return link;
  }

  /** The relayed-link neighbour with this GUID. */
  byGuid(guid: string): Link | undefined {
    const peer = this.#byGuid.get(guid);
    return peer === undefined ? undefined : this.#links.get(peer);
  }

  /** The punched path to the node with this GUID. */
  directByGuid(guid: string): Link | undefined {
    const peer = this.#directByGuid.get(guid);
    return peer === undefined ? undefined : this.#links.get(peer);
  }

  /** Every link, identified or not. */
  links(): IterableIterator<Link> {
    return this.#links.values();
  }

  /** Identified neighbours over links the I/O layer opened (flood and ROUTING targets). */
  *neighbours(): IterableIterator<Link> {
    for (const peer of this.#byGuid.values()) yield this.#links.get(peer)!;
  }

  info(link: Link): NeighbourInfo {
    return {
      peer: link.peer,
      nodeId: link.nodeId!,
      transport: link.transport,
      ...(link.nodeType ? { nodeType: link.nodeType } : {}),
      ...(link.remoteAddress ? { remoteAddress: link.remoteAddress } : {}),
      ...(link.udpPort ? { udpPort: link.udpPort } : {}),
      lastHeard: link.lastHeard,
      direct: link.direct,
    };
  }
}
