import { DecodeError } from './errors.js';

/** Spot packet types (low nibble of the first byte). */
export const PacketType = {
  PingPong: 0,
  Handshake: 1,
  InstantMessage: 2,
} as const;
export type PacketType = (typeof PacketType)[keyof typeof PacketType];

/** The only protocol version (high nibble of the first byte). */
export const SPOT_VERSION = 0;

/** `version << 4 | type`. */
export function packetHeader(type: PacketType): number {
  return (SPOT_VERSION << 4) | type;
}

/**
 * Reads and checks the header byte of a Spot packet and returns its type. Throws
 * `TRUNCATED` (empty packet), `BAD_VERSION` or `UNKNOWN_TYPE`, as spotproto's parser does.
 */
export function readPacketType(packet: Uint8Array): PacketType {
  const first = packet[0];
  if (first === undefined) throw new DecodeError('TRUNCATED', 'empty packet');
  const version = first >> 4;
  if (version !== SPOT_VERSION) {
    throw new DecodeError(
      'BAD_VERSION',
      `invalid packet version ${version} (only version 0 exists)`,
    );
  }
  const type = first & 0x0f;
  if (type > PacketType.InstantMessage) {
    throw new DecodeError('UNKNOWN_TYPE', `unknown packet type ${type}`);
  }
  return type as PacketType;
}
