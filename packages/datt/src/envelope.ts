import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8Encode } from '@peerwire/wire';
import {
  bsmHash,
  COMPACT_SIGNATURE_LENGTH,
  type CompactBackend,
  recoverCompact,
  signCompact,
  type VerifyOptions,
} from './bsm.js';
import { DEFAULT_MAX_DMSG_DATA_LENGTH } from './dmsg.js';
import {
  BITCORE_ECIES_MIN_LENGTH,
  bitcoreDecrypt,
  bitcoreMacKey,
  bitcoreSeal,
  type EciesEncryptOptions,
} from './ecies-bitcore.js';
import {
  ELECTRUM_ECIES_MIN_LENGTH,
  electrumDecrypt,
  electrumMacKey,
  electrumSeal,
} from './ecies-electrum.js';
import { DattError } from './errors.js';
import { constantTimeEqual } from './hash.js';
import { assertPublicKey, PUBLIC_KEY_LENGTH, publicKeyOf } from './keys.js';

/** Domain-separation label of DattEnvelope v1 (spec §5.3). */
const LABEL = utf8Encode('datt-envelope-v1');
/** mac 32 ‖ receiver 33 ‖ sender 33 ‖ sig 65 ‖ datalen 4. */
export const ENVELOPE_HEADER_LENGTH = 167;
const MAC = 32;

/** Which ECIES form the envelope's `data` uses. */
export type EciesForm = 'bitcore' | 'electrum';

/** The fields of a DattEnvelope v1 (spec §5.3). Byte arrays are views into the input. */
export interface Envelope {
  readonly mac: Uint8Array;
  readonly receiver: Uint8Array;
  readonly sender: Uint8Array;
  readonly sig: Uint8Array;
  /** The inner ECIES ciphertext. */
  readonly data: Uint8Array;
  readonly form: EciesForm;
}

/** Limits of the envelope codec. */
export interface EnvelopeLimits {
  /** Largest `data` accepted (default 30000, the DMsg maximum). */
  readonly maxDataLength?: number;
}

/** Options for `sealEnvelope`. */
export interface SealOptions extends EciesEncryptOptions {
  /** Inner ECIES form (default `bitcore`, which peerwire emits). */
  readonly form?: EciesForm;
  /** The secp256k1 backend for the sender's signature (default `nobleCompact`). */
  readonly backend?: CompactBackend;
}

/** The sender signs SHA-256("datt-envelope-v1" ‖ pubkey_receiver ‖ data) as a Bitcoin Signed Message. */
function signedHash(receiver: Uint8Array, data: Uint8Array): Uint8Array {
  const h = sha256.create();
  h.update(LABEL);
  h.update(receiver);
  h.update(data);
  return bsmHash(h.digest());
}

function envelopeKey(innerMacKey: Uint8Array): Uint8Array {
  return hmac(sha256, innerMacKey, LABEL);
}

/** Serialises envelope fields (no cryptographic checks). */
export function encodeEnvelope(e: Omit<Envelope, 'form'>): Uint8Array {
  const lengths: [Uint8Array, number, string][] = [
    [e.mac, MAC, 'mac'],
    [e.receiver, PUBLIC_KEY_LENGTH, 'pubkey_receiver'],
    [e.sender, PUBLIC_KEY_LENGTH, 'pubkey_sender'],
    [e.sig, COMPACT_SIGNATURE_LENGTH, 'sig'],
  ];
  for (const [v, n, what] of lengths) {
    if (v.length !== n) throw new DattError('BAD_LENGTH', `envelope ${what} must be ${n} bytes`);
  }
  const out = new Uint8Array(ENVELOPE_HEADER_LENGTH + e.data.length);
  out.set(e.mac, 0);
  out.set(e.receiver, 32);
  out.set(e.sender, 65);
  out.set(e.sig, 98);
  new DataView(out.buffer).setUint32(163, e.data.length, false);
  out.set(e.data, ENVELOPE_HEADER_LENGTH);
  return out;
}

/**
 * Parses the structure of a DattEnvelope v1: `datalen` must equal the bytes that follow, `data`
 * must look like bitcore (`02`/`03` …) or Electrum (`BIE1` …) ECIES of at least the minimum size,
 * and must not exceed `maxDataLength`. Nothing cryptographic is checked.
 */
