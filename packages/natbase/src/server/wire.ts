import { utf8Encode } from '@peerwire/wire';
import type { Endpoint } from '../codec/address.js';
import { encodeBaseToPeer } from '../codec/base-to-peer.js';
import { verifyDeviceId } from '../codec/device-id.js';
import { encodeRecord } from '../codec/framing.js';
import type { SignedPeerToBaseMessage } from '../codec/peer-to-base.js';
import { SIGNATURE_LENGTH, SignatureContext, verifyWithContext } from '../codec/signature.js';
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

const PREFIX = utf8Encode(`${SignatureContext.PEER_TO_BASE}\n`);

/** The check, with `verify` (raw Ed25519) if given, else the codecs' `verifyWithContext`. */
export function signatureCheck(
  verify?: (message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array) => boolean,
): SignatureCheck {
  if (!verify) {
    return (m, bytes) =>
      verifyWithContext(
        SignatureContext.PEER_TO_BASE,
        bytes.subarray(0, bytes.length - SIGNATURE_LENGTH),
        m.signature,
        m.publicKey,
      );
  }
  return (m, bytes) => {
    const body = bytes.subarray(0, bytes.length - SIGNATURE_LENGTH);
    const message = new Uint8Array(PREFIX.length + body.length);
    message.set(PREFIX, 0);
    message.set(body, PREFIX.length);
    try {
      return verify(message, m.signature, m.publicKey);
    } catch {
      return false;
    }
  };
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

export const encodeBaseData = (source: Uint8Array, data: Uint8Array): Uint8Array =>
  encodeBaseToPeer({ kind: 'DATA', source, data });

const NAT_OK = encodeBaseToPeer({ kind: 'NAT_OK' });
export const encodeNatOk = (): Uint8Array => NAT_OK.slice();

/** A record around a payload the server built itself (so it fits: callers check sizes). */
export const frame = (payload: Uint8Array): Uint8Array => encodeRecord(payload, 0xffff);
