import { ByteReader, ByteWriter } from '@peerwire/wire';
import {
  DEVICE_ID_LENGTH,
  type DeviceId,
  PUBLIC_KEY_LENGTH,
  verifyDeviceId,
} from '../codec/device-id.js';
import type { Identity } from '../codec/identity.js';
import {
  type Ed25519Verify,
  SIGNATURE_LENGTH,
  SignatureContext,
  signWithContext,
  verifyWithContext,
} from '../codec/signature.js';
import { checkLength } from '../codec/signed-header.js';
import { NatbaseError } from '../errors.js';

/** The first byte of a secure-layer packet (spec §11). */
export const SecureType = {
  DATA: 0,
  HELLO_1: 1,
  HELLO_2: 2,
  HELLO_3: 3,
  HEARTBEAT: 4,
  HEARTBEAT_REPLY: 5,
} as const;

/** `type ‖ idPubkey ‖ kxPubkey ‖ yourDeviceId ‖ myHelloseq ‖ yourHelloseq ‖ flags`. */
export const SECURE_HELLO_SIGNED_LENGTH = 1 + 32 + 32 + DEVICE_ID_LENGTH + 8 + 8 + 8;
/** A secure HELLO is exactly 169 bytes. */
export const SECURE_HELLO_LENGTH = SECURE_HELLO_SIGNED_LENGTH + SIGNATURE_LENGTH;
export const NONCE_LENGTH = 24;
export const MAC_LENGTH = 16;
/** The always-zero sequence number in front of every DATA cleartext. */
export const SEQ_LENGTH = 8;
/** `00 ‖ nonce(24) ‖ mac(16) ‖ box(seq(8) ‖ payload)`: 49 bytes of overhead. */
export const SECURE_DATA_OVERHEAD = 1 + NONCE_LENGTH + MAC_LENGTH + SEQ_LENGTH;
export const HEARTBEAT_IDENT_LENGTH = 8;
export const HEARTBEAT_LENGTH = 1 + HEARTBEAT_IDENT_LENGTH;

/** The 3-way secure HELLO: step 1 opens, 2 answers, 3 confirms. */
export interface SecureHello {
  readonly kind: 'HELLO';
  readonly step: 1 | 2 | 3;
  /** The sender's Ed25519 identity key (its device id must follow from it). */
  readonly identityPublicKey: Uint8Array;
  /** The sender's ephemeral X25519 key for this peer. */
  readonly kxPublicKey: Uint8Array;
  readonly yourDeviceId: DeviceId;
  /** The sender's own helloseq. */
  readonly myHelloseq: bigint;
  /** The receiver's helloseq echoed (0 in step 1). */
  readonly yourHelloseq: bigint;
  readonly flags: bigint;
  /** Ed25519 over `"ng-kx-pubkey\n" ‖ the first 105 bytes`. */
  readonly signature: Uint8Array;
}
/** Secure DATA as it travels: still sealed. */
export interface SecureData {
  readonly kind: 'DATA';
  readonly nonce: Uint8Array;
  /** `mac(16) ‖ ciphertext(seq(8) ‖ payload)`, libsodium `crypto_secretbox_easy` output. */
  readonly box: Uint8Array;
}
/** Unencrypted latency probe (4) and its echo (5). */
export interface Heartbeat {
  readonly kind: 'HEARTBEAT' | 'HEARTBEAT_REPLY';
  readonly ident: Uint8Array;
}
export type SecurePacket = SecureHello | SecureData | Heartbeat;

const U64_MAX = (1n << 64n) - 1n;
function checkU64(n: bigint, what: string): void {
  if (n < 0n || n > U64_MAX) throw new NatbaseError('BAD_VALUE', `${what} ${n} is not a u64`);
}

function helloSignedPart(h: Omit<SecureHello, 'signature'>): ByteWriter {
  checkLength(h.identityPublicKey, PUBLIC_KEY_LENGTH, 'an identity key');
  checkLength(h.kxPublicKey, 32, 'a kx key');
  checkLength(h.yourDeviceId, DEVICE_ID_LENGTH, 'a device id');
  checkU64(h.myHelloseq, 'myHelloseq');
  checkU64(h.yourHelloseq, 'yourHelloseq');
  checkU64(h.flags, 'flags');
  if (h.step !== 1 && h.step !== 2 && h.step !== 3)
    throw new NatbaseError('BAD_VALUE', `secure HELLO step ${h.step as number} is not 1, 2 or 3`);
  return new ByteWriter(SECURE_HELLO_LENGTH)
    .u8(h.step)
    .bytes(h.identityPublicKey)
    .bytes(h.kxPublicKey)
    .bytes(h.yourDeviceId)
    .u64le(h.myHelloseq)
    .u64le(h.yourHelloseq)
    .u64le(h.flags);
}

