import type { Endpoint } from '../codec/address.js';

/** A TCP connection id, chosen by the I/O layer. */
export type ConnectionId = number;

/** What the base server core asks its I/O layer to do, in order. */
export type BaseServerAction =
  /** Write one framed record (`17 03 03 ‖ len ‖ payload`) on a TCP connection. */
  | {
      readonly type: 'send';
      readonly transport: 'tcp';
      readonly conn: ConnectionId;
      readonly bytes: Uint8Array;
    }
  /** Send one datagram from the base UDP address `from` (always the primary, spec §6) to `to`. */
  | {
      readonly type: 'send';
      readonly transport: 'udp';
      readonly from: Endpoint;
      readonly to: Endpoint;
      readonly bytes: Uint8Array;
    }
  /** Close the connection after the sends queued before it. */
  | { readonly type: 'close'; readonly conn: ConnectionId }
  /** Call `timer(now)` at (or after) `at`. Replaces any earlier request. */
  | { readonly type: 'timer'; readonly at: number };

/** Why the server dropped input or output. Stable: metrics label on these. */
export type DropReason =
  /** The server is at `maxConnections`, `maxConnectionsPerIp` or `maxPendingConnections`. */
  | 'connection-limit'
  /** The server is at `maxDevices`. */
  | 'device-limit'
  /** A TCP record with a bad header or over `maxTcpPayload`. */
  | 'bad-frame'
  /** A message that does not decode (bad length, unknown kind, ...). */
  | 'malformed'
  /** A UDP datagram over `maxUdpDatagram`. */
  | 'oversize'
  /** A public key that fails the proof-of-work rule or does not match the claimed device id. */
  | 'bad-device-id'
  /** A cookie that is not this connection's (TCP) or a live connection's of that device (UDP). */
  | 'bad-cookie'
  /** An Ed25519 signature that does not verify. */
  | 'bad-signature'
  /** A signed message for a device other than the one the connection is bound to. */
  | 'wrong-device'
  /** NAT_INIT / NAT_OK_CONFIRM with a counter already used (a replay), or an unmatched confirm. */
  | 'replay'
  /** A message kind on the wrong transport (INFO over UDP, NAT_INIT over TCP, ...). */
  | 'wrong-transport'
  /** NAT_INIT_TRANSIENT: this base advertises no transient range (spec §16 decision). */
  | 'unsupported'
  /** DATA from an unbound connection, or claiming a source device other than the sender. */
  | 'spoofed-source'
  /** DATA for a device that is not connected. */
  | 'unknown-target'
  /** DATA with no payload (the client parser rejects an empty relayed DATA). */
  | 'empty'
  /** DATA too large to relay over TCP to a target without a confirmed UDP path. */
  | 'too-large'
  /** The target's send queue is over `maxSendQueueBytes`. */
  | 'send-queue-full'
  /** A rate limit (`signedRatePerSecond` or `relayRatePerSecond`). */
  | 'rate-limited'
  /** A device already has `maxInterestsPerDevice` REQUEST_INFO targets. */
  | 'interest-limit';

/** What the server did and why, for logs and metrics (`onEvent`). */
export type BaseServerEvent =
  | { readonly type: 'connected'; readonly conn: ConnectionId; readonly remote: Endpoint }
  | { readonly type: 'bound'; readonly conn: ConnectionId; readonly deviceId: Uint8Array }
  /** A newer connection took over a device; the older one is closed. */
  | {
      readonly type: 'replaced';
      readonly deviceId: Uint8Array;
      readonly old: ConnectionId;
      readonly conn: ConnectionId;
    }
  | {
      readonly type: 'disconnected';
      readonly conn: ConnectionId;
      readonly deviceId: Uint8Array | undefined;
    }
  | {
      readonly type: 'timeout';
      readonly conn: ConnectionId;
      readonly why: 'unbound' | 'idle';
    }
  | { readonly type: 'nat-confirmed'; readonly deviceId: Uint8Array; readonly observed: Endpoint }
  | {
      readonly type: 'relayed';
      readonly from: Uint8Array;
      readonly to: Uint8Array;
      readonly path: 'udp' | 'tcp';
      readonly bytes: number;
    }
  /** DEVICE_ADDRESSES sent without being asked, because the device's addresses changed. */
  | { readonly type: 'pushed'; readonly deviceId: Uint8Array; readonly to: Uint8Array }
  | {
      readonly type: 'dropped';
      readonly reason: DropReason;
      readonly transport: 'tcp' | 'udp';
      /** The connection (TCP) or the datagram's source (UDP). */
      readonly conn?: ConnectionId;
      readonly source?: Endpoint;
      readonly detail: string;
    };

/** Counters the server keeps (monotonic unless named as current). */
export interface BaseServerStats {
  /** Current TCP connections. */
  readonly connections: number;
  /** Current devices bound to a connection. */
  readonly devicesConnected: number;
  /** NAT_OK_CONFIRMs that confirmed a device's UDP path. */
  readonly natConfirmations: number;
  /** NAT_OKs sent. */
  readonly natOks: number;
  /** DATA relayed, by the path it left on. */
  readonly relayedUdp: number;
  readonly relayedTcp: number;
  /** DEVICE_ADDRESSES pushed because addresses changed (§7.7). */
  readonly addressPushes: number;
  /** DEVICE_ADDRESSES sent in answer to REQUEST_INFO (§7.6). */
  readonly addressAnswers: number;
  /** Drops, by reason. */
  readonly drops: Readonly<Record<DropReason, number>>;
}

/** Every `DropReason`, for zeroed counters. */
export const DROP_REASONS: readonly DropReason[] = [
  'connection-limit',
  'device-limit',
  'bad-frame',
  'malformed',
  'oversize',
  'bad-device-id',
  'bad-cookie',
  'bad-signature',
  'wrong-device',
  'replay',
  'wrong-transport',
  'unsupported',
  'spoofed-source',
  'unknown-target',
  'empty',
  'too-large',
  'send-queue-full',
  'rate-limited',
  'interest-limit',
];
