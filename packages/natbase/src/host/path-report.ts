import { formatEndpoint } from '../codec/address.js';
import type { BaseLink } from './base-link.js';
import type { NatHandshake } from './nat-handshake.js';
import type { Peer, PeerTable } from './peers.js';
import type { HostAgentEvent, PathKind, PeerPath } from './types.js';

/**
 * A peer's path as the §8.2 send order would take it now (direct, else base UDP while NAT is
 * confirmed, else base TCP, else none), and the `path` / `base-udp` events, emitted on change only.
 */
export class PathReport {
  #udpAliveReported = false;

  constructor(
    readonly peers: PeerTable,
    readonly nat: NatHandshake,
    readonly link: BaseLink,
    readonly onEvent: (event: HostAgentEvent) => void,
  ) {}

  pathOf(peer: Peer, now: number): PeerPath {
    let path: PathKind;
    if (peer.connected && peer.target) path = 'direct';
    else if (this.nat.alive(now)) path = 'base-udp';
    else if (this.link.active) path = 'base-tcp';
    else path = 'none';
    const out: PeerPath = { deviceId: peer.id, path };
    if (path === 'direct') return { ...out, target: peer.target, rttMs: peer.rttMs };
    return out;
  }

  /** Emits `path` for `peer` if its path changed since the last report. */
  report(peer: Peer, now: number): void {
    const p = this.pathOf(peer, now);
    const key = p.path === 'direct' ? `direct ${formatEndpoint(p.target!)}` : p.path;
    if (key === peer.reported) return;
    peer.reported = key;
    this.onEvent({ type: 'path', ...p });
  }

  /** Emits `base-udp` on a change of UDP-to-base liveness, then `report` for every peer. */
  reportAll(now: number): void {
    const alive = this.nat.alive(now);
    if (alive !== this.#udpAliveReported) {
      this.#udpAliveReported = alive;
      this.onEvent({ type: 'base-udp', alive });
    }
    for (const peer of this.peers.values()) this.report(peer, now);
  }
}
