import type { Endpoint } from '../codec/address.js';
import type { DeviceId } from '../codec/device-id.js';

/** A TCP connection id, chosen by the host core (the I/O layer opens it on `connect`). */
export type HostConnectionId = number;

/** What the host agent core asks its I/O layer to do, in order. */
export type HostAgentAction =
  /** Open a TCP connection to a base; report `tcpConnected`, `tcpData`, `tcpClosed` with `conn`. */
  | { readonly type: 'connect'; readonly conn: HostConnectionId; readonly to: Endpoint }
  /** Write one framed record on a base connection. */
  | {
      readonly type: 'send';
      readonly transport: 'tcp';
      readonly conn: HostConnectionId;
      readonly bytes: Uint8Array;
    }
  /** Send one datagram from the host's UDP socket (its source port). */
  | {
      readonly type: 'send';
      readonly transport: 'udp';
      readonly to: Endpoint;
      readonly bytes: Uint8Array;
    }
  /** Send one datagram to a discovery group (`to` is the group and port 5581, spec §10). */
  | {
      readonly type: 'send';
      readonly transport: 'multicast';
      readonly to: Endpoint;
      readonly bytes: Uint8Array;
    }
  /** Close a base connection. */
  | { readonly type: 'close'; readonly conn: HostConnectionId }
  /** Call `timer(now)` at (or after) `at`. Replaces any earlier request. */
  | { readonly type: 'timer'; readonly at: number };

/** How traffic to a peer goes right now (spec §8.2). */
export type PathKind = 'direct' | 'base-udp' | 'base-tcp' | 'none';

/** A peer's path state, as `peer()` and `path` events report it. */
export interface PeerPath {
  readonly deviceId: DeviceId;
  readonly path: PathKind;
  /** The direct path's target (the source of the winning HELLO_REPLY). */
  readonly target?: Endpoint;
  /** HELLO → HELLO_REPLY time of the last direct-path establishment, ms. */
  readonly rttMs?: number;
}

/** Why the host dropped input. */
export type HostDropReason =
  | 'bad-frame'
  | 'malformed'
  | 'bad-hello'
  | 'unknown-peer'
  | 'stale-reply'
  | 'unknown-source'
  | 'bad-multicast'
  | 'peer-limit'
  | 'not-active-base'
  | 'no-path'
  /** HELLOs from one source IP beyond `helloRatePerSecond` (dropped before verifying). */
  | 'rate-limited';

export type HostAgentEvent =
  /** A datagram from a peer, with the path it came on. */
  | {
      readonly type: 'datagram';
      readonly from: DeviceId;
      readonly data: Uint8Array;
      readonly path: 'direct' | 'base-udp' | 'base-tcp';
    }
  /** A peer's path kind, target or RTT changed. */
  | ({ readonly type: 'path' } & PeerPath)
  /** The base in use changed: `base` is its TCP address, undefined when none is left. */
  | { readonly type: 'base'; readonly base: Endpoint | undefined }
  /** UDP to the base became alive (NAT_OK) or expired (35 s without one). */
  | { readonly type: 'base-udp'; readonly alive: boolean }
  | { readonly type: 'peer-gone'; readonly deviceId: DeviceId }
  | { readonly type: 'dropped'; readonly reason: HostDropReason; readonly detail: string };

export interface HostAgentStats {
  readonly peers: number;
  readonly sentDirect: number;
  readonly sentBaseUdp: number;
  readonly sentBaseTcp: number;
  readonly received: number;
  readonly hellosSent: number;
  readonly baseConnects: number;
  readonly drops: Readonly<Record<HostDropReason, number>>;
}

/** Every `HostDropReason`, for the `stats.drops` counters. */
export const HOST_DROP_REASONS: readonly HostDropReason[] = [
  'bad-frame',
  'malformed',
  'bad-hello',
  'unknown-peer',
  'stale-reply',
  'unknown-source',
  'bad-multicast',
  'peer-limit',
  'not-active-base',
  'no-path',
  'rate-limited',
];
