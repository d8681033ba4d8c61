import {
  formatAddress,
  isFullAddress,
  parseAddress,
  type UdpAddress,
  unmapIPv4,
} from './address.js';
import type { ConnectData } from './codec/verbs.js';
import { PtpchatError } from './errors.js';
import type { PtpchatLimits } from './limits.js';
import type { Link } from './neighbours.js';
import { guidOf, type NodeId } from './node-id.js';
import { WindowLimiter } from './rate-limit.js';
import type { ConnectEvent, DropReason } from './types.js';

/** What the rendezvous logic needs from the engine. */
export interface RendezvousHost {
  readonly selfId: NodeId;
  readonly selfGuid: string;
  readonly udpPort: number | undefined;
  readonly limits: PtpchatLimits;
  /** The relayed-link neighbour with this GUID. */
  neighbour(guid: string): Link | undefined;
  /** The neighbour through which `guid` is exactly two hops away (a possible S), if any. */
  rendezvousFor(guid: string): Link | undefined;
  sendConnect(link: Link, data: ConnectData, target: NodeId): void;
  sendConnectDatagram(address: string, data: ConnectData, target: NodeId): void;
  /** A HELLO datagram to a punch candidate. */
  probe(address: string): void;
  /** The punched path is up: open a direct link to it. */
  pathUp(nodeId: NodeId, guid: string, address: string): void;
  event(event: ConnectEvent): void;
  drop(reason: DropReason, detail: string): void;
}

interface Punch {
  readonly role: 'initiator' | 'responder';
  readonly peer: NodeId;
  readonly peerGuid: string;
  /** GUID of the rendezvous node S. */
  readonly via: string;
  /** The other side's address, once S told it. */
  address: string | undefined;
  readonly until: number;
  nextProbe: number;
}

interface Relayed {
  readonly initiatorAddress: string;
  readonly until: number;
}

/** `ip:port` in one canonical form (IPv4-mapped IPv6 unmapped), for comparisons. */
export function canonicalAddress(text: string): string {
  const a = parseAddress(text);
  return formatAddress(a.ip === undefined ? a : { ...a, ip: unmapIPv4(a.ip) });
}

function ipOf(remote: string | undefined): string | undefined {
  if (remote === undefined) return undefined;
  try {
    const a = parseAddress(remote);
    return a.ip === undefined ? undefined : unmapIPv4(a.ip);
  } catch {
    return undefined;
  }
}

function portOf(text: string): number | undefined {
  try {
    return parseAddress(text).port;
  } catch {
    return undefined;
  }
}

/**
 * CONNECT, the 5-stage NAT rendezvous of spec §9, for all three roles. The rendezvous node S
 * only forwards between two of its own neighbours, fills in only addresses it observed itself
 * (a TCP link's remote IP, a datagram's source), accepts a UDP stage only from the IP of the
 * claimed node's link, answers stage 3 only for a stage 1 it relayed, and rate-limits per node:
 * CONNECT cannot be used to aim traffic at a third party. Initiator and responder punch only
 * toward the address S gave, for a bounded time.
 */
export class Rendezvous {
  readonly #punches = new Map<string, Punch>();
  readonly #relayed = new Map<string, Relayed>();
  readonly #limiter: WindowLimiter;

  constructor(readonly host: RendezvousHost) {
    const l = host.limits;
    this.#limiter = new WindowLimiter(l.connectPerMinute, 60_000, 4 * l.maxPendingConnects + 1024);
  }

  get pending(): number {
    return this.#punches.size + this.#relayed.size;
  }

  /** Next probe or timeout, for the engine's timer. */
  get nextDue(): number | undefined {
    let due: number | undefined;
    for (const p of this.#punches.values()) {
      const t = p.address ? Math.min(p.nextProbe, p.until) : p.until;
      if (due === undefined || t < due) due = t;
    }
    return due;
  }

