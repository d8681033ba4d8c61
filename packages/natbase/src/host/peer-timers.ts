import type { HostAgentLimits } from '../limits.js';
import type { DirectPaths } from './direct-paths.js';
import type { PeerTable } from './peers.js';
import type { HostAgentAction, HostAgentEvent } from './types.js';

/**
 * The per-peer timers of spec §2 and §8.3, run from the host agent's timer: peers inactive for
 * `peerTeardownMs` are forgotten (with `path: none` and `peer-gone` events), a re-establish
 * without a reply for `reestablishTimeoutMs` falls back to the relay. Returns the earliest next
 * deadline of the peers left.
 */
export function sweepPeers(
  peers: PeerTable,
  direct: DirectPaths,
  l: HostAgentLimits,
  now: number,
  onEvent: (event: HostAgentEvent) => void,
): number {
  let next = Number.POSITIVE_INFINITY;
  for (const peer of [...peers.values()]) {
    if (now >= peer.lastSeen + l.peerTeardownMs && !direct.isActive(peer, now)) {
      peers.remove(peer);
      if (peer.reported !== 'none') onEvent({ type: 'path', deviceId: peer.id, path: 'none' });
      onEvent({ type: 'peer-gone', deviceId: peer.id });
      continue;
    }
    if (
      peer.reestablishing &&
      peer.connected &&
      now >= peer.lastReestablish + l.reestablishTimeoutMs
    ) {
      peer.connected = false; // falling back to the relay
    }
    next = Math.min(next, Math.max(peer.lastSeen, peer.lastActivity) + l.peerTeardownMs);
    if (peer.reestablishing && peer.connected) {
      next = Math.min(next, peer.lastReestablish + l.reestablishTimeoutMs);
    }
  }
  return next;
}

/**
 * The peers' part of a refresh (§8.3): every active peer is HELLOed again at every candidate
 * (a pending re-establish older than `reestablishTimeoutMs` first falls back); an inactive one
 * loses its direct path.
 */
export function refreshPeers(
  peers: PeerTable,
  direct: DirectPaths,
  l: HostAgentLimits,
  now: number,
  actions: HostAgentAction[],
): void {
  for (const peer of peers.values()) {
    if (!direct.isActive(peer, now)) {
      peer.connected = false;
      continue;
    }
    if (
      peer.reestablishing &&
      peer.connected &&
      now - peer.lastReestablish > l.reestablishTimeoutMs
    ) {
      peer.connected = false;
    }
    direct.reestablish(peer, now, actions);
  }
}
