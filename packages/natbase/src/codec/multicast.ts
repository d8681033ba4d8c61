import { ByteReader, ByteWriter } from '@peerwire/wire';
import { NatbaseError } from '../errors.js';
import { isV4Mapped, parseIp } from './address.js';
import { DEVICE_ID_LENGTH, type DeviceId } from './device-id.js';
import { checkLength } from './signed-header.js';

/** Link-local discovery (spec §10): UDP port and groups. */
export const MULTICAST_PORT = 5581;
export const MULTICAST_GROUP_V6 = 'ff02:88bb:31e4:95f7:2b87:6b52:e112:19ac';
export const MULTICAST_GROUP_V4 = '224.3.252.148';
/** `sourcePort(u16 LE) ‖ deviceId(16)`. */
export const MULTICAST_LENGTH = 2 + DEVICE_ID_LENGTH;

/** The unsigned discovery announcement: a hint only, a HELLO round-trip is still required. */
export interface MulticastAnnouncement {
  /** The announcer's UDP source port (the one its peer traffic uses). */
  readonly port: number;
  readonly deviceId: DeviceId;
}

export function encodeMulticast(m: MulticastAnnouncement): Uint8Array {
  if (!Number.isInteger(m.port) || m.port < 0 || m.port > 0xffff)
    throw new NatbaseError('BAD_VALUE', `port ${m.port} is not a u16`);
  checkLength(m.deviceId, DEVICE_ID_LENGTH, 'a device id');
  return new ByteWriter(MULTICAST_LENGTH).u16le(m.port).bytes(m.deviceId).finish();
}

/** Decodes an 18-byte announcement. Throws `BAD_LENGTH`. */
export function decodeMulticast(bytes: Uint8Array): MulticastAnnouncement {
  if (bytes.length !== MULTICAST_LENGTH)
    throw new NatbaseError('BAD_LENGTH', `an announcement is 18 bytes, not ${bytes.length}`);
  const r = new ByteReader(bytes);
  const port = r.u16le('port');
  return { port, deviceId: r.bytes(DEVICE_ID_LENGTH).slice() };
}

/**
 * Whether an announcement from `sourceIp` (16 bytes) is accepted (§10): IPv6 link-local
 * (`fe80::/10`) or a private IPv4 source (`10/8`, `172.16/12`, `192.168/16`, and link-local
 * `169.254/16`).
 */
export function isAcceptableMulticastSource(sourceIp: Uint8Array): boolean {
  if (sourceIp.length !== 16) return false;
  if (isV4Mapped(sourceIp)) {
    const a = sourceIp[12]!;
    const b = sourceIp[13]!;
    return (
      a === 10 ||
      (a === 172 && b >= 16 && b < 32) ||
      (a === 192 && b === 168) ||
      (a === 169 && b === 254)
    );
  }
  return sourceIp[0] === 0xfe && (sourceIp[1]! & 0xc0) === 0x80;
}

/** The two groups as 16-byte addresses (the IPv4 one v4-mapped). */
export const MULTICAST_GROUPS: readonly Uint8Array[] = [
  parseIp(MULTICAST_GROUP_V6),
  parseIp(MULTICAST_GROUP_V4),
];
