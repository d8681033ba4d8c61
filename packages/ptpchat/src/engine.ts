import { ChatRules, type OutgoingAttachment } from './chat.js';
import { PtpchatFramer } from './codec/framing.js';
import {
  decodeJson,
  type PtpchatMessage,
  parseEnvelope,
  parseMessage,
  type UncheckedEnvelope,
  validateData,
} from './codec/message.js';
import { type SpliceableFrame, spliceable } from './codec/splice.js';
import { type ConnectData, HOP_LOCAL_VERBS } from './codec/verbs.js';
import { DuplicateCache } from './dedup.js';
import { PtpchatError } from './errors.js';
import { Forwarder, PTPCHAT_VERSION } from './forwarder.js';
import type { ChatHost } from './host.js';
import { type PtpchatLimits, resolveLimits } from './limits.js';
import { Liveness } from './liveness.js';
import { type Link, NeighbourTable } from './neighbours.js';
import { guidOf, type NodeId, normalizeNodeId, parseNodeId } from './node-id.js';
import { canonicalAddress, Rendezvous, type RendezvousHost } from './rendezvous.js';
import { RetransmitQueue } from './retransmit.js';
import { RoutingTable } from './routing.js';
import type {
  ChannelInfo,
  DropReason,
  NeighbourInfo,
  PeerHandle,
  PeerInfo,
  PtpchatCounters,
  PtpchatEvent,
  PtpchatIdentity,
  PtpchatNodeOptions,
  RouteInfo,
} from './types.js';

const DROP_REASONS: readonly DropReason[] = [
  'malformed',
  'frame-too-large',
  'unknown-verb',
  'duplicate',
  'rate-limited',
  'ttl-expired',
  'no-route',
  'not-neighbour',
  'bad-signature',
  'bad-certificate',
  'guid-impostor',
  'unknown-sender',
  'held-overflow',
  'not-member',
  'no-key',
  'decrypt-failed',
  'attachment-too-large',
  'connect-rejected',
  'connect-rate-limited',
  'limit',
  'dead',
];

const directHandle = (address: string): PeerHandle => `udp:${address}`;

/**
 * A ptpchat node, sans I/O: the I/O layer feeds it bytes, link events and the time, and carries
 * out the actions it outputs (send, datagram, close, timer); the application gets events and
 * calls the user actions. Network input never throws: bad input is dropped and counted.
 */
export class PtpchatNode {
  readonly nodeId: NodeId;
  readonly guid: string;
  readonly limits: PtpchatLimits;
  readonly counters: PtpchatCounters;
  readonly #opts: PtpchatNodeOptions;
  readonly #links: NeighbourTable;
  readonly #framers = new Map<PeerHandle, PtpchatFramer>();
  readonly #dedup: DuplicateCache;
  readonly #routing: RoutingTable;
  readonly #retransmit: RetransmitQueue;
  readonly #chat: ChatRules;
  readonly #rendezvous: Rendezvous;
  readonly #fwd: Forwarder;
  readonly #liveness: Liveness;
  readonly #tasks = new Set<Promise<void>>();
  #now = Number.NEGATIVE_INFINITY;
  #timerAt = Number.NaN;
  #started = false;

