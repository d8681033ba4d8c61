import type { BoundedMap } from '@peerwire/wire';
import { boundedMap } from './bounded.js';
import { encodeFrame, encodeTextFrame } from './codec/framing.js';
import {
  encodeMessage,
  messageJson,
  type OutgoingMessage,
  type PtpchatMessage,
  type UncheckedEnvelope,
} from './codec/message.js';
import { envelopeTail, type SpliceableFrame, splicedFrame } from './codec/splice.js';
import { ACKED_VERBS, HOP_LOCAL_VERBS, RETRANSMITTED_VERBS, type Verb } from './codec/verbs.js';
import type { DuplicateCache } from './dedup.js';
import type { Route } from './host.js';
import type { PtpchatLimits } from './limits.js';
import type { Link, NeighbourTable } from './neighbours.js';
import { guidOf, type NodeId, randomGuid } from './node-id.js';
import type { RetransmitQueue, Unacked } from './retransmit.js';
import type { RoutingTable } from './routing.js';
import type {
  DropReason,
  PeerHandle,
  PtpchatCounters,
  PtpchatNodeOptions,
  PtpchatOutput,
} from './types.js';

/** HELLO `version` sent by default (§8.1, §14: the package and its version). */
export const PTPCHAT_VERSION = '@peerwire/ptpchat/0.1.0';
/** Largest UDP payload; bigger messages to a punched peer take the relayed route. */
const MAX_DATAGRAM = 65_507;
/** ROUTING entries per message, so that one always fits in a frame. */
const ROUTING_CHUNK = 1_000;

/** The node state the forwarder works on (owned by the engine). */
export interface ForwarderContext {
  readonly nodeId: NodeId;
  readonly guid: string;
  readonly limits: PtpchatLimits;
  readonly counters: PtpchatCounters;
  readonly options: PtpchatNodeOptions;
  readonly random: (length: number) => Uint8Array;
  readonly links: NeighbourTable;
  readonly routing: RoutingTable;
  readonly dedup: DuplicateCache;
  readonly retransmit: RetransmitQueue;
  /** The latest time seen (ms). */
  readonly now: number;
  emit(output: PtpchatOutput): void;
  drop(reason: DropReason, detail: string, link?: Link): void;
}

/**
 * How messages leave a node (spec §3-§6): building envelopes, floods to every neighbour but the
 * arrival one (encoded once), targeted messages to the best next hop (a punched path first),
 * hop-by-hop ACKs, NACKs to the originator, retransmission and its failure reports, and ROUTING
 * advertisements (debounced changes, periodic full tables).
 */
export class Forwarder {
  readonly #c: ForwarderContext;
  /** Messages this node originated that may come back as NACKs: msg_id → target (`maxUnacked`). */
  readonly originated: BoundedMap<string, NodeId | null>;
  /** Originator GUID → the neighbour its latest routed message came from (`maxReversePaths`). */
  readonly #reversePath: BoundedMap<string, PeerHandle>;
  nextRouting = Number.POSITIVE_INFINITY;
  routingDebounce = Number.POSITIVE_INFINITY;

  constructor(context: ForwarderContext) {
    this.#c = context;
    this.originated = boundedMap(context.limits.maxUnacked, 'insertion');
    this.#reversePath = boundedMap(context.limits.maxReversePaths, 'insertion');
  }

  get limits(): PtpchatLimits {
    return this.#c.limits;
  }

  get counters(): PtpchatCounters {
    return this.#c.counters;
  }

