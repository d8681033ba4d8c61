import { concatBytes } from './bytes.js';
import { DecodeError } from './errors.js';
import { PacketType, packetHeader, readPacketType } from './packet.js';

/** A ping (client to server) or pong (server to client) packet carrying `payload` (opaque). */
export function encodePing(payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  return concatBytes(Uint8Array.of(packetHeader(PacketType.PingPong)), payload);
}

/** The opaque payload of a ping/pong packet (a view into `packet`). */
export function decodePing(packet: Uint8Array): Uint8Array {
  if (readPacketType(packet) !== PacketType.PingPong) {
    throw new DecodeError('UNKNOWN_TYPE', 'not a ping/pong packet');
  }
  return packet.subarray(1);
}