  constructor(options: PtpchatNodeOptions) {
    this.#opts = options;
    this.limits = resolveLimits(options.limits);
    const l = this.limits;
    this.nodeId = normalizeNodeId(options.nodeId, l.maxNameLength);
    const { name, guid } = parseNodeId(this.nodeId, l.maxNameLength);
    if (!name) throw new PtpchatError('BAD_NODE_ID', 'a node id needs a name (name@GUID)');
    this.guid = guid;
    this.counters = {
      received: 0,
      sent: 0,
      floodsOriginated: 0,
      floodsForwarded: 0,
      duplicatesDropped: 0,
      retransmissions: 0,
      nacksSent: 0,
      deliveryFailures: 0,
      connectAttempts: 0,
      connectSuccesses: 0,
      connectFailures: 0,
      messagesDelivered: 0,
      drops: Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>,
    };
    this.#links = new NeighbourTable(l.floodRatePerSecond, l.floodBurst);
    this.#dedup = new DuplicateCache(l.duplicateWindowMs, l.duplicateCacheSize);
    this.#routing = new RoutingTable(guid, l.defaultTtl, l.maxRoutes);
    this.#retransmit = new RetransmitQueue(
      l.retransmitIntervalMs,
      l.maxRetransmissions,
      l.maxUnacked,
    );
    const self = this;
    this.#fwd = new Forwarder({
      nodeId: this.nodeId,
      guid,
      limits: l,
      counters: this.counters,
      options,
      random: options.random,
      links: this.#links,
      routing: this.#routing,
      dedup: this.#dedup,
      retransmit: this.#retransmit,
      get now() {
        return self.#now;
      },
      emit: (o) => this.#emit(o),
      drop: (reason, detail, link) => this.#drop(reason, detail, link),
    });
    this.#liveness = new Liveness({
      guid,
      limits: l,
      links: this.#links,
      routing: this.#routing,
      retransmit: this.#retransmit,
      fwd: this.#fwd,
      emit: (o) => this.#emit(o),
      drop: (reason, detail, link) => this.#drop(reason, detail, link),
      closed: (peer) => this.#framers.delete(peer),
      neighbourUp: (nodeId) => this.#chat.neighbourUp(nodeId),
    });
    this.#chat = new ChatRules(this.#chatHost());
    this.#rendezvous = new Rendezvous(this.#rendezvousHost());
    if (options.pins) {
      const pins = [...options.pins];
      this.#spawn(() => this.#chat.restorePins(pins));
    }
  }

  // ================================================================== inputs from the I/O layer

  /** A link opened (TCP connection, or a UDP association the I/O layer manages). Sends HELLO. */
  peerConnected(peer: PeerHandle, info: PeerInfo, now: number): void {
    this.#input(now, () => {
      if (this.#links.get(peer)) this.#liveness.close(peer, 'malformed', false);
      const link = this.#links.open(peer, info.transport, info.remoteAddress, false, now);
      if (info.transport === 'tcp')
        this.#framers.set(peer, new PtpchatFramer(this.limits.maxFrameLength));
      this.#fwd.hello(link);
    });
  }

  /** A link closed. Its neighbour is gone: routes through it are withdrawn at once. */
  peerDisconnected(peer: PeerHandle, now: number): void {
    this.#input(now, () => this.#liveness.close(peer, 'dead', false, 'disconnected'));
  }

  /** Bytes read from a TCP link: framed here (§1.1). An oversize frame closes the link. */
  receiveBytes(peer: PeerHandle, chunk: Uint8Array, now: number): void {
    this.#input(now, () => {
      const framer = this.#framers.get(peer);
      if (!framer) return this.#drop('not-neighbour', 'bytes on an unknown TCP link');
      let frames: Uint8Array[];
      try {
        frames = framer.push(chunk);
      } catch (e) {
        this.#drop('frame-too-large', (e as Error).message, this.#links.get(peer));
        return this.#liveness.close(peer, 'frame-too-large', true);
      }
      for (const f of frames) {
        if (!this.#links.get(peer)) return;
        this.#receiveOne(peer, f, now);
      }
    });
  }

  /** One message on a link: a frame's JSON payload (the I/O layer framed it) or a parsed object. */
  receive(peer: PeerHandle, message: Uint8Array | PtpchatMessage | object, now: number): void {
    this.#input(now, () => this.#receiveOne(peer, message, now));
  }

  /** One datagram on this node's UDP socket from `from` (`ip:port` / `[ip6]:port`). */
  receiveDatagram(from: string, bytes: Uint8Array, now: number): void {
    this.#input(now, () => {
      let address: string;
      try {
        address = canonicalAddress(from);
      } catch {
        return this.#drop('malformed', 'datagram from a bad address');
      }
      const handle = directHandle(address);
      if (this.#links.get(handle)) return this.#receiveOne(handle, bytes, now);
      const msg = this.#decode(bytes)?.msg as PtpchatMessage | undefined;
      if (!msg) return;
      this.counters.received++;
      if (msg.msg_type === 'CONNECT')
        return this.#rendezvous.receive(msg.msg_data, undefined, from, now);
      if (msg.msg_type === 'HELLO') {
        const id = msg.sender_id;
        if (this.#rendezvous.datagram(address, id)) {
          const link = this.#links.get(handle);
          if (link) this.#handle(msg, link);
          return;
        }
      }
      this.#drop('not-neighbour', `${msg.msg_type} datagram from ${address}`);
    });
  }

  /** Call at (or after) the time of the last `timer` action. */
  timer(now: number): void {
    this.#input(now, () => this.#tick(now));
  }

  // ================================================================== user actions

  /** Creates a channel (§8.6) this node is a member of; closed channels get a fresh key. */
  createChannel(name: string, options: { closed?: boolean } = {}, now?: number): ChannelInfo {
    return this.#action(now, () => this.#chat.createChannel(name, options.closed ?? false));
  }

  /** Joins a known channel (§8.4): JOIN to its members; closed: certificate and GETKEY too. */
  join(channelId: string, now?: number): void {
    this.#action(now, () => this.#chat.join(channelId));
  }

  /** Leaves a channel (§8.5): LEAVE to its members. */
  leave(channelId: string, now?: number): void {
    this.#action(now, () => this.#chat.leave(channelId));
  }

  /**
   * Sends a signed MESSAGE to a joined channel (§8.11): flooded in a public channel, one copy per
   * member (encrypted with the channel key) in a closed one. Resolves to the msg_ids.
   */
  async sendMessage(
    channelId: string,
    text: string,
    options: { attachments?: readonly OutgoingAttachment[] } = {},
    now?: number,
  ): Promise<string[]> {
    this.#userTime(now);
    try {
      return await this.#chat.sendMessage(channelId, text, options.attachments);
    } finally {
      this.#schedule();
    }
  }

  /** Sends the key of a closed channel to a node (§8.10) and lists it as a member. */
  invite(channelId: string, nodeId: NodeId, now?: number): void {
    this.#action(now, () => this.#chat.invite(channelId, normalizeNodeId(nodeId)));
  }

  /** Re-sends CHANNEL for a channel (it is also sent periodically while subscribed). */
  announce(channelId: string, now?: number): void {
    this.#action(now, () => {
      const c = this.#chat.channels.get(channelId.toLowerCase());
      if (!c) throw new PtpchatError('UNKNOWN_CHANNEL', `unknown channel ${channelId}`);
      this.#chat.announce(c);
    });
  }

  /** Asks a node for its certificate (GETCERTIFICATE, §8.7). */
  requestCertificate(nodeId: NodeId, now?: number): void {
    this.#action(now, () => this.#chat.requestCertificate(normalizeNodeId(nodeId), true));
  }

  /**
   * Starts a CONNECT rendezvous (§9) to punch a direct UDP path to `nodeId`, through `via` or
   * the neighbour that reaches it in two hops. Progress comes as `connect` events.
   */
  connect(nodeId: NodeId, options: { via?: NodeId } = {}, now?: number): void {
    this.#action(now, () => {
      if (this.#rendezvous.connect(normalizeNodeId(nodeId), this.#now, options.via)) {
        this.counters.connectAttempts++;
      }
    });
  }

  // ================================================================== views

  neighbours(): NeighbourInfo[] {
    return [...this.#links.links()]
      .filter((l) => l.nodeId !== null)
      .map((l) => this.#links.info(l));
  }

  routes(): RouteInfo[] {
    return this.#routing.routes();
  }

  channels(): ChannelInfo[] {
    return [...this.#chat.channels.all()].map((c) => this.#chat.channels.info(c));
  }

  channel(channelId: string): ChannelInfo | undefined {
    const c = this.#chat.channels.get(channelId.toLowerCase());
    return c && this.#chat.channels.info(c);
  }

  /** How traffic to a node goes: a punched UDP path, a neighbour link, relayed, or no route. */
  pathTo(nodeId: NodeId): 'direct' | 'neighbour' | 'relayed' | 'none' {
    const guid = guidOf(nodeId);
    if (this.#links.directByGuid(guid)) return 'direct';
    if (this.#links.byGuid(guid)) return 'neighbour';
    // 'none' is "no route known": a leaf still sends through its default route (its server).
    return this.#routing.route(guid) ? 'relayed' : 'none';
  }

  /** True when this node holds a pinned certificate for the node. */
  hasCertificate(nodeId: NodeId): boolean {
    return this.#chat.certificates.get(guidOf(nodeId)) !== undefined;
  }

  /** The pinned certificates, to pass back as `pins` after a restart (§7.1). */
  certificatePins(): [guid: string, certificate: Uint8Array][] {
    return this.#chat.certificates.entries();
  }

  /** Sizes of the bounded tables (for metrics and tests). */
  get sizes(): Record<string, number> {
    return {
      links: this.#links.size,
      neighbours: this.#links.identified,
      routes: this.#routing.size,
      reversePaths: this.#fwd.reversePaths,
      duplicates: this.#dedup.size,
      unacked: this.#retransmit.size,
      held: this.#chat.held,
      channels: this.#chat.channels.size,
      certificates: this.#chat.certificates.size,
      rendezvous: this.#rendezvous.pending,
    };
  }

  /** True while crypto work (signing, verification) is in flight. */
  get busy(): boolean {
    return this.#tasks.size > 0;
  }

  /** Resolves when no crypto work (signing, verification) is in flight. */
  async idle(): Promise<void> {
    while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks]);
  }

  // ================================================================== receiving

  /**
   * Bytes or a parsed object to a message. `msg_data` is validated against its verb's schema
   * unless the message only passes through this node (`Forwarder.isTransit`: the recipient
   * validates it); JSON bytes in the canonical form also give the frame to splice when
   * forwarding (`codec/splice.ts`).
   */
  #decode(
    input: Uint8Array | object,
  ): { msg: PtpchatMessage | UncheckedEnvelope; frame?: SpliceableFrame } | undefined {
    try {
      if (!(input instanceof Uint8Array)) return { msg: parseMessage(input) };
      const { text, value } = decodeJson(input, this.limits.maxFrameLength);
      const envelope = parseEnvelope(value);
      const msg = this.#fwd.isTransit(envelope) ? envelope : validateData(envelope);
      if (HOP_LOCAL_VERBS.has(msg.msg_type)) return { msg };
      const frame = spliceable(input, text, value as Record<string, unknown>, envelope);
      return frame ? { msg, frame } : { msg };
    } catch (e) {
      const code = e instanceof PtpchatError ? e.code : '';
      this.#drop(
        code === 'UNKNOWN_VERB'
          ? 'unknown-verb'
          : code === 'FRAME_TOO_LARGE'
            ? 'frame-too-large'
            : 'malformed',
        (e as Error).message,
      );
      return undefined;
    }
  }

  #receiveOne(peer: PeerHandle, input: Uint8Array | object, now: number): void {
    const link = this.#links.get(peer);
    if (!link) {
      this.#drop('not-neighbour', `message on unknown link ${peer}`);
      return;
    }
    const decoded = this.#decode(input);
    if (!decoded) {
      // A link's first message must be its HELLO: a link that opens with garbage is closed at
      // once (an identified neighbour's bad frame is only dropped and counted).
      if (link.nodeId === null) this.#liveness.close(peer, 'malformed', true);
      return;
    }
    this.counters.received++;
    link.lastHeard = now;
    this.#handle(decoded.msg, link, decoded.frame);
  }

  #handle(msg: PtpchatMessage | UncheckedEnvelope, link: Link, frame?: SpliceableFrame): void {
    // Hop-local verbs are always validated (only transit messages come unchecked).
    const checked = msg as PtpchatMessage;
    if (checked.msg_type === 'HELLO') {
      this.#liveness.hello(checked, link);
      return;
    }
    if (link.nodeId === null) {
      this.#drop('not-neighbour', `${msg.msg_type} before HELLO`, link);
      this.#liveness.close(link.peer, 'malformed', true);
      return;
    }
    switch (checked.msg_type) {
      case 'ACK':
        this.#retransmit.ack(link.peer, checked.msg_data.msg_id);
        return;
      case 'ROUTING': {
        this.#onRouting(checked, link);
        return;
      }
      case 'CONNECT': {
        this.#rendezvous.receive(checked.msg_data, link, undefined, this.#now);
        return;
      }
      default: {
        this.#fwd.receive(msg, link, this.#deliverFn, frame);
        return;
      }
    }
  }

  readonly #deliverFn = (m: PtpchatMessage, sender: NodeId, guid: string): void =>
    this.#deliver(m, sender, guid);

  #onRouting(msg: PtpchatMessage & { msg_type: 'ROUTING' }, link: Link): void {
    if (link.direct) return;
    const entries = msg.msg_data.nodes.slice(0, this.limits.maxRoutingEntries).map((e) => ({
      guid: guidOf(e.node_id),
      nodeId: e.node_id,
      ttl: e.ttl,
      ...('address' in e && typeof e.address === 'string' ? { address: e.address } : {}),
    }));
    const l = this.limits;
    this.#routing.learn(
      link.guid!,
      entries,
      this.#now + l.routingIntervalMs * l.routeExpiryPeriods,
    );
    this.#fwd.routingChanged();
  }

  #deliver(msg: PtpchatMessage, sender: NodeId, senderGuid: string): void {
    if (msg.msg_type === 'NACK') {
      const failed = msg.msg_data.msg_id;
      if (!this.#fwd.originated.has(failed)) return;
      const target = this.#fwd.originated.get(failed) ?? null;
      this.#fwd.originated.delete(failed);
      this.counters.deliveryFailures++;
      this.#emit({
        type: 'delivery-failed',
        msgId: failed,
        target,
        reason: msg.msg_data.reason ?? 'nack',
      });
      return;
    }
    this.#chat.deliver({ message: msg, sender, senderGuid });
  }

  // ================================================================== links and timers

  #tick(now: number): void {
    if (this.#liveness.tick(now)) {
      this.#dedup.sweep(now);
      this.#chat.timer(now);
    }
    this.#fwd.retransmit(now);
    this.#fwd.advertise(now);
    this.#rendezvous.timer(now);
  }

  #schedule(): void {
    if (!this.#started) return;
    let at = Math.min(this.#liveness.nextHello, this.#fwd.nextRouting, this.#fwd.routingDebounce);
    const r = this.#retransmit.nextDue;
    if (r !== undefined) at = Math.min(at, r);
    const c = this.#rendezvous.nextDue;
    if (c !== undefined) at = Math.min(at, c);
    if (at !== this.#timerAt && Number.isFinite(at)) {
      this.#timerAt = at;
      this.#emit({ type: 'timer', at });
    }
  }

  /** A user action's time: its `now`, else the latest input's; one of them is needed. */
  #userTime(now: number | undefined): void {
    if (now !== undefined) this.#advance(now);
    if (!Number.isFinite(this.#now)) {
      throw new PtpchatError('INVALID_ACTION', 'no time known yet: pass `now` (Unix ms)');
    }
  }

  #advance(now: number): void {
    if (Number.isFinite(now) && now > this.#now) this.#now = now;
    if (!this.#started && Number.isFinite(this.#now)) {
      this.#started = true;
      this.#liveness.nextHello = this.#now + this.limits.helloIntervalMs;
      this.#fwd.nextRouting = this.#now + this.limits.routingIntervalMs;
    }
  }

  /** Runs a network input: never throws (an internal error is counted as a drop). */
  #input(now: number, fn: () => void): void {
    this.#advance(now);
    try {
      fn();
    } catch (e) {
      this.#drop('malformed', `internal: ${(e as Error)?.message ?? String(e)}`);
    }
    this.#schedule();
  }

  /** Runs a user action: its PtpchatErrors reach the caller. */
  #action<T>(now: number | undefined, fn: () => T): T {
    this.#userTime(now);
    try {
      return fn();
    } finally {
      this.#schedule();
    }
  }

  #emit(output: PtpchatEvent | Parameters<PtpchatNodeOptions['output']>[0]): void {
    this.#opts.output(output);
  }

  #drop(reason: DropReason, detail: string, link?: Link): void {
    this.counters.drops[reason]++;
    this.#emit({ type: 'drop', reason, detail, ...(link ? { peer: link.peer } : {}) });
  }

  #spawn(work: () => Promise<void>): void {
    const task = work()
      .catch((e: unknown) =>
        this.#drop('malformed', `internal: ${(e as Error)?.message ?? String(e)}`),
      )
      .finally(() => {
        this.#tasks.delete(task);
        this.#schedule();
      });
    this.#tasks.add(task);
  }

  #chatHost(): ChatHost {
    const self = this;
    return {
      get selfId() {
        return self.nodeId;
      },
      get selfGuid() {
        return self.guid;
      },
      get identity(): PtpchatIdentity {
        return self.#opts.identity;
      },
      get limits() {
        return self.limits;
      },
      get counters() {
        return self.counters;
      },
      get backend() {
        return self.#opts.backend;
      },
      get random() {
        return self.#opts.random;
      },
      get now() {
        return self.#now;
      },
      originate: (verb, data, route) => this.#fwd.originate(verb, data, route),
      emit: (event) => this.#emit(event),
      drop: (reason, detail, link) => this.#drop(reason, detail, link),
      spawn: (work) => this.#spawn(work),
    };
  }

  #rendezvousHost(): RendezvousHost {
    const self = this;
    return {
      get selfId() {
        return self.nodeId;
      },
      get selfGuid() {
        return self.guid;
      },
      get udpPort() {
        return self.#opts.udpPort;
      },
      get limits() {
        return self.limits;
      },
      neighbour: (guid) => this.#links.byGuid(guid),
      rendezvousFor: (guid) => {
        const route = this.#routing.route(guid);
        // Only a known two-hop route (not a leaf's default route): beyond what its server told
        // it (`maxRoutesToLeaf`), a leaf names the rendezvous node with `via`.
        return route && route.distance === 2 ? this.#links.byGuid(route.via) : undefined;
      },
      sendConnect: (link, data: ConnectData, target) =>
        this.#fwd.sendLocal(link, 'CONNECT', data, target),
      sendConnectDatagram: (address, data: ConnectData, target) => {
        const msg = { ...this.#fwd.message('CONNECT', data, {}), target_id: target };
        this.counters.sent++;
        this.#emit({ type: 'datagram', address, message: msg, bytes: this.#fwd.json(msg) });
      },
      probe: (address) => {
        const msg = this.#fwd.message(
          'HELLO',
          { node_id: this.nodeId, version: this.#opts.version ?? PTPCHAT_VERSION },
          {},
        );
        this.counters.sent++;
        this.#emit({ type: 'datagram', address, message: msg, bytes: this.#fwd.json(msg) });
      },
      pathUp: (nodeId, guid, address) => {
        const old = this.#links.directByGuid(guid);
        if (old) this.#liveness.close(old.peer, 'limit', false);
        const link = this.#links.open(directHandle(address), 'udp', address, true, this.#now);
        this.#links.identify(link, nodeId, guid);
        this.counters.connectSuccesses++;
        this.#emit({ type: 'neighbour-up', peer: link.peer, nodeId });
        this.#fwd.hello(link);
      },
      event: (event) => {
        if (event.state === 'failed') this.counters.connectFailures++;
        this.#emit(event);
      },
      drop: (reason, detail) => this.#drop(reason, detail),
    };
  }
}
