import { ByteReader, ByteWriter, DecodeError, utf8Encode } from '@peerwire/wire';
import { NatbaseError } from '../errors.js';
import { ADDRESS_LENGTH, type Endpoint, readEndpoint, writeEndpoint } from './address.js';
import { DEVICE_ID_LENGTH, type DeviceId } from './device-id.js';
import type { Identity } from './identity.js';
import {
  type Ed25519Verify,
  SIGNATURE_LENGTH,
  SignatureContext,
  signWithContext,
} from './signature.js';
import {
  checkLength,
  readSignedHeader,
  readTrailingSignature,
  SIGNED_HEADER_LENGTH,
  type SignedHeader,
  verifySignedBytes,
  writeSignedHeader,
} from './signed-header.js';

/** The kind byte of peer → base messages (spec §5). */
export const PeerToBaseKind = {
  REQUEST_INFO: 0,
  DATA: 1,
  INFO: 2,
  NAT_INIT: 3,
  USER_AGENT: 4,
  NAT_OK_CONFIRM: 5,
  NAT_INIT_TRANSIENT: 6,
} as const;
export type PeerToBaseKindName = keyof typeof PeerToBaseKind;

/** REQUEST_INFO (TCP): the sender wants `target`'s addresses. 145 bytes. */
export interface RequestInfoMessage extends SignedHeader {
  readonly kind: 'REQUEST_INFO';
  readonly target: DeviceId;
}
/** P2B DATA (relay request, **unsigned**): `01 ‖ source ‖ target ‖ data`, 33 + n bytes, n ≥ 1. */
export interface PeerToBaseDataMessage {
  readonly kind: 'DATA';
  readonly source: DeviceId;
  readonly target: DeviceId;
  readonly data: Uint8Array;
}
/** INFO (TCP): the sender's local addresses with its UDP port. 129 + 18n bytes. */
export interface InfoMessage extends SignedHeader {
  readonly kind: 'INFO';
  readonly addresses: readonly Endpoint[];
}
/** NAT_INIT (UDP, to every base UDP address): 137 bytes. */
export interface NatInitMessage extends SignedHeader {
  readonly kind: 'NAT_INIT';
  readonly counter: bigint;
}
/** USER_AGENT (TCP, unsigned): `04 ‖ UTF-8 text`. Usually lost (§5): a base must not depend on it. */
export interface UserAgentMessage {
  readonly kind: 'USER_AGENT';
  readonly text: string;
}
/** NAT_OK_CONFIRM (UDP, the third leg): 137 bytes. */
export interface NatOkConfirmMessage extends SignedHeader {
  readonly kind: 'NAT_OK_CONFIRM';
  readonly counter: bigint;
}
/** NAT_INIT_TRANSIENT (UDP, to the transient range; built but never sent upstream): 129 bytes. */
export interface NatInitTransientMessage extends SignedHeader {
  readonly kind: 'NAT_INIT_TRANSIENT';
}

export type PeerToBaseMessage =
  | RequestInfoMessage
  | PeerToBaseDataMessage
  | InfoMessage
  | NatInitMessage
  | UserAgentMessage
  | NatOkConfirmMessage
  | NatInitTransientMessage;

/** The signed peer → base messages (everything but DATA and USER_AGENT). */
export type SignedPeerToBaseMessage = Extract<PeerToBaseMessage, SignedHeader>;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** What a caller fills in for a signed message: the kind and its body, no header fields. */
export type PeerToBaseBody = DistributiveOmit<SignedPeerToBaseMessage, keyof SignedHeader>;

/** Fixed sizes of the signed kinds (INFO: the size with no address). */
export const PEER_TO_BASE_SIZES = {
  REQUEST_INFO: SIGNED_HEADER_LENGTH + DEVICE_ID_LENGTH + SIGNATURE_LENGTH,
  INFO: SIGNED_HEADER_LENGTH + SIGNATURE_LENGTH,
  NAT_INIT: SIGNED_HEADER_LENGTH + 8 + SIGNATURE_LENGTH,
  NAT_OK_CONFIRM: SIGNED_HEADER_LENGTH + 8 + SIGNATURE_LENGTH,
  NAT_INIT_TRANSIENT: SIGNED_HEADER_LENGTH + SIGNATURE_LENGTH,
  /** DATA's header: `01 ‖ source ‖ target`. */
  DATA_HEADER: 1 + 2 * DEVICE_ID_LENGTH,
} as const;