/** The exact wire bytes of a secure-layer packet. */
export function encodeSecurePacket(p: SecurePacket): Uint8Array {
  switch (p.kind) {
    case 'HELLO':
      checkLength(p.signature, SIGNATURE_LENGTH, 'a signature');
      return helloSignedPart(p).bytes(p.signature).finish();
    case 'DATA': {
      checkLength(p.nonce, NONCE_LENGTH, 'a nonce');
      if (p.box.length < MAC_LENGTH + SEQ_LENGTH)
        throw new NatbaseError('BAD_LENGTH', 'a DATA box holds at least the MAC and the sequence');
      const out = new Uint8Array(1 + NONCE_LENGTH + p.box.length);
      out.set(p.nonce, 1);
      out.set(p.box, 1 + NONCE_LENGTH);
      return out;
    }
    case 'HEARTBEAT':
    case 'HEARTBEAT_REPLY':
      checkLength(p.ident, HEARTBEAT_IDENT_LENGTH, 'a heartbeat ident');
      return new ByteWriter(HEARTBEAT_LENGTH)
        .u8(p.kind === 'HEARTBEAT' ? SecureType.HEARTBEAT : SecureType.HEARTBEAT_REPLY)
        .bytes(p.ident)
        .finish();
  }
}

/**
 * Decodes a secure-layer packet's structure (no crypto): HELLO exactly 169 bytes, DATA at least 49,
 * heartbeats exactly 9. Throws `EMPTY_MESSAGE`, `UNKNOWN_KIND` or `BAD_LENGTH`.
 */
export function decodeSecurePacket(bytes: Uint8Array): SecurePacket {
  if (bytes.length === 0) throw new NatbaseError('EMPTY_MESSAGE', 'no secure type byte');
  const type = bytes[0]!;
  const r = new ByteReader(bytes, 1);
  switch (type) {
    case SecureType.DATA:
      if (bytes.length < SECURE_DATA_OVERHEAD)
        throw new NatbaseError(
          'BAD_LENGTH',
          `secure DATA is at least 49 bytes, not ${bytes.length}`,
        );
      return { kind: 'DATA', nonce: r.bytes(NONCE_LENGTH).slice(), box: r.rest().slice() };
    case SecureType.HELLO_1:
    case SecureType.HELLO_2:
    case SecureType.HELLO_3:
      if (bytes.length !== SECURE_HELLO_LENGTH)
        throw new NatbaseError('BAD_LENGTH', `a secure HELLO is 169 bytes, not ${bytes.length}`);
      return {
        kind: 'HELLO',
        step: type,
        identityPublicKey: r.bytes(32).slice(),
        kxPublicKey: r.bytes(32).slice(),
        yourDeviceId: r.bytes(DEVICE_ID_LENGTH).slice(),
        myHelloseq: r.u64le(),
        yourHelloseq: r.u64le(),
        flags: r.u64le(),
        signature: r.bytes(SIGNATURE_LENGTH).slice(),
      };
    case SecureType.HEARTBEAT:
    case SecureType.HEARTBEAT_REPLY:
      if (bytes.length !== HEARTBEAT_LENGTH)
        throw new NatbaseError('BAD_LENGTH', `a heartbeat is 9 bytes, not ${bytes.length}`);
      return {
        kind: type === SecureType.HEARTBEAT ? 'HEARTBEAT' : 'HEARTBEAT_REPLY',
        ident: r.bytes(HEARTBEAT_IDENT_LENGTH).slice(),
      };
    default:
      throw new NatbaseError('UNKNOWN_KIND', `unknown secure type ${type}`);
  }
}

/** A secure HELLO from `identity`, signed over its first 105 bytes under `ng-kx-pubkey`. */
export function signSecureHello(
  fields: Omit<SecureHello, 'kind' | 'identityPublicKey' | 'signature'>,
  identity: Identity,
): SecureHello {
  const unsigned = { kind: 'HELLO' as const, ...fields, identityPublicKey: identity.publicKey };
  const bytes = helloSignedPart(unsigned).finish();
  const signature = signWithContext(SignatureContext.KX_PUBKEY, bytes, identity.secretKey);
  return { ...unsigned, signature };
}

/**
 * Checks a secure HELLO received from `peerId` by `ownId`, in upstream's order: addressed to us
 * (`UNEXPECTED_HELLO`), identity key gives `peerId` under the proof of work (`BAD_DEVICE_ID`),
 * signature (`BAD_SIGNATURE`).
 */
export function verifySecureHello(
  h: SecureHello,
  peerId: DeviceId,
  ownId: DeviceId,
  verify?: Ed25519Verify,
): void {
  let mine = h.yourDeviceId.length === DEVICE_ID_LENGTH && ownId.length === DEVICE_ID_LENGTH;
  for (let i = 0; mine && i < DEVICE_ID_LENGTH; i++) mine = h.yourDeviceId[i] === ownId[i];
  if (!mine) throw new NatbaseError('UNEXPECTED_HELLO', 'the secure HELLO is for another device');
  verifyDeviceId(peerId, h.identityPublicKey);
  const bytes = helloSignedPart(h).finish();
  if (
    !verifyWithContext(SignatureContext.KX_PUBKEY, bytes, h.signature, h.identityPublicKey, verify)
  )
    throw new NatbaseError('BAD_SIGNATURE', 'the secure HELLO signature does not verify');
}
