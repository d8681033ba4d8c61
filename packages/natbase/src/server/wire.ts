import type { Endpoint } from '../codec/address.js';
import { encodeBaseToPeer } from '../codec/base-to-peer.js';
import { verifyDeviceId } from '../codec/device-id.js';
import { encodeRecord } from '../codec/framing.js';
import type { SignedPeerToBaseMessage } from '../codec/peer-to-base.js';
import {
  type Ed25519Verify,
  SIGNATURE_LENGTH,
  SignatureContext,
  verifyWithContext,
} from '../codec/signature.js';
import { NatbaseError } from '../errors.js';

/**
 * The base server's use of the codecs, in the order it checks things: the proof of work (one
 * SHA-256) before the cookie (a map lookup, the caller's) before the signature (Ed25519).
 */

/** Whether the message's public key gives its device id under the proof-of-work rule. */
export function checkProofOfWork(m: SignedPeerToBaseMessage): boolean {
  try {
    verifyDeviceId(m.deviceId, m.publicKey);
    return true;
  } catch (error) {
    if (error instanceof NatbaseError) return false;
    throw error;
  }
}

/** Whether the signature at the end of the received `bytes` verifies with the message's key. */
export type SignatureCheck = (m: SignedPeerToBaseMessage, bytes: Uint8Array) => boolean;

/** The check with `verify` (default: the codecs' portable `nobleEd25519Verify`). */
export function signatureCheck(verify?: Ed25519Verify): SignatureCheck {
  return (m, bytes) =>
    verifyWithContext(
      SignatureContext.PEER_TO_BASE,
      bytes.subarray(0, bytes.length - SIGNATURE_LENGTH),
      m.signature,
      m.publicKey,
      verify,
    );
}

export const encodeBaseHello = (cookie: Uint8Array): Uint8Array =>
  encodeBaseToPeer({ kind: 'HELLO', cookie });

/** STATE without a transient range (spec §16 decision: none advertised). */
export const encodeState = (addresses: readonly Endpoint[]): Uint8Array =>
  encodeBaseToPeer({ kind: 'STATE', addresses });

export const encodeDeviceAddresses = (
  deviceId: Uint8Array,
  addresses: readonly Endpoint[],
): Uint8Array => encodeBaseToPeer({ kind: 'DEVICE_ADDRESSES', deviceId, addresses });

/**
 * B2P DATA `02 ‖ source ‖ data`, built with one copy (the relay's hot path; the same bytes as
 * `encodeBaseToPeer({ kind: 'DATA', ... })`, which the tests check).
 */
export function encodeBaseData(source: Uint8Array, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(17 + data.length);
  out[0] = 2;
  out.set(source, 1);
  out.set(data, 17);
  return out;
}

/**
 * P2B DATA without copies (views into `bytes`), for the relay's hot path; undefined when
 * `bytes` is not a well-formed DATA (the full decoder then reports why).
 */
export function viewPeerData(
  bytes: Uint8Array,
): { kind: 'DATA'; source: Uint8Array; target: Uint8Array; data: Uint8Array } | undefined {
  if (bytes.length <= 33 || bytes[0] !== 1) return undefined;
  return {
    kind: 'DATA',
    source: bytes.subarray(1, 17),
    target: bytes.subarray(17, 33),
    data: bytes.subarray(33),
  };
}

/** A Map key for a 16-byte device id (one char per byte: cheaper than hex). */
export function idKey(id: Uint8Array): string {
  let k = '';
  for (let i = 0; i < id.length; i++) k += String.fromCharCode(id[i]!);
  return k;
}

const NAT_OK = encodeBaseToPeer({ kind: 'NAT_OK' });
export const encodeNatOk = (): Uint8Array => NAT_OK.slice();

/** A record around a payload the server built itself (so it fits: callers check sizes). */
export const frame = (payload: Uint8Array): Uint8Array => encodeRecord(payload, 0xffff);