const U64_MAX = (1n << 64n) - 1n;

/** Whether a message is one of the signed kinds. */
export function isSignedPeerToBase(m: PeerToBaseMessage): m is SignedPeerToBaseMessage {
  return m.kind !== 'DATA' && m.kind !== 'USER_AGENT';
}

/** `kind ‖ H ‖ body`: the bytes the signature covers. */
function signedPart(m: DistributiveOmit<SignedPeerToBaseMessage, 'signature'>): ByteWriter {
  const w = new ByteWriter(
    m.kind === 'INFO' ? PEER_TO_BASE_SIZES.INFO + ADDRESS_LENGTH * m.addresses.length : 160,
  );
  writeSignedHeader(w, PeerToBaseKind[m.kind], m);
  switch (m.kind) {
    case 'REQUEST_INFO':
      checkLength(m.target, DEVICE_ID_LENGTH, 'a device id');
      w.bytes(m.target);
      break;
    case 'INFO':
      for (const a of m.addresses) writeEndpoint(w, a);
      break;
    case 'NAT_INIT':
    case 'NAT_OK_CONFIRM':
      if (m.counter < 0n || m.counter > U64_MAX)
        throw new NatbaseError('BAD_VALUE', `counter ${m.counter} is not a u64`);
      w.u64le(m.counter);
      break;
    case 'NAT_INIT_TRANSIENT':
      break;
  }
  return w;
}

/** The exact wire bytes of a message (a signed one with the signature it carries). */
export function encodePeerToBase(m: PeerToBaseMessage): Uint8Array {
  if (m.kind === 'DATA') {
    checkLength(m.source, DEVICE_ID_LENGTH, 'a device id');
    checkLength(m.target, DEVICE_ID_LENGTH, 'a device id');
    if (m.data.length === 0) throw new NatbaseError('BAD_LENGTH', 'DATA carries at least one byte');
    return new ByteWriter(33 + m.data.length)
      .u8(PeerToBaseKind.DATA)
      .bytes(m.source)
      .bytes(m.target)
      .bytes(m.data)
      .finish();
  }
  if (m.kind === 'USER_AGENT') {
    const text = utf8Encode(m.text);
    const out = new Uint8Array(1 + text.length);
    out[0] = PeerToBaseKind.USER_AGENT;
    out.set(text, 1);
    return out;
  }
  checkLength(m.signature, SIGNATURE_LENGTH, 'a signature');
  return signedPart(m).bytes(m.signature).finish();
}

/**
 * Signs `body` with `identity` under `cookie` (the base HELLO's) and returns the complete
 * message. Encode it with `encodePeerToBase`, or use `sealPeerToBase` for the bytes at once.
 */
export function signPeerToBase(
  body: PeerToBaseBody,
  identity: Identity,
  cookie: Uint8Array,
): SignedPeerToBaseMessage {
  const unsigned = {
    ...body,
    deviceId: identity.deviceId,
    publicKey: identity.publicKey,
    cookie,
  } as DistributiveOmit<SignedPeerToBaseMessage, 'signature'>;
  const bytes = signedPart(unsigned).finish();
  const signature = signWithContext(SignatureContext.PEER_TO_BASE, bytes, identity.secretKey);
  return { ...unsigned, signature } as SignedPeerToBaseMessage;
}

/** The wire bytes of `body` signed by `identity` under `cookie`. */
export function sealPeerToBase(
  body: PeerToBaseBody,
  identity: Identity,
  cookie: Uint8Array,
): Uint8Array {
  return encodePeerToBase(signPeerToBase(body, identity, cookie));
}

function exact(bytes: Uint8Array, size: number, kind: string): void {
  if (bytes.length !== size)
    throw new NatbaseError('BAD_LENGTH', `${kind} is ${size} bytes, not ${bytes.length}`);
}

