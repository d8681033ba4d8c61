import {
  decodeInstantMessage,
  type InstantMessage,
  type InstantMessageLimits,
} from './instant-message.js';
import { PacketType, readPacketType } from './packet.js';

/** A Spot packet as decoded by `decodePacket`. */
export type SpotPacket =
  | { readonly type: 'ping'; readonly payload: Uint8Array }
  /** Request or response: only the direction tells, so the payload is left to the caller. */
  | { readonly type: 'handshake'; readonly payload: Uint8Array }
  | { readonly type: 'message'; readonly message: InstantMessage };

/**
 * Decodes one Spot packet (one binary WebSocket message). Handshake payloads are returned raw;
 * decode them with `decodeHandshakeRequest` or `decodeHandshakeResponse` by direction.
 */
export function decodePacket(packet: Uint8Array, limits?: InstantMessageLimits): SpotPacket {
  switch (readPacketType(packet)) {
    case PacketType.PingPong:
      return { type: 'ping', payload: packet.subarray(1) };
    case PacketType.Handshake:
      return { type: 'handshake', payload: packet.subarray(1) };
    case PacketType.InstantMessage:
      return { type: 'message', message: decodeInstantMessage(packet, limits) };
  }
}
