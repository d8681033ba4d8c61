// How the Datt node maps engine disconnect reasons to transport close codes, and back.
import type { Link } from '@peerwire/transport';
import { CloseCode } from '@peerwire/wire';
import type { DisconnectReason } from '../engine-types.js';

/** The close code a peer is sent (WebSocket) or shown locally (TCP) for each disconnect reason. */
export function closeCodeOf(reason: DisconnectReason): number {
  switch (reason) {
    case 'BAD_FRAME':
    case 'BAD_MESSAGE':
    case 'UNKNOWN_COMMAND':
    case 'PROTOCOL':
      return CloseCode.ProtocolError;
    case 'BAD_SIGNATURE':
    case 'FLOODING':
    case 'HANDSHAKE_TIMEOUT':
      return CloseCode.PolicyViolation;
    default:
      return CloseCode.Normal;
  }
}

/** Close codes with which the transport itself refuses what a peer sent: counted as `BAD_FRAME`. */
export const FRAME_VIOLATIONS: ReadonlySet<number> = new Set([
  CloseCode.ProtocolError,
  CloseCode.UnsupportedData,
  CloseCode.InvalidData,
  CloseCode.MessageTooBig,
]);

/** WebSocket close code 1013 (try again later): the node already has `maxPeers` peers. */
export const TRY_AGAIN_LATER = 1013;

/** `scheme://address:port` of a link's peer (IPv6 in brackets). */
export function remoteUrl(link: Link, fallback: string): string {
  const r = link.remote;
  if (!r) return fallback;
  const host = r.family === 'IPv6' ? `[${r.address}]` : r.address;
  return `${link.kind === 'tcp' ? 'tcp' : 'ws'}://${host}:${r.port}`;
}
