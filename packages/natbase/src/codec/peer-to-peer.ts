import { ByteReader, ByteWriter } from '@peerwire/wire';
import { NatbaseError } from '../errors.js';
import { DEVICE_ID_LENGTH, type DeviceId, PUBLIC_KEY_LENGTH, verifyDeviceId } from './device-id.js';
import type { Identity } from './identity.js';
import {
  type Ed25519Verify,
  SIGNATURE_LENGTH,
  SignatureContext,
  signWithContext,
  verifyWithContext,
} from './signature.js';
import { checkLength } from './signed-header.js';

/** The kind byte of peer ↔ peer UDP datagrams (spec §9). */
export const PeerToPeerKind = { HELLO: 0, HELLO_REPLY: 1, DATA: 2 } as const;

export const HELLO_COOKIE_LENGTH = 16;
/** The signed part of a HELLO: `kind ‖ senderId ‖ senderPubkey ‖ yourId ‖ helloCookie`. */
export const PEER_HELLO_SIGNED_LENGTH =
  1 + DEVICE_ID_LENGTH + PUBLIC_KEY_LENGTH + DEVICE_ID_LENGTH + HELLO_COOKIE_LENGTH;
/** HELLO and HELLO_REPLY are exactly 145 bytes. */
export const PEER_HELLO_LENGTH = PEER_HELLO_SIGNED_LENGTH + SIGNATURE_LENGTH;

/** HELLO (fresh cookie) or HELLO_REPLY (the HELLO's cookie echoed). */
export interface PeerHelloMessage {
  readonly kind: 'HELLO' | 'HELLO_REPLY';
  readonly senderId: DeviceId;
  readonly senderPublicKey: Uint8Array;
  /** The device the sender means to reach. */
  readonly yourId: DeviceId;
  readonly helloCookie: Uint8Array;
  /** Ed25519 over `"ng-p2p-msg\n" ‖ the first 81 bytes`. */
  readonly signature: Uint8Array;
}
/** P2P DATA: `02 ‖ payload` (no ids: the sender is known by its UDP source address). */
export interface PeerDataMessage {
  readonly kind: 'DATA';
  readonly payload: Uint8Array;
}
export type PeerToPeerMessage = PeerHelloMessage | PeerDataMessage;

function signedPart(m: Omit<PeerHelloMessage, 'signature'>): ByteWriter {
  checkLength(m.senderId, DEVICE_ID_LENGTH, 'a device id');
  checkLength(m.senderPublicKey, PUBLIC_KEY_LENGTH, 'a public key');
  checkLength(m.yourId, DEVICE_ID_LENGTH, 'a device id');
  checkLength(m.helloCookie, HELLO_COOKIE_LENGTH, 'a hello cookie');
  return new ByteWriter(PEER_HELLO_LENGTH)
    .u8(PeerToPeerKind[m.kind])
    .bytes(m.senderId)
    .bytes(m.senderPublicKey)
    .bytes(m.yourId)
    .bytes(m.helloCookie);
}

/** The exact wire bytes of a peer ↔ peer datagram. */
export function encodePeerToPeer(m: PeerToPeerMessage): Uint8Array {
  if (m.kind === 'DATA') {
    if (m.payload.length === 0)
      throw new NatbaseError('BAD_LENGTH', 'DATA carries at least one byte');
    const out = new Uint8Array(1 + m.payload.length);
    out[0] = PeerToPeerKind.DATA;
    out.set(m.payload, 1);
    return out;
  }
  checkLength(m.signature, SIGNATURE_LENGTH, 'a signature');
  return signedPart(m).bytes(m.signature).finish();
}

/** A signed HELLO (or HELLO_REPLY) from `identity` to `yourId`. */
export function signPeerHello(
  kind: 'HELLO' | 'HELLO_REPLY',
  identity: Identity,
  yourId: DeviceId,
  helloCookie: Uint8Array,
): PeerHelloMessage {
  const unsigned = {
    kind,
    senderId: identity.deviceId,
    senderPublicKey: identity.publicKey,
    yourId,
    helloCookie,
  };
  const bytes = signedPart(unsigned).finish();
  const signature = signWithContext(SignatureContext.PEER_TO_PEER, bytes, identity.secretKey);
  return { ...unsigned, signature };
}

/**
 * Decodes a peer ↔ peer datagram. HELLO/HELLO_REPLY must be exactly 145 bytes, DATA at least 2.
 * Throws `EMPTY_MESSAGE`, `UNKNOWN_KIND` or `BAD_LENGTH`; `verifyPeerHello` checks a HELLO.
 */
export function decodePeerToPeer(bytes: Uint8Array): PeerToPeerMessage {
  if (bytes.length === 0) throw new NatbaseError('EMPTY_MESSAGE', 'no kind byte');
  const kind = bytes[0]!;
  if (kind === PeerToPeerKind.DATA) {
    if (bytes.length < 2) throw new NatbaseError('BAD_LENGTH', 'DATA carries at least one byte');
    return { kind: 'DATA', payload: bytes.slice(1) };
  }
  if (kind !== PeerToPeerKind.HELLO && kind !== PeerToPeerKind.HELLO_REPLY)
    throw new NatbaseError('UNKNOWN_KIND', `unknown peer-to-peer kind ${kind}`);
  if (bytes.length !== PEER_HELLO_LENGTH)
    throw new NatbaseError(
      'BAD_LENGTH',
      `HELLO is ${PEER_HELLO_LENGTH} bytes, not ${bytes.length}`,
    );
  const r = new ByteReader(bytes, 1);
  return {
    kind: kind === PeerToPeerKind.HELLO ? 'HELLO' : 'HELLO_REPLY',
    senderId: r.bytes(DEVICE_ID_LENGTH).slice(),
    senderPublicKey: r.bytes(PUBLIC_KEY_LENGTH).slice(),
    yourId: r.bytes(DEVICE_ID_LENGTH).slice(),
    helloCookie: r.bytes(HELLO_COOKIE_LENGTH).slice(),
    signature: r.bytes(SIGNATURE_LENGTH).slice(),
  };
}

/**
 * Checks a HELLO or HELLO_REPLY for `ownId`: `yourId == ownId` (`UNEXPECTED_HELLO`), the sender's
 * key gives its id under the proof of work (`BAD_DEVICE_ID`), the signature (`BAD_SIGNATURE`).
 * The cookie match of a HELLO_REPLY is the caller's to check.
 */
export function verifyPeerHello(
  m: PeerHelloMessage,
  ownId: DeviceId,
  verify?: Ed25519Verify,
): void {
  let mine = m.yourId.length === DEVICE_ID_LENGTH && ownId.length === DEVICE_ID_LENGTH;
  for (let i = 0; mine && i < DEVICE_ID_LENGTH; i++) mine = m.yourId[i] === ownId[i];
  if (!mine) throw new NatbaseError('UNEXPECTED_HELLO', 'the HELLO is meant for another device');
  verifyDeviceId(m.senderId, m.senderPublicKey);
  const bytes = signedPart(m).finish();
  if (
    !verifyWithContext(SignatureContext.PEER_TO_PEER, bytes, m.signature, m.senderPublicKey, verify)
  )
    throw new NatbaseError('BAD_SIGNATURE', 'the peer HELLO signature does not verify');
}
