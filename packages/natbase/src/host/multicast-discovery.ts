import type { Endpoint } from '../codec/address.js';
import type { Identity } from '../codec/identity.js';
import {
  decodeMulticast,
  encodeMulticast,
  isAcceptableMulticastSource,
  MULTICAST_GROUPS,
  MULTICAST_PORT,
} from '../codec/multicast.js';
import { type DirectPaths, errorText, sameBytes } from './direct-paths.js';
import type { PeerTable } from './peers.js';
import type { HostAgentAction, HostDropReason } from './types.js';

/**
 * Link-local discovery (spec §10): the unsigned 18-byte announcement sent to both groups every
 * refresh, and received announcements taken as a hint for peers already known (as upstream):
 * accepted only from link-local or private-IPv4 sources, they give the peer's LAN address, which
 * is HELLOed (the HELLO round trip still decides).
 */
export class MulticastDiscovery {
  readonly #announcement: Uint8Array;

  constructor(
    readonly identity: Identity,
    sourcePort: number,
    readonly enabled: boolean,
    readonly peers: PeerTable,
    readonly direct: DirectPaths,
    readonly drop: (reason: HostDropReason, detail: string) => void,
  ) {
    this.#announcement = encodeMulticast({ port: sourcePort, deviceId: identity.deviceId });
  }

  /** The announcements of one refresh, one per group. */
  announce(actions: HostAgentAction[]): void {
    if (!this.enabled) return;
    for (const group of MULTICAST_GROUPS) {
      actions.push({
        type: 'send',
        transport: 'multicast',
        to: { ip: group, port: MULTICAST_PORT },
        bytes: this.#announcement,
      });
    }
  }

  /** A datagram on the discovery socket. */
  receive(source: Endpoint, bytes: Uint8Array, now: number, actions: HostAgentAction[]): void {
    if (!this.enabled) return;
    if (!isAcceptableMulticastSource(source.ip)) {
      this.drop('bad-multicast', 'announcement from a non-local source');
      return;
    }
    let ann: ReturnType<typeof decodeMulticast>;
    try {
      ann = decodeMulticast(bytes);
    } catch (error) {
      this.drop('bad-multicast', errorText(error));
      return;
    }
    if (sameBytes(ann.deviceId, this.identity.deviceId)) return;
    const peer = this.peers.get(ann.deviceId); // a hint for known peers only [ref]
    if (!peer) return;
    this.direct.announced(peer, { ip: source.ip.slice(), port: ann.port }, now, actions);
  }
}
