import { sha256 } from '@noble/hashes/sha2.js';
import { NatbaseError } from '../errors.js';
import { formatIp, parseIp } from './address.js';

/** A 16-byte device id: an IPv6 address in `fc94::/16` (spec §4). */
export type DeviceId = Uint8Array;

export const DEVICE_ID_LENGTH = 16;
export const PUBLIC_KEY_LENGTH = 32;
/** The two bytes every device id starts with. */
export const DEVICE_ID_PREFIX = Uint8Array.of(0xfc, 0x94);
/** The proof-of-work bound: `SHA-256(pubkey)[1]` must be below it (and `[0]` zero). */
export const PROOF_OF_WORK_BOUND = 50;

/** The all-zero id upstream gives a key that fails the proof of work (`BadDeviceId`). */
export const BAD_DEVICE_ID: DeviceId = new Uint8Array(DEVICE_ID_LENGTH);

/** Whether `SHA-256(publicKey)` meets the proof-of-work rule `h[0] == 0 && h[1] < 50`. */
export function meetsProofOfWork(publicKey: Uint8Array): boolean {
  if (publicKey.length !== PUBLIC_KEY_LENGTH) return false;
  const h = sha256(publicKey);
  return h[0] === 0 && h[1]! < PROOF_OF_WORK_BOUND;
}

/**
 * The device id of a 32-byte Ed25519 public key: `fc 94 ‖ SHA-256(pk)[3..16]`, or the all-zero
 * `BAD_DEVICE_ID` when the key fails the proof of work (as upstream `pubkeyToDeviceId` does).
 */
export function deviceIdOf(publicKey: Uint8Array): DeviceId {
  if (publicKey.length !== PUBLIC_KEY_LENGTH)
    throw new NatbaseError('BAD_KEY', `a public key is 32 bytes, not ${publicKey.length}`);
  const h = sha256(publicKey);
  if (h[0] !== 0 || h[1]! >= PROOF_OF_WORK_BOUND) return BAD_DEVICE_ID.slice();
  const id = new Uint8Array(DEVICE_ID_LENGTH);
  id.set(DEVICE_ID_PREFIX, 0);
  id.set(h.subarray(3, 17), 2);
  return id;
}

/** Whether `id` is the all-zero `BAD_DEVICE_ID`. */
export function isBadDeviceId(id: Uint8Array): boolean {
  return id.length === DEVICE_ID_LENGTH && id.every((b) => b === 0);
}

/**
 * Checks that `deviceId` is the id of `publicKey` under the proof-of-work rule. Throws
 * `BAD_DEVICE_ID` otherwise (including for every key that fails the proof of work).
 */
export function verifyDeviceId(deviceId: Uint8Array, publicKey: Uint8Array): void {
  if (publicKey.length !== PUBLIC_KEY_LENGTH || !meetsProofOfWork(publicKey))
    throw new NatbaseError('BAD_DEVICE_ID', 'the public key fails the proof-of-work rule');
  const expected = deviceIdOf(publicKey);
  let same = deviceId.length === DEVICE_ID_LENGTH;
  for (let i = 0; same && i < DEVICE_ID_LENGTH; i++) same = deviceId[i] === expected[i];
  if (!same) throw new NatbaseError('BAD_DEVICE_ID', 'the device id is not that of the public key');
}

/** The device id as an IPv6 address (`fc94:…`). */
export function formatDeviceId(id: DeviceId): string {
  return formatIp(id);
}

/** Parses a device id from its IPv6 text. Throws `BAD_ADDRESS` unless it is in `fc94::/16`. */
export function parseDeviceId(text: string): DeviceId {
  const ip = parseIp(text);
  if (ip[0] !== 0xfc || ip[1] !== 0x94)
    throw new NatbaseError('BAD_ADDRESS', `a device id is in fc94::/16: ${text}`);
  return ip;
}