/**
 * Decodes one peer → base message (a TCP record's payload or a UDP datagram) with strict lengths.
 * It checks structure only: `verifyPeerToBase` checks the device id and the signature.
 * Throws `EMPTY_MESSAGE`, `UNKNOWN_KIND`, `BAD_LENGTH` or `BAD_UTF8`.
 */
export function decodePeerToBase(bytes: Uint8Array): PeerToBaseMessage {
  if (bytes.length === 0) throw new NatbaseError('EMPTY_MESSAGE', 'no kind byte');
  const r = new ByteReader(bytes, 1);
  const kind = bytes[0]!;
  switch (kind) {
    case PeerToBaseKind.DATA: {
      if (bytes.length <= PEER_TO_BASE_SIZES.DATA_HEADER)
        throw new NatbaseError('BAD_LENGTH', `DATA is more than 33 bytes, not ${bytes.length}`);
      const source = r.bytes(DEVICE_ID_LENGTH).slice();
      const target = r.bytes(DEVICE_ID_LENGTH).slice();
      return { kind: 'DATA', source, target, data: r.rest().slice() };
    }
    case PeerToBaseKind.USER_AGENT: {
      try {
        return { kind: 'USER_AGENT', text: r.utf8(bytes.length - 1, 'user agent') };
      } catch (cause) {
        if (cause instanceof DecodeError)
          throw new NatbaseError('BAD_UTF8', 'USER_AGENT is not UTF-8', { cause });
        throw cause;
      }
    }
    case PeerToBaseKind.REQUEST_INFO: {
      exact(bytes, PEER_TO_BASE_SIZES.REQUEST_INFO, 'REQUEST_INFO');
      const h = readSignedHeader(r);
      const target = r.bytes(DEVICE_ID_LENGTH).slice();
      return { kind: 'REQUEST_INFO', ...h, target, signature: readTrailingSignature(bytes) };
    }
    case PeerToBaseKind.INFO: {
      const extra = bytes.length - PEER_TO_BASE_SIZES.INFO;
      if (extra < 0 || extra % ADDRESS_LENGTH !== 0)
        throw new NatbaseError('BAD_LENGTH', `INFO is 129 + 18n bytes, not ${bytes.length}`);
      const h = readSignedHeader(r);
      const addresses: Endpoint[] = [];
      for (let i = 0; i < extra / ADDRESS_LENGTH; i++) addresses.push(readEndpoint(r));
      return { kind: 'INFO', ...h, addresses, signature: readTrailingSignature(bytes) };
    }
    case PeerToBaseKind.NAT_INIT:
    case PeerToBaseKind.NAT_OK_CONFIRM: {
      const name = kind === PeerToBaseKind.NAT_INIT ? 'NAT_INIT' : 'NAT_OK_CONFIRM';
      exact(bytes, PEER_TO_BASE_SIZES.NAT_INIT, name);
      const h = readSignedHeader(r);
      const counter = r.u64le('counter');
      return { kind: name, ...h, counter, signature: readTrailingSignature(bytes) };
    }
    case PeerToBaseKind.NAT_INIT_TRANSIENT: {
      exact(bytes, PEER_TO_BASE_SIZES.NAT_INIT_TRANSIENT, 'NAT_INIT_TRANSIENT');
      const h = readSignedHeader(r);
      return { kind: 'NAT_INIT_TRANSIENT', ...h, signature: readTrailingSignature(bytes) };
    }
    default:
      throw new NatbaseError('UNKNOWN_KIND', `unknown peer-to-base kind ${kind}`);
  }
}

/**
 * Checks a signed message: its public key gives its device id under the proof of work
 * (`BAD_DEVICE_ID`) and its signature verifies (`BAD_SIGNATURE`). Pass the received `bytes` to
 * skip re-encoding, and a faster `verify` if you have one. The cookie is the caller's to compare.
 */
export function verifyPeerToBase(
  m: SignedPeerToBaseMessage,
  bytes?: Uint8Array,
  verify?: Ed25519Verify,
): void {
  verifySignedBytes(bytes ?? encodePeerToBase(m), m, verify);
}
