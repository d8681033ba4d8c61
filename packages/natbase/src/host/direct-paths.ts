import { type Endpoint, formatEndpoint, parseIp } from '../codec/address.js';
import type { Identity, RandomSource } from '../codec/identity.js';
import {
  encodePeerToPeer,
  type PeerHelloMessage,
  signPeerHello,
  verifyPeerHello,
} from '../codec/peer-to-peer.js';
import type { Ed25519Verify } from '../codec/signature.js';
import type { HostAgentLimits } from '../limits.js';
import type { Peer, PeerTable } from './peers.js';
import type { HostAgentAction, HostAgentEvent, HostDropReason } from './types.js';

export interface DirectPathHooks {
  readonly counts: { hellosSent: number; received: number };
  drop(reason: HostDropReason, detail: string): void;
  wantTimer(at: number, actions: HostAgentAction[]): void;
  reportPath(peer: Peer, now: number): void;
  event(event: HostAgentEvent): void;
}

/**
 * Direct paths between hosts (spec §8.3, §9): re-establishing by HELLO to every candidate with
 * a fresh cookie, answering HELLOs (and HELLOing back a peer we are trying to reach), the first
 * valid HELLO_REPLY winning, P2P DATA recognised by its source address, and §10 hints.
 */
export class DirectPaths {
  constructor(
    readonly identity: Identity,
    readonly peers: PeerTable,
    readonly limits: HostAgentLimits,
    readonly random: RandomSource,
    readonly verify: Ed25519Verify | undefined,
    readonly hooks: DirectPathHooks,
  ) {}

  isActive(peer: Peer, now: number): boolean {
    return now - peer.lastActivity < this.limits.peerTeardownMs;
  }

  /** HELLO every candidate address with a fresh cookie (§8.3); the first valid reply wins. */
  reestablish(peer: Peer, now: number, actions: HostAgentAction[]): void {
    peer.failed++;
    peer.lastReestablish = now;
    peer.reestablishing = true;
    peer.helloCookie = this.random(16);
    const hello = encodePeerToPeer(
      signPeerHello('HELLO', this.identity, peer.id, peer.helloCookie),
    );
    const targetKey = peer.target ? formatEndpoint(peer.target) : undefined;
    for (const to of this.peers.candidates(peer)) {
      if (to.ip[0] === 0xfc && to.ip[1] === 0x94) continue; // never over the overlay itself
      actions.push({ type: 'send', transport: 'udp', to, bytes: hello });
      this.hooks.counts.hellosSent++;
      if (formatEndpoint(to) === targetKey) {
        actions.push({ type: 'send', transport: 'udp', to, bytes: hello }); // twice, as upstream
      }
    }
    this.hooks.wantTimer(now + this.limits.reestablishTimeoutMs, actions);
  }

  hello(source: Endpoint, msg: PeerHelloMessage, now: number, actions: HostAgentAction[]): void {
    try {
      verifyPeerHello(msg, this.identity.deviceId, this.verify);
    } catch (error) {
      this.hooks.drop('bad-hello', errorText(error));
      return;
    }
    const peer = this.peers.getOrCreate(msg.senderId, now);
    if (!peer) {
      this.hooks.drop('peer-limit', `already ${this.limits.maxPeers} peers`);
      return;
    }
    peer.lastSeen = now;
    this.peers.addSource(peer, source);
    if (isLinkLocal(source.ip) && !peer.linkLocal) {
      peer.linkLocal = { ip: source.ip.slice(), port: source.port };
      if (this.isActive(peer, now)) this.reestablish(peer, now, actions);
    }
    const reply = signPeerHello('HELLO_REPLY', this.identity, msg.senderId, msg.helloCookie);
    actions.push({ type: 'send', transport: 'udp', to: source, bytes: encodePeerToPeer(reply) });
    // peerwire: a HELLO from a peer we are trying to reach proves that its side of the path is
    // open; HELLO it back at that source at once (one datagram, like the reply) instead of
    // waiting for the next refresh, so both NATs open in one round trip. A HELLO from another
    // source than our direct target means the peer may have moved (a restart on a new port, a
    // new address): re-establish now, the first valid reply wins, instead of sending to the old
    // target until the next refresh.
    const moved =
      peer.connected &&
      !peer.reestablishing &&
      peer.target !== undefined &&
      formatEndpoint(peer.target) !== formatEndpoint(source);
    if (this.isActive(peer, now) && (!peer.connected || peer.reestablishing || moved)) {
      if (peer.reestablishing && peer.helloCookie) {
        const hello = signPeerHello('HELLO', this.identity, peer.id, peer.helloCookie);
        actions.push({
          type: 'send',
          transport: 'udp',
          to: source,
          bytes: encodePeerToPeer(hello),
        });
        this.hooks.counts.hellosSent++;
      } else {
        this.reestablish(peer, now, actions);
      }
    }
  }

  helloReply(source: Endpoint, msg: PeerHelloMessage, now: number): void {
    try {
      verifyPeerHello(msg, this.identity.deviceId, this.verify);
    } catch (error) {
      this.hooks.drop('bad-hello', errorText(error));
      return;
    }
    const peer = this.peers.get(msg.senderId);
    if (!peer) {
      this.hooks.drop('unknown-peer', 'HELLO_REPLY from a device never HELLOed');
      return;
    }
    if (
      !peer.reestablishing ||
      !peer.helloCookie ||
      !sameBytes(peer.helloCookie, msg.helloCookie)
    ) {
      this.hooks.drop('stale-reply', 'HELLO_REPLY without the current cookie');
      return;
    }
    peer.target = { ip: source.ip.slice(), port: source.port };
    peer.connected = true;
    peer.failed = 0;
    peer.reestablishing = false;
    peer.rttMs = now - peer.lastReestablish;
    peer.lastSeen = now;
    // peerwire: the winning address also demultiplexes the peer's DATA (§9).
    this.peers.addSource(peer, source);
    this.hooks.reportPath(peer, now);
  }

  peerData(source: Endpoint, payload: Uint8Array, now: number): void {
    const peer = this.peers.bySource(source);
    if (!peer) {
      this.hooks.drop('unknown-source', `DATA from ${formatEndpoint(source)}`);
      return;
    }
    peer.lastActivity = now;
    peer.lastSeen = now;
    this.hooks.counts.received++;
    this.hooks.event({ type: 'datagram', from: peer.id, data: payload, path: 'direct' });
  }

  /** §10: an announcement of a known peer gives its LAN address; HELLO it if that is new. */
  announced(peer: Peer, address: Endpoint, now: number, actions: HostAgentAction[]): void {
    if (!peer.linkLocal || formatEndpoint(peer.linkLocal) !== formatEndpoint(address)) {
      peer.linkLocal = address;
      this.reestablish(peer, now, actions);
    }
  }
}

const LINK_LOCAL_V6 = parseIp('fe80::');

function isLinkLocal(ip: Uint8Array): boolean {
  return ip[0] === LINK_LOCAL_V6[0] && (ip[1]! & 0xc0) === 0x80;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
