/** Why the relay dropped a message without delivering it. */
export type DropReason =
  | 'no_route'
  | 'no_route_response'
  | 'queue_full'
  | 'invalid_sender'
  /** A packet from another relay (through the bus) that does not decode. */
  | 'bus_rejected'
  /** A response beyond the sender's response budget (responses are dropped, not punished). */
  | 'rate_limited';

/** Why the relay closed a connection or refused it. */
export type RejectReason =
  | 'bad_packet'
  | 'too_large'
  | 'not_online'
  | 'unexpected_handshake'
  | 'handshake_failed'
  | 'handshake_timeout'
  | 'rate_limited'
  | 'too_many_connections'
  | 'too_many_connections_from_ip'
  | 'shutting_down'
  /** The transport gave up on a peer that stopped reading (its send buffer hit the hard cap). */
  | 'not_reading'
  /** The transport closed the connection for a protocol violation (bad framing, text frames). */
  | 'transport_violation';

export type RelayEvent =
  | { readonly type: 'open'; readonly cid: string; readonly address: string }
  | {
      readonly type: 'online';
      readonly cid: string;
      readonly hash: string;
      readonly handshakeMs: number;
    }
  | {
      readonly type: 'close';
      readonly cid: string;
      readonly hash: string | undefined;
      readonly reason: string;
    }
  | {
      readonly type: 'reject';
      readonly reason: RejectReason;
      readonly cid?: string;
      readonly detail: string;
    }
  | {
      readonly type: 'handshake-failed';
      readonly cid: string;
      readonly code: string;
      readonly detail: string;
    }
  | { readonly type: 'store-error'; readonly operation: string; readonly error: unknown };

/** Counters, cumulative since the relay started. */
export interface RelayStats {
  connections: number;
  online: number;
  handshakes: number;
  handshakeFailures: number;
  messagesIn: number;
  bytesIn: number;
  messagesRouted: number;
  bytesRouted: number;
  endpointRequests: number;
  pings: number;
  /** Text WebSocket messages admitted by the budgets and ignored (spec §2.1). */
  ignored: number;
  drops: Record<DropReason, number>;
  rejects: Record<RejectReason, number>;
}

/** Every counter at zero. */
export function emptyStats(): RelayStats {
  return {
    connections: 0,
    online: 0,
    handshakes: 0,
    handshakeFailures: 0,
    messagesIn: 0,
    bytesIn: 0,
    messagesRouted: 0,
    bytesRouted: 0,
    endpointRequests: 0,
    pings: 0,
    ignored: 0,
    drops: {
      no_route: 0,
      no_route_response: 0,
      queue_full: 0,
      invalid_sender: 0,
      bus_rejected: 0,
      rate_limited: 0,
    },
    rejects: {
      bad_packet: 0,
      too_large: 0,
      not_online: 0,
      unexpected_handshake: 0,
      handshake_failed: 0,
      handshake_timeout: 0,
      rate_limited: 0,
      too_many_connections: 0,
      too_many_connections_from_ip: 0,
      shutting_down: 0,
      not_reading: 0,
      transport_violation: 0,
    },
  };
}
