import type { ByteReader, ByteWriter } from '@peerwire/wire';
import { NatbaseError } from '../errors.js';
import { DEVICE_ID_LENGTH, type DeviceId, PUBLIC_KEY_LENGTH, verifyDeviceId } from './device-id.js';
import {
  type Ed25519Verify,
  SIGNATURE_LENGTH,
  SignatureContext,
  verifyWithContext,
} from './signature.js';

export const COOKIE_LENGTH = 16;
/** `kind(1) ‖ myDeviceId(16) ‖ myPubkey(32) ‖ cookie(16)` (spec §5). */
export const SIGNED_HEADER_LENGTH = 1 + DEVICE_ID_LENGTH + PUBLIC_KEY_LENGTH + COOKIE_LENGTH;

/** The sender fields of the common signed header **H** of every signed peer → base message. */
export interface SignedHeader {
  readonly deviceId: DeviceId;
  readonly publicKey: Uint8Array;
  /** The 16-byte cookie of the base's HELLO on this connection. */
  readonly cookie: Uint8Array;
  /** Ed25519 over `"ng-p2b-msg\n" ‖ everything before it`, 64 bytes, at the very end. */
  readonly signature: Uint8Array;
}

export function checkLength(value: Uint8Array, length: number, what: string): void {
  if (value.length !== length)
    throw new NatbaseError('BAD_VALUE', `${what} is ${length} bytes, not ${value.length}`);
}

/** Writes `kind ‖ H` (the signature is written by the caller at the end). */
export function writeSignedHeader(
  w: ByteWriter,
  kind: number,
  h: Omit<SignedHeader, 'signature'>,
): void {
  checkLength(h.deviceId, DEVICE_ID_LENGTH, 'a device id');
  checkLength(h.publicKey, PUBLIC_KEY_LENGTH, 'a public key');
  checkLength(h.cookie, COOKIE_LENGTH, 'a cookie');
  w.u8(kind).bytes(h.deviceId).bytes(h.publicKey).bytes(h.cookie);
}

/** Reads `H` after the kind byte; the reader must be at offset 1. */
export function readSignedHeader(r: ByteReader): Omit<SignedHeader, 'signature'> {
  return {
    deviceId: r.bytes(DEVICE_ID_LENGTH, 'device id').slice(),
    publicKey: r.bytes(PUBLIC_KEY_LENGTH, 'public key').slice(),
    cookie: r.bytes(COOKIE_LENGTH, 'cookie').slice(),
  };
}

/** The trailing signature of `bytes` (a copy). */
export function readTrailingSignature(bytes: Uint8Array): Uint8Array {
  return bytes.slice(bytes.length - SIGNATURE_LENGTH);
}

/**
 * Checks a signed message's wire bytes: `publicKey → deviceId` under the proof of work, then the
 * Ed25519 signature over `"ng-p2b-msg\n" ‖ bytes-before-the-signature`. Throws `BAD_DEVICE_ID` or
 * `BAD_SIGNATURE`. The cookie is the caller's to check.
 */
export function verifySignedBytes(
  bytes: Uint8Array,
  h: SignedHeader,
  verify?: Ed25519Verify,
): void {
  verifyDeviceId(h.deviceId, h.publicKey);
  const body = bytes.subarray(0, bytes.length - SIGNATURE_LENGTH);
  if (!verifyWithContext(SignatureContext.PEER_TO_BASE, body, h.signature, h.publicKey, verify))
    throw new NatbaseError('BAD_SIGNATURE', 'the peer-to-base signature does not verify');
}
