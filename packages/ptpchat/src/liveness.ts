import type { PtpchatMessage } from './codec/message.js';
import type { Forwarder } from './forwarder.js';
import type { PtpchatLimits } from './limits.js';
import type { Link, NeighbourTable } from './neighbours.js';
import { guidOf } from './node-id.js';
import type { RetransmitQueue } from './retransmit.js';
import type { RoutingTable } from './routing.js';
import type { DropReason, PeerHandle, PtpchatOutput } from './types.js';

/** What liveness works on (owned by the engine). */
export interface LivenessContext {
  readonly guid: string;
  readonly limits: PtpchatLimits;
  readonly links: NeighbourTable;
  readonly routing: RoutingTable;
  readonly retransmit: RetransmitQueue;
  readonly fwd: Forwarder;
  emit(output: PtpchatOutput): void;
  drop(reason: DropReason, detail: string, link?: Link): void;
  /** A new neighbour (not a punched path) is up, with a route to it. */
  neighbourUp(nodeId: string): void;
  /** A link is gone (the engine forgets its framer). */
  closed(peer: PeerHandle): void;
}

/**
 * Neighbours and HELLO liveness (spec §5): a link's HELLO names its neighbour (one per GUID, at
 * most `maxNeighbours`), which gets HELLO and ROUTING back; HELLO every interval; a link silent
 * for `deadAfterMs` (a punched path: `directPathIdleMs`) is closed and its routes withdrawn; the
 * un-ACKed messages on a closed link are re-routed or reported.
 */
export class Liveness {
  readonly #c: LivenessContext;
  nextHello = Number.POSITIVE_INFINITY;

  constructor(context: LivenessContext) {
    this.#c = context;
  }

  /** A HELLO on a link (§5, §8.1): names the neighbour, answers with HELLO and ROUTING. */
  hello(msg: PtpchatMessage & { msg_type: 'HELLO' }, link: Link): void {
    const claimed = msg.sender_id ?? msg.msg_data?.node_id ?? null;
    if (claimed === null) {
      this.#c.drop('malformed', 'HELLO names no node', link);
      if (link.nodeId === null) this.close(link.peer, 'malformed', true); // a first frame
      return;
    }
    const guid = guidOf(claimed);
    const attrs = msg.msg_data?.attributes;
    link.nodeType = attrs?.node_type ?? link.nodeType;
    link.udpPort = attrs?.udp_port ?? link.udpPort;
    if (link.guid !== null) {
      this.#c.links.retype(link);
      if (link.guid !== guid) {
        this.#c.drop('malformed', 'HELLO with another node id on the same link', link);
        this.close(link.peer, 'malformed', true);
      }
      return;
    }
    if (guid === this.#c.guid) {
      this.#c.drop('malformed', 'a link to this node itself', link);
      this.close(link.peer, 'malformed', true);
      return;
    }
    if (!link.direct && this.#c.links.identified >= this.#c.limits.maxNeighbours) {
      this.#c.drop('limit', 'too many neighbours', link);
      this.close(link.peer, 'limit', true);
      return;
    }
    const old = this.#c.links.identify(link, claimed, guid);
    if (old !== undefined) this.close(old, 'limit', true);
    this.#c.emit({
      type: 'neighbour-up',
      peer: link.peer,
      nodeId: claimed,
      ...(link.nodeType ? { nodeType: link.nodeType } : {}),
    });
    this.#c.fwd.hello(link);
    if (!link.direct) {
      this.#c.routing.addNeighbour(guid, claimed);
      this.#c.fwd.sendRouting(link, this.#c.fwd.fullAdvertisement(link), true);
      this.#c.fwd.routingChanged();
      this.#c.neighbourUp(claimed);
    }
  }
  /** Removes a link; its neighbour is gone: its routes are withdrawn at once. */
  close(
    peer: PeerHandle,
    reason: DropReason,
    tell: boolean,
    why: 'dead' | 'disconnected' = 'dead',
  ): void {
    const link = this.#c.links.close(peer);
    this.#c.closed(peer);
    if (!link) return;
    if (tell && !link.direct) this.#c.emit({ type: 'close', peer, reason });
    for (const e of this.#c.retransmit.dropPeer(peer)) this.#c.fwd.reroute(e);
    if (link.nodeId === null || link.guid === null) return;
    this.#c.emit({ type: 'neighbour-down', peer, nodeId: link.nodeId, reason: why });
    if (!link.direct && !this.#c.links.byGuid(link.guid)) {
      this.#c.routing.removeNeighbour(link.guid);
      this.#c.fwd.routingChanged();
    }
  }
  /** HELLO to every link and dead links closed, once per HELLO interval; true when it ran. */
  tick(now: number): boolean {
    const l = this.#c.limits;
    if (now < this.nextHello) return false;
    this.nextHello = now + l.helloIntervalMs;
    for (const link of [...this.#c.links.links()]) {
      const deadAfter = link.direct ? l.directPathIdleMs : l.deadAfterMs;
      if (now - link.lastHeard >= deadAfter) {
        this.#c.drop(
          'dead',
          `${link.nodeId ?? link.peer} silent for ${now - link.lastHeard} ms`,
          link,
        );
        this.close(link.peer, 'dead', true);
      } else this.#c.fwd.hello(link);
    }
    return true;
  }
}