  /**
   * Starts a rendezvous as initiator A; false when one toward that node is already under way.
   * Throws `INVALID_ACTION` or `LIMIT_EXCEEDED`.
   */
  connect(responder: NodeId, now: number, via?: NodeId): boolean {
    const h = this.host;
    const guid = guidOf(responder);
    if (h.udpPort === undefined)
      throw new PtpchatError('INVALID_ACTION', 'no UDP port (option udpPort)');
    if (guid === h.selfGuid) throw new PtpchatError('INVALID_ACTION', 'cannot CONNECT to itself');
    if (this.#punches.has(guid)) return false;
    const s = via !== undefined ? h.neighbour(guidOf(via)) : h.rendezvousFor(guid);
    if (!s || s.nodeId === null) {
      throw new PtpchatError('INVALID_ACTION', `no neighbour in common with ${responder}`);
    }
    if (this.pending >= h.limits.maxPendingConnects || !this.#limiter.allow(`to:${guid}`, now)) {
      throw new PtpchatError('LIMIT_EXCEEDED', `too many CONNECT attempts toward ${responder}`);
    }
    this.#punches.set(guid, {
      role: 'initiator',
      peer: responder,
      peerGuid: guid,
      via: s.guid!,
      address: undefined,
      until: now + h.limits.connectTimeoutMs,
      nextProbe: now,
    });
    const data: ConnectData = {
      stage: 1,
      initiator_id: h.selfId,
      responder_id: responder,
      dst: '',
      src: String(h.udpPort),
    };
    this.#toRendezvous(s, data);
    h.event({ type: 'connect', role: 'initiator', peer: responder, state: 'started' });
    return true;
  }

  /** A CONNECT from a neighbour link (TCP) or a datagram from `from` (UDP). */
  receive(data: ConnectData, link: Link | undefined, from: string | undefined, now: number): void {
    switch (data.stage) {
      case 1: {
        this.#relayStage1(data, link, from, now);
        return;
      }
      case 2: {
        this.#respond(data, link, now);
        return;
      }
      case 3: {
        this.#relayStage3(data, link, from, now);
        return;
      }
      case 4: {
        this.#stage4(data, link);
        return;
      }
      case 5: {
        this.#stage5(data, link, from);
        return;
      }
    }
  }

  /** A datagram from `from` that is not on a known link: completes a punch if it matches one. */
  datagram(from: string, nodeId: NodeId | null): boolean {
    const addr = canonicalAddress(from);
    for (const p of this.#punches.values()) {
      if (p.address !== addr) continue;
      if (nodeId !== null && guidOf(nodeId) !== p.peerGuid) continue;
      this.#punches.delete(p.peerGuid);
      this.host.pathUp(p.peer, p.peerGuid, addr);
      this.host.event({
        type: 'connect',
        role: p.role,
        peer: p.peer,
        state: 'direct',
        address: addr,
      });
      return true;
    }
    return false;
  }

  /** Probes due and timeouts. */
  timer(now: number): void {
    for (const [guid, p] of this.#punches) {
      if (p.until <= now) {
        this.#punches.delete(guid);
        this.host.event({
          type: 'connect',
          role: p.role,
          peer: p.peer,
          state: 'failed',
          ...(p.address ? { address: p.address } : {}),
          reason: p.address
            ? 'no datagram from the other side (NAT not traversable)'
            : 'no answer from the rendezvous node',
        });
        continue;
      }
      if (p.address && p.nextProbe <= now) {
        this.host.probe(p.address);
        p.nextProbe = now + this.host.limits.punchIntervalMs;
      }
    }
    for (const [k, r] of this.#relayed) if (r.until <= now) this.#relayed.delete(k);
  }

  /** True when a CONNECT toward `guid` is in progress. */
  isPending(guid: string): boolean {
    return this.#punches.has(guid);
  }

  #toRendezvous(s: Link, data: ConnectData): void {
    const ip = ipOf(s.remoteAddress);
    if (s.udpPort !== undefined && ip !== undefined && s.transport === 'tcp') {
      this.host.sendConnectDatagram(formatAddress({ ip, port: s.udpPort }), data, s.nodeId!);
    } else {
      this.host.sendConnect(s, data, s.nodeId!);
    }
  }

  #reject(detail: string): void {
    this.host.drop('connect-rejected', detail);
  }

  /**
   * The node that sent a stage over `link` or from `from`, checked against `claimed`: over TCP
   * it is the link's neighbour; over UDP, a datagram is believed only from the IP of the claimed
   * node's own TCP link. Returns its link and the address S observed for it.
   */
  #observed(
    claimed: NodeId,
    portText: string,
    link: Link | undefined,
    from: string | undefined,
  ): { link: Link; address: string } | undefined {
    const guid = guidOf(claimed);
    const own = this.host.neighbour(guid);
    if (!own || own.direct) return undefined;
    if (link) {
      if (link.guid !== guid || link.direct) return undefined;
      const ip = ipOf(link.remoteAddress);
      const port = portOf(portText);
      if (ip === undefined || port === undefined) return undefined;
      return { link, address: formatAddress({ ip, port }) };
    }
    if (from === undefined) return undefined;
    let observed: UdpAddress;
    try {
      observed = parseAddress(from);
    } catch {
      return undefined;
    }
    if (!isFullAddress(observed) || unmapIPv4(observed.ip) !== ipOf(own.remoteAddress))
      return undefined;
    return { link: own, address: canonicalAddress(from) };
  }

  #limited(now: number, ...guids: string[]): boolean {
    for (const g of guids) {
      if (!this.#limiter.allow(`node:${g}`, now)) {
        this.host.drop('connect-rate-limited', `CONNECT rate for ${g}`);
        return true;
      }
    }
    return false;
  }

  // S: stage 1 (A → S), answer with stage 2 (S → B).
  #relayStage1(
    data: ConnectData,
    link: Link | undefined,
    from: string | undefined,
    now: number,
  ): void {
    const a = this.#observed(data.initiator_id, from ? '' : data.src, link, from);
    const bGuid = guidOf(data.responder_id);
    const b = this.host.neighbour(bGuid);
    if (!a) {
      this.#reject('stage 1 not from the initiator it names');
      return;
    }
    if (
      !b ||
      b.direct ||
      b.nodeId === null ||
      bGuid === a.link.guid ||
      bGuid === this.host.selfGuid
    ) {
      this.#reject('stage 1 for a responder that is not a neighbour');
      return;
    }
    const bIp = ipOf(b.remoteAddress);
    if (bIp === undefined) {
      this.#reject("the responder's address is unknown");
      return;
    }
    if (this.#relayed.size >= this.host.limits.maxPendingConnects) {
      this.#reject('too many rendezvous');
      return;
    }
    if (this.#limited(now, a.link.guid!, bGuid)) return;
    this.#relayed.set(`${a.link.guid}|${bGuid}`, {
      initiatorAddress: a.address,
      until: now + this.host.limits.connectTimeoutMs,
    });
    this.host.sendConnect(
      b,
      { stage: 2, initiator_id: a.link.nodeId!, responder_id: b.nodeId, dst: a.address, src: bIp },
      b.nodeId,
    );
    this.host.event({
      type: 'connect',
      role: 'rendezvous',
      peer: a.link.nodeId!,
      state: 'started',
    });
  }

  // B: stage 2 (S → B): open the punch toward A, answer with stage 3 (B → S).
  #respond(data: ConnectData, link: Link | undefined, now: number): void {
    const h = this.host;
    if (!link || link.direct || link.guid === null) {
      this.#reject('stage 2 not from a neighbour');
      return;
    }
    if (guidOf(data.responder_id) !== h.selfGuid) {
      this.#reject('stage 2 for another node');
      return;
    }
    const aGuid = guidOf(data.initiator_id);
    if (aGuid === h.selfGuid || aGuid === link.guid) {
      this.#reject('stage 2 with a bad initiator');
      return;
    }
    if (h.udpPort === undefined) {
      this.#reject('no UDP port to punch from');
      return;
    }
    let aAddress: string;
    try {
      aAddress = canonicalAddress(data.dst);
      if (!isFullAddress(parseAddress(aAddress))) throw new Error('partial');
    } catch {
      this.#reject("stage 2 without the initiator's ip:port");
      return;
    }
    if (this.#punches.has(aGuid)) return;
    if (this.pending >= h.limits.maxPendingConnects) {
      this.#reject('too many rendezvous');
      return;
    }
    if (this.#limited(now, aGuid, link.guid)) return;
    this.#punches.set(aGuid, {
      role: 'responder',
      peer: data.initiator_id,
      peerGuid: aGuid,
      via: link.guid,
      address: aAddress,
      until: now + h.limits.connectTimeoutMs,
      nextProbe: now + h.limits.punchIntervalMs,
    });
    this.#toRendezvous(link, {
      stage: 3,
      initiator_id: data.initiator_id,
      responder_id: h.selfId,
      dst: aAddress,
      src: String(h.udpPort),
    });
    h.probe(aAddress);
    h.event({
      type: 'connect',
      role: 'responder',
      peer: data.initiator_id,
      state: 'punching',
      address: aAddress,
    });
  }

  // S: stage 3 (B → S), answer with stage 4 (S → A).
  #relayStage3(
    data: ConnectData,
    link: Link | undefined,
    from: string | undefined,
    now: number,
  ): void {
    const b = this.#observed(data.responder_id, from ? '' : data.src, link, from);
    if (!b) {
      this.#reject('stage 3 not from the responder it names');
      return;
    }
    const aGuid = guidOf(data.initiator_id);
    const key = `${aGuid}|${b.link.guid}`;
    const relayed = this.#relayed.get(key);
    if (!relayed || relayed.until <= now) {
      this.#reject('stage 3 without a stage 1');
      return;
    }
    this.#relayed.delete(key);
    const a = this.host.neighbour(aGuid);
    if (!a || a.nodeId === null) {
      this.#reject('the initiator is gone');
      return;
    }
    this.host.sendConnect(
      a,
      {
        stage: 4,
        initiator_id: a.nodeId,
        responder_id: b.link.nodeId!,
        dst: b.address,
        src: relayed.initiatorAddress,
      },
      a.nodeId,
    );
    this.host.event({ type: 'connect', role: 'rendezvous', peer: a.nodeId, state: 'punching' });
  }

  // A: stage 4 (S → A): send stage 5 to B and punch.
  #stage4(data: ConnectData, link: Link | undefined): void {
    const bGuid = guidOf(data.responder_id);
    const p = this.#punches.get(bGuid);
    if (p?.role !== 'initiator' || !link || link.guid !== p.via || p.address !== undefined) {
      this.#reject('stage 4 that this node did not ask for');
      return;
    }
    let bAddress: string;
    try {
      bAddress = canonicalAddress(data.dst);
      if (!isFullAddress(parseAddress(bAddress))) throw new Error('partial');
    } catch {
      this.#reject("stage 4 without the responder's ip:port");
      return;
    }
    p.address = bAddress;
    this.host.sendConnectDatagram(
      bAddress,
      {
        stage: 5,
        initiator_id: this.host.selfId,
        responder_id: p.peer,
        dst: bAddress,
        src: data.src,
      },
      p.peer,
    );
    this.host.probe(bAddress);
    p.nextProbe = 0;
    this.host.event({
      type: 'connect',
      role: 'initiator',
      peer: p.peer,
      state: 'punching',
      address: bAddress,
    });
  }

  // B: stage 5 (A → B, direct UDP): the path is up when it comes from where S said A is.
  #stage5(data: ConnectData, link: Link | undefined, from: string | undefined): void {
    if (link || from === undefined) {
      this.#reject('stage 5 not over UDP');
      return;
    }
    if (!this.datagram(from, data.initiator_id)) this.#reject('stage 5 from an unexpected address');
  }
}