export function decodeEnvelope(bytes: Uint8Array, limits?: EnvelopeLimits): Envelope {
  const max = limits?.maxDataLength ?? DEFAULT_MAX_DMSG_DATA_LENGTH;
  if (bytes.length < ENVELOPE_HEADER_LENGTH + ELECTRUM_ECIES_MIN_LENGTH) {
    throw new DattError(
      'TRUNCATED',
      `envelope of ${bytes.length} bytes is shorter than ${ENVELOPE_HEADER_LENGTH} + the smallest ECIES ciphertext`,
    );
  }
  const datalen = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(
    163,
    false,
  );
  const actual = bytes.length - ENVELOPE_HEADER_LENGTH;
  if (datalen !== actual) {
    throw new DattError(
      datalen < actual ? 'TRAILING_BYTES' : 'TRUNCATED',
      `envelope datalen is ${datalen} but ${actual} data bytes follow the header`,
    );
  }
  if (datalen > max) {
    throw new DattError(
      'TOO_LARGE',
      `envelope data of ${datalen} bytes exceeds the limit of ${max}`,
    );
  }
  const data = bytes.subarray(ENVELOPE_HEADER_LENGTH);
  let form: EciesForm;
  if (data[0] === 2 || data[0] === 3) {
    form = 'bitcore';
    if (data.length < BITCORE_ECIES_MIN_LENGTH) {
      throw new DattError('TRUNCATED', 'envelope data is shorter than a bitcore ECIES ciphertext');
    }
  } else if (data[0] === 0x42 && data[1] === 0x49 && data[2] === 0x45 && data[3] === 0x31) {
    form = 'electrum';
  } else {
    throw new DattError(
      'BAD_VALUE',
      'envelope data is neither bitcore (02/03) nor Electrum (BIE1) ECIES',
    );
  }
  return {
    mac: bytes.subarray(0, 32),
    receiver: bytes.subarray(32, 65),
    sender: bytes.subarray(65, 98),
    sig: bytes.subarray(98, 163),
    data,
    form,
  };
}

/**
 * Seals `plaintext` from `senderPrivateKey` to `receiverPublicKey` as a DattEnvelope v1
 * (spec §5.3): fresh-ephemeral ECIES (bitcore form unless asked), the sender's signature over
 * the receiver key and ciphertext, and a MAC keyed by a secret only the two parties can derive.
 */
export function sealEnvelope(
  plaintext: Uint8Array,
  senderPrivateKey: Uint8Array,
  receiverPublicKey: Uint8Array,
  options?: SealOptions,
): Uint8Array {
  const sender = publicKeyOf(senderPrivateKey);
  assertPublicKey(receiverPublicKey, 'receiver public key');
  const inner =
    options?.form === 'electrum'
      ? electrumSeal(plaintext, receiverPublicKey, options)
      : bitcoreSeal(plaintext, receiverPublicKey, options);
  const sig = signCompact(
    signedHash(receiverPublicKey, inner.bytes),
    senderPrivateKey,
    options?.backend,
  );
  const out = encodeEnvelope({
    mac: new Uint8Array(MAC),
    receiver: receiverPublicKey,
    sender,
    sig,
    data: inner.bytes,
  });
  out.set(hmac(sha256, envelopeKey(inner.macKey), out.subarray(MAC)), 0);
  return out;
}

/**
 * Checks what anyone can check without the receiver's key (spec §5.3 Open steps 1 and 3): the
 * structure, and that the signature recovers `pubkey_sender`. Returns the parsed envelope.
 */
export function verifyEnvelopeSender(
  bytes: Uint8Array,
  limits?: EnvelopeLimits,
  options?: VerifyOptions,
): Envelope {
  const e = decodeEnvelope(bytes, limits);
  assertPublicKey(e.sender, 'envelope pubkey_sender');
  const recovered = recoverCompact(signedHash(e.receiver, e.data), e.sig, options);
  if (!constantTimeEqual(recovered, e.sender)) {
    throw new DattError('KEY_MISMATCH', 'the envelope signature was not made by pubkey_sender');
  }
  return e;
}

/** An opened envelope: the plaintext and the authenticated sender. */
export interface OpenedEnvelope {
  readonly plaintext: Uint8Array;
  /** Compressed public key of the sender, authenticated by signature and MAC. */
  readonly sender: Uint8Array;
  readonly form: EciesForm;
}

/**
 * Opens a DattEnvelope v1 with the receiver's secret key (spec §5.3 Open): structure, receiver
 * key, sender signature, envelope MAC (constant time), inner MAC (constant time), then decrypts.
 * Throws `TRUNCATED`, `TRAILING_BYTES`, `TOO_LARGE`, `WRONG_RECEIVER`, `BAD_SIGNATURE`,
 * `KEY_MISMATCH`, `BAD_MAC`, `BAD_CIPHERTEXT`, `BAD_KEY`.
 */
export function openEnvelope(
  bytes: Uint8Array,
  receiverPrivateKey: Uint8Array,
  limits?: EnvelopeLimits,
  options?: VerifyOptions,
): OpenedEnvelope {
  const own = publicKeyOf(receiverPrivateKey);
  const e = decodeEnvelope(bytes, limits);
  if (!constantTimeEqual(e.receiver, own)) {
    throw new DattError('WRONG_RECEIVER', 'this envelope is addressed to another key');
  }
  verifyEnvelopeSender(bytes, limits, options);
  const kM =
    e.form === 'electrum'
      ? electrumMacKey(e.data, receiverPrivateKey)
      : bitcoreMacKey(e.data, receiverPrivateKey);
  if (!constantTimeEqual(hmac(sha256, envelopeKey(kM), bytes.subarray(MAC)), e.mac)) {
    throw new DattError(
      'BAD_MAC',
      'envelope MAC does not match (tampered, or re-signed by a third party)',
    );
  }
  const plaintext =
    e.form === 'electrum'
      ? electrumDecrypt(e.data, receiverPrivateKey)
      : bitcoreDecrypt(e.data, receiverPrivateKey);
  return { plaintext, sender: e.sender, form: e.form };
}
