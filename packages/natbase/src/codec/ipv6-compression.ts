import { NatbaseError } from '../errors.js';
import { DEVICE_ID_LENGTH, type DeviceId } from './device-id.js';
import { checkLength } from './signed-header.js';

/**
 * The IPv6 header compression above the secure layer (spec §12, upstream `network_dev.cpp`):
 * a tunnelled IPv6 packet travels as `nextHeader ‖ L4 bytes` (unicast) or
 * `FF 01 ‖ nextHeader ‖ group(16) ‖ L4 bytes` (multicast); the receiver rebuilds a 40-byte
 * header with hop limit 3, its peer's device id as the source.
 */
export type CompressedPacket =
  | { readonly kind: 'unicast'; readonly nextHeader: number; readonly payload: Uint8Array }
  | {
      readonly kind: 'multicast';
      readonly nextHeader: number;
      /** The destination multicast address (16 bytes, first byte 0xff). */
      readonly group: Uint8Array;
      readonly payload: Uint8Array;
    };

export const IPV6_HEADER_LENGTH = 40;
/** The hop limit of every rebuilt header. */
export const REBUILT_HOP_LIMIT = 3;
const MULTICAST_MARKER_0 = 0xff;
const MULTICAST_MARKER_1 = 0x01;
/** `FF 01 ‖ nextHeader ‖ group`. */
const MULTICAST_HEADER_LENGTH = 3 + 16;

function checkNextHeader(n: number): void {
  if (!Number.isInteger(n) || n < 0 || n > 0xff)
    throw new NatbaseError('BAD_VALUE', `next header ${n} is not a byte`);
}

/** The wire form of a compressed packet. */
export function encodeCompressed(p: CompressedPacket): Uint8Array {
  checkNextHeader(p.nextHeader);
  if (p.payload.length === 0)
    throw new NatbaseError('BAD_LENGTH', 'a compressed packet carries at least one L4 byte');
  if (p.kind === 'unicast') {
    // `FF 01 …` is the multicast marker: a unicast packet must not look like one.
    if (p.nextHeader === MULTICAST_MARKER_0 && p.payload[0] === MULTICAST_MARKER_1)
      throw new NatbaseError('BAD_VALUE', 'unicast next header 255 followed by 0x01 is ambiguous');
    const out = new Uint8Array(1 + p.payload.length);
    out[0] = p.nextHeader;
    out.set(p.payload, 1);
    return out;
  }
  checkLength(p.group, 16, 'a multicast group');
  if (p.group[0] !== 0xff) throw new NatbaseError('BAD_VALUE', 'a multicast group starts with ff');
  const out = new Uint8Array(MULTICAST_HEADER_LENGTH + p.payload.length);
  out[0] = MULTICAST_MARKER_0;
  out[1] = MULTICAST_MARKER_1;
  out[2] = p.nextHeader;
  out.set(p.group, 3);
  out.set(p.payload, MULTICAST_HEADER_LENGTH);
  return out;
}

/** Decodes a compressed packet (what the secure layer delivered). Throws `BAD_LENGTH` / `BAD_VALUE`. */
export function decodeCompressed(bytes: Uint8Array): CompressedPacket {
  if (bytes.length < 2)
    throw new NatbaseError(
      'BAD_LENGTH',
      `a compressed packet is at least 2 bytes, not ${bytes.length}`,
    );
  if (bytes[0] === MULTICAST_MARKER_0 && bytes[1] === MULTICAST_MARKER_1) {
    if (bytes.length <= MULTICAST_HEADER_LENGTH)
      throw new NatbaseError(
        'BAD_LENGTH',
        `a multicast packet is at least 20 bytes, not ${bytes.length}`,
      );
    const group = bytes.slice(3, MULTICAST_HEADER_LENGTH);
    if (group[0] !== 0xff) throw new NatbaseError('BAD_VALUE', 'a multicast group starts with ff');
    return {
      kind: 'multicast',
      nextHeader: bytes[2]!,
      group,
      payload: bytes.slice(MULTICAST_HEADER_LENGTH),
    };
  }
  return { kind: 'unicast', nextHeader: bytes[0]!, payload: bytes.slice(1) };
}

/**
 * Rebuilds the IPv6 packet of a compressed one from `source` (the peer's device id); unicast
 * packets go to `ownId`, multicast ones to their group. Hop limit 3, traffic class and flow 0.
 */
export function expandToIPv6(p: CompressedPacket, source: DeviceId, ownId: DeviceId): Uint8Array {
  checkLength(source, DEVICE_ID_LENGTH, 'a device id');
  checkLength(ownId, DEVICE_ID_LENGTH, 'a device id');
  if (p.payload.length > 0xffff)
    throw new NatbaseError(
      'BAD_LENGTH',
      `an IPv6 payload is at most 65535 bytes, not ${p.payload.length}`,
    );
  const out = new Uint8Array(IPV6_HEADER_LENGTH + p.payload.length);
  out[0] = 6 << 4;
  out[4] = p.payload.length >> 8;
  out[5] = p.payload.length & 0xff;
  out[6] = p.nextHeader;
  out[7] = REBUILT_HOP_LIMIT;
  out.set(source, 8);
  out.set(p.kind === 'unicast' ? ownId : p.group, 24);
  out.set(p.payload, IPV6_HEADER_LENGTH);
  return out;
}

/**
 * Compresses an outgoing IPv6 packet from `ownId`. Multicast destinations (`ff…`) give the
 * multicast form (the caller picks the devices to send it to); `fc94::/16` destinations give the
 * unicast form to that device. Anything else, a source other than `ownId` for unicast, a packet
 * of 40 bytes or less, or not IPv6, throws `BAD_VALUE` / `BAD_LENGTH`.
 */
export function compressIPv6(
  packet: Uint8Array,
  ownId: DeviceId,
): { readonly destination: Uint8Array; readonly packet: CompressedPacket } {
  if (packet.length <= IPV6_HEADER_LENGTH)
    throw new NatbaseError(
      'BAD_LENGTH',
      `an IPv6 packet is more than 40 bytes, not ${packet.length}`,
    );
  if (packet[0]! >> 4 !== 6) throw new NatbaseError('BAD_VALUE', 'not an IPv6 packet');
  const nextHeader = packet[6]!;
  const src = packet.subarray(8, 24);
  const destination = packet.slice(24, 40);
  const payload = packet.slice(IPV6_HEADER_LENGTH);
  if (destination[0] === 0xff)
    return { destination, packet: { kind: 'multicast', nextHeader, group: destination, payload } };
  if (destination[0] !== 0xfc || destination[1] !== 0x94)
    throw new NatbaseError('BAD_VALUE', 'the destination is neither fc94::/16 nor multicast');
  for (let i = 0; i < DEVICE_ID_LENGTH; i++)
    if (src[i] !== ownId[i]) throw new NatbaseError('BAD_VALUE', 'the source is not this device');
  const p: CompressedPacket = { kind: 'unicast', nextHeader, payload };
  encodeCompressed(p); // rejects the one ambiguous unicast form
  return { destination, packet: p };
}