  message(verb: Verb, data: unknown, route: Route): OutgoingMessage {
    const hopLocal = !route.flood && route.target === undefined;
    return {
      msg_type: verb,
      msg_data: data,
      ttl: hopLocal ? 1 : this.limits.defaultTtl,
      flood: route.flood ?? false,
      sender_id: this.#c.nodeId,
      target_id: route.target ?? null,
      msg_id: randomGuid(this.#c.random),
    };
  }

  /** Sends a message this node originates (flooded or targeted); returns its msg_id. */
  originate(verb: Verb, data: unknown, route: Route): string {
    const msg = this.message(verb, data, route);
    this.#c.dedup.add(msg.msg_id, this.#c.now);
    if (route.flood) {
      this.counters.floodsOriginated++;
      this.flood(msg, undefined, true);
      return msg.msg_id;
    }
    const targetGuid = guidOf(route.target!);
    this.originated.set(msg.msg_id, route.target!);
    const hop = this.nextHop(targetGuid, msg);
    if (!hop) {
      this.#c.drop('no-route', `to ${route.target}`);
      this.originated.delete(msg.msg_id);
      this.counters.deliveryFailures++;
      this.#c.emit({
        type: 'delivery-failed',
        msgId: msg.msg_id,
        target: route.target!,
        reason: 'no_route',
      });
      return msg.msg_id;
    }
    this.send(hop, msg, undefined, true);
    return msg.msg_id;
  }

  /** The link toward a node: a punched path, the neighbour itself, or the route's next hop. */
  nextHop(guid: string, msg?: OutgoingMessage): Link | undefined {
    const direct = this.#c.links.directByGuid(guid);
    if (direct && (!msg || this.json(msg).length <= MAX_DATAGRAM)) return direct;
    const neighbour = this.#c.links.byGuid(guid);
    if (neighbour) return neighbour;
    const route = this.#c.routing.route(guid);
    if (route) return this.#c.links.byGuid(route.via);
    // No route yet (a node that just appeared sends before ROUTING has told of it): the way its
    // messages came, while that link is up.
    const back = this.#reversePath.get(guid);
    const link = back === undefined ? undefined : this.#c.links.get(back);
    if (link?.nodeId) return link;
    return this.defaultRoute();
  }

  /**
   * A leaf's default route: its oldest `server` neighbour, which may not tell it every route
   * (`maxRoutesToLeaf`). A server has none (servers tell each other everything; a default
   * route between them could only bounce a message back and forth).
   */
  defaultRoute(): Link | undefined {
    return this.#isServer ? undefined : this.#c.links.defaultRoute();
  }

  get #isServer(): boolean {
    return this.#c.options.nodeType === 'server';
  }

  /**
   * A neighbour a server tells only some routes (`maxRoutesToLeaf`): not a `server`, while
   * this node knows more routes than that (a small hub treats leaves like anyone else).
   */
  #isLeaf(link: Link): boolean {
    return (
      this.#isServer &&
      link.nodeType !== 'server' &&
      this.#c.routing.size > this.limits.maxRoutesToLeaf
    );
  }

  /** The full table for a neighbour (split horizon), capped for a leaf. */
  fullAdvertisement(link: Link): { node_id: NodeId; ttl: number }[] {
    const limit = this.#isLeaf(link) ? this.limits.maxRoutesToLeaf : Number.POSITIVE_INFINITY;
    return this.#c.routing.advertisement(link.guid!, undefined, limit);
  }

  /** Originators whose reverse path is remembered (at most `maxReversePaths`). */
  get reversePaths(): number {
    return this.#reversePath.size;
  }

  #heardVia(guid: string, peer: PeerHandle): void {
    this.#reversePath.set(guid, peer); // the newest, the oldest forgotten past the limit
  }

  /** Floods to every neighbour except the one it came from (§3.1), encoded once. */
  flood(
    msg: OutgoingMessage,
    except: PeerHandle | undefined,
    originated: boolean,
    encoded?: Encoded,
  ): void {
    let enc: Encoded;
    try {
      enc = encoded ?? this.encode(msg);
    } catch (e) {
      this.#c.drop('limit', (e as Error).message);
      return;
    }
    for (const link of this.#c.links.neighbours()) {
      if (link.peer === except) continue;
      this.send(link, msg, enc, originated);
    }
  }

  /** A message's JSON and its TCP frame, in one buffer. Throws `MESSAGE_TOO_LARGE`. */
  encode(msg: OutgoingMessage): Encoded {
    const framed = encodeTextFrame(messageJson(msg), this.limits.maxFrameLength);
    return { json: framed.subarray(4), framed };
  }

  /**
   * A received message forwarded with `ttl`: its frame with the envelope tail rewritten
   * (spliced) when it came in the canonical form, else re-encoded.
   */
  #forwardEncoding(out: OutgoingMessage, frame: SpliceableFrame | undefined): Encoded {
    if (frame === undefined) return this.encode(out);
    const tail = envelopeTail(out.ttl, out.flood, out.sender_id, out.target_id, out.msg_id);
    const framed = splicedFrame(frame, tail, this.limits.maxFrameLength);
    return { json: framed.subarray(4), framed };
  }

  readonly #jsonCache = new WeakMap<OutgoingMessage, Uint8Array>();

  json(msg: OutgoingMessage): Uint8Array {
    let json = this.#jsonCache.get(msg);
    if (!json) {
      json = encodeMessage(msg, this.limits.maxFrameLength);
      this.#jsonCache.set(msg, json);
    }
    return json;
  }

  send(link: Link, msg: OutgoingMessage, encoded: Encoded | undefined, originated: boolean): void {
    let enc: Encoded;
    try {
      enc = encoded ?? this.encode(msg);
    } catch (e) {
      this.#c.drop('limit', (e as Error).message);
      return;
    }
    const bytes = link.transport === 'tcp' ? enc.framed : enc.json;
    this.counters.sent++;
    if (link.direct)
      this.#c.emit({ type: 'datagram', address: link.remoteAddress!, message: msg, bytes });
    else this.#c.emit({ type: 'send', peer: link.peer, message: msg, bytes });
    if (RETRANSMITTED_VERBS.has(msg.msg_type)) {
      if (
        !this.#c.retransmit.track({ peer: link.peer, message: msg, bytes, originated }, this.#c.now)
      ) {
        this.#c.drop('limit', 'retransmission queue full');
      }
    }
  }

  /** A hop-local message on one link (HELLO, ACK, ROUTING, CONNECT). */
  sendLocal(link: Link, verb: Verb, data: unknown, target: NodeId | null = null): void {
    const msg = { ...this.message(verb, data, {}), target_id: target };
    this.send(link, msg, undefined, true);
  }

  hello(link: Link): void {
    const data = {
      node_id: this.#c.nodeId,
      version: this.#c.options.version ?? PTPCHAT_VERSION,
      attributes: {
        node_type: this.#c.options.nodeType ?? 'client',
        ...(this.#c.options.udpPort !== undefined ? { udp_port: this.#c.options.udpPort } : {}),
      },
    };
    this.sendLocal(link, 'HELLO', data);
  }

  ack(link: Link, msgId: string): void {
    this.sendLocal(link, 'ACK', { msg_id: msgId });
  }

  /** NACK to the originator (§3.4): only for targeted messages, never for a NACK. */
  nack(
    msg: { msg_type: Verb; sender_id: NodeId | null; msg_id: string | null; flood: boolean },
    reason: 'ttl_expired' | 'no_route',
  ): void {
    if (msg.flood || msg.msg_type === 'NACK' || msg.sender_id === null || msg.msg_id === null)
      return;
    if (guidOf(msg.sender_id) === this.#c.guid) {
      this.counters.deliveryFailures++;
      this.#c.emit({ type: 'delivery-failed', msgId: msg.msg_id, target: null, reason });
      return;
    }
    this.counters.nacksSent++;
    const nack = this.message('NACK', { msg_id: msg.msg_id, reason }, { target: msg.sender_id });
    this.#c.dedup.add(nack.msg_id, this.#c.now);
    const hop = this.nextHop(guidOf(msg.sender_id), nack);
    if (hop) this.send(hop, nack, undefined, true);
  }

  /** ROUTING in chunks that fit a frame; with `always`, an empty table is sent too (§5). */
  sendRouting(
    link: Link,
    entries: readonly { node_id: NodeId; ttl: number }[],
    always = false,
  ): void {
    if (entries.length === 0 && always) this.sendLocal(link, 'ROUTING', { nodes: [] });
    for (let i = 0; i < entries.length; i += ROUTING_CHUNK) {
      this.sendLocal(link, 'ROUTING', { nodes: entries.slice(i, i + ROUTING_CHUNK) });
    }
  }

  routingChanged(): void {
    if (this.#c.routing.dirty && this.routingDebounce === Number.POSITIVE_INFINITY) {
      this.routingDebounce = this.#c.now + this.limits.routingDebounceMs;
    }
  }

  /** An un-ACKed message whose link went away: another next hop, else failure. */
  reroute(e: Unacked): void {
    const msg = e.message;
    if (!msg.flood && msg.target_id !== null) {
      const hop = this.nextHop(guidOf(msg.target_id), msg);
      if (hop) {
        this.send(hop, msg, undefined, e.originated);
        return;
      }
    }
    this.failed(e);
  }

  failed(e: Unacked): void {
    const msg = e.message;
    if (msg.flood) return; // the neighbour is gone; floods have no originator to tell (§3.4)
    if (e.originated) {
      this.originated.delete(msg.msg_id);
      this.counters.deliveryFailures++;
      this.#c.emit({
        type: 'delivery-failed',
        msgId: msg.msg_id,
        target: msg.target_id,
        reason: 'no-ack',
      });
    } else this.nack(msg, 'no_route');
  }

  /** Retransmission (§4): due entries re-sent (re-routed when the route changed) or failed. */
  retransmit(now: number): void {
    const l = this.limits;
    const { resend, failed } = this.#c.retransmit.due(now);
    for (const e of resend) {
      const msg = e.message;
      let link = this.#c.links.get(e.peer);
      if (!msg.flood && msg.target_id !== null) {
        const hop = this.nextHop(guidOf(msg.target_id), msg);
        if (hop && hop !== link) {
          this.#c.retransmit.move(e, hop.peer);
          link = hop;
        }
      }
      if (!link) continue;
      this.counters.retransmissions++;
      this.counters.sent++;
      if (link.direct)
        this.#c.emit({
          type: 'datagram',
          address: link.remoteAddress!,
          message: msg,
          bytes: this.json(msg),
        });
      else
        this.#c.emit({
          type: 'send',
          peer: link.peer,
          message: msg,
          bytes:
            link.transport === 'tcp'
              ? encodeFrame(this.json(msg), l.maxFrameLength)
              : this.json(msg),
        });
    }
    for (const e of failed) this.failed(e);
  }

  /** Routing (§6): expiry, debounced changes, periodic full tables. */
  advertise(now: number): void {
    const l = this.limits;
    if (now >= this.routingDebounce || now >= this.nextRouting) {
      const periodic = now >= this.nextRouting;
      if (periodic) {
        this.nextRouting = now + l.routingIntervalMs;
        this.#c.routing.expire(now);
      }
      this.routingDebounce = Number.POSITIVE_INFINITY;
      const changes = this.#c.routing.takeChanges();
      for (const link of this.#c.links.neighbours()) {
        if (this.#isLeaf(link)) {
          // Leaves get no changes, and a capped table each period.
          if (periodic) this.sendRouting(link, this.fullAdvertisement(link));
          continue;
        }
        const entries = this.#c.routing.advertisement(link.guid!, changes);
        if (periodic) {
          const full = this.#c.routing.advertisement(link.guid!);
          const listed = new Set(full.map((e) => e.node_id));
          entries.splice(
            0,
            entries.length,
            ...full,
            ...entries.filter((e) => !listed.has(e.node_id)),
          );
        }
        if (entries.length > 0) this.sendRouting(link, entries);
      }
    }
  }

  /**
   * Spec §3.1 for a message from neighbour `link` (every verb but HELLO, ACK, ROUTING and
   * CONNECT): the duplicate cache (a duplicate is ACKed again), the per-neighbour rate, the ACK,
   * local delivery, then forwarding with TTL − 1: a flood to every other neighbour, a targeted
   * message to the next hop, a NACK when the TTL runs out or there is no route.
   */
  receive(
    msg: PtpchatMessage | UncheckedEnvelope,
    link: Link,
    deliver: (msg: PtpchatMessage, sender: NodeId, senderGuid: string) => void,
    frame?: SpliceableFrame,
  ): void {
    const id = msg.msg_id!;
    const acked = ACKED_VERBS.has(msg.msg_type);
    if (msg.sender_id === null) {
      this.#c.drop('malformed', `${msg.msg_type} without a sender`, link);
      return;
    }
    if (!this.#c.dedup.add(id, this.#c.now)) {
      this.counters.duplicatesDropped++;
      this.counters.drops.duplicate++;
      if (acked) this.ack(link, id);
      return;
    }
    if (!link.bucket.take(1, this.#c.now)) {
      this.#c.drop('rate-limited', `${msg.msg_type} from ${link.nodeId}`, link);
      return;
    }
    if (acked) this.ack(link, id);
    const senderGuid = guidOf(msg.sender_id);
    if (senderGuid === this.#c.guid) {
      this.#c.drop('malformed', 'a message claiming to come from this node', link);
      return;
    }
    this.#heardVia(senderGuid, link.peer);
    const ttl = Math.min(msg.ttl, this.limits.maxTtl);
    const targetGuid = msg.target_id === null ? null : guidOf(msg.target_id);
    const forMe = msg.flood || targetGuid === null || targetGuid === this.#c.guid;
    // Only transit messages (`isTransit`) come unchecked, and they are never for this node.
    if (forMe) deliver(msg as PtpchatMessage, msg.sender_id, senderGuid);
    if (!msg.flood && (targetGuid === null || targetGuid === this.#c.guid)) return;
    if (ttl - 1 <= 0) {
      this.#c.drop('ttl-expired', `${msg.msg_type} ${id}`, link);
      if (!msg.flood) this.nack(msg, 'ttl_expired');
      return;
    }
    const out: OutgoingMessage = {
      msg_type: msg.msg_type,
      msg_data: msg.msg_data,
      ttl: ttl - 1,
      flood: msg.flood,
      sender_id: msg.sender_id,
      target_id: msg.target_id,
      msg_id: id,
    };
    let encoded: Encoded;
    try {
      encoded = this.#forwardEncoding(out, frame);
    } catch (e) {
      this.#c.drop('limit', (e as Error).message, link);
      return;
    }
    if (msg.flood) {
      this.counters.floodsForwarded++;
      this.flood(out, link.peer, false, encoded);
      return;
    }
    const hop = this.nextHop(targetGuid!, out);
    if (!hop) {
      this.#c.drop('no-route', `to ${msg.target_id}`, link);
      this.nack(msg, 'no_route');
      return;
    }
    this.send(hop, out, encoded, false);
  }

  /**
   * A message this node only passes on (targeted at another node, not a flood, not hop-local):
   * its `msg_data` is the recipient's to validate, so the engine may leave it unchecked.
   */
  isTransit(msg: UncheckedEnvelope): boolean {
    if (msg.flood || msg.target_id === null || HOP_LOCAL_VERBS.has(msg.msg_type)) return false;
    return guidOf(msg.target_id) !== this.#c.guid;
  }
}

/** A message's JSON and, for TCP links, the same bytes framed (`json` is a view into it). */
export interface Encoded {
  readonly json: Uint8Array;
  readonly framed: Uint8Array;
}
