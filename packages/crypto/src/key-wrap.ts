/**
 * Short-buffer key wrapping (cryptutil `short.go`, `ecdh.go`; spot-crypto §6): how a Bottle's
 * 32-byte message key is wrapped for each recipient.
 *
 * ECDH v0, for P-256, P-384 and X25519 recipients, and Ed25519 recipients converted to X25519:
 *
 *   00 ‖ uvarint(len P) ‖ P (ephemeral PKIX, same curve) ‖ nonce(12) ‖ AES-256-GCM(SHA-256(shared), nonce, K) ‖ tag(16)
 *
 * RSA recipients: the raw RSA-OAEP (SHA-256, empty label) ciphertext of K.
 */
import { encodeUvarint, readUvarint } from '@peerwire/wire';
import type { CryptoBackend } from './backend.js';
import { buildSpki, parseSpki } from './der.js';
import { CryptoError } from './errors.js';
import {
  montgomeryPrivate,
  montgomeryPublic,
  type PeerwirePublicKey,
  type PrivateState,
} from './keys.js';

/** The ECDH v0 decoder refuses ephemeral keys longer than this (as Go does). */
export const MAX_EPHEMERAL_KEY_LENGTH = 65536;

const NONCE_LENGTH = 12;

/** Wraps `messageKey` for `recipient` (spot-crypto §6). */
export async function wrapKey(
  messageKey: Uint8Array,
  recipient: PeerwirePublicKey,
  backend: CryptoBackend,
): Promise<Uint8Array> {
  if (recipient.type === 'RSA') return backend.rsaOaepEncrypt(recipient, messageKey);
  const target = recipient.type === 'Ed25519' ? montgomeryPublic(recipient) : recipient;
  const eph = await backend.ecdhEphemeral(target);
  if (eph === null) {
    throw new CryptoError(
      'BAD_KEY',
      `recipient ${recipient.type} key is not a usable ECDH public key`,
    );
  }
  const pkix = buildSpki(target.type, eph.publicRaw);
  const wrapping = await backend.sha256(eph.shared);
  const nonce = backend.randomBytes(NONCE_LENGTH);
  const sealed = await backend.aesGcmEncrypt(wrapping, nonce, messageKey);
  const len = encodeUvarint(pkix.length);
  const out = new Uint8Array(1 + len.length + pkix.length + NONCE_LENGTH + sealed.length);
  let at = 1; // out[0] = 0: version
  out.set(len, at);
  at += len.length;
  out.set(pkix, at);
  at += pkix.length;
  out.set(nonce, at);
  out.set(sealed, at + NONCE_LENGTH);
  return out;
}

/**
 * Unwraps a message key with one of our private keys; `null` when this entry cannot be opened
 * with that key (wrong key, wrong curve, tampered data, an unknown version). Never throws for
 * bad data: the opener then tries the next recipient entry.
 */
export async function unwrapKey(
  data: Uint8Array,
  key: PrivateState,
  backend: CryptoBackend,
): Promise<Uint8Array | null> {
  if (data.length < 2 || data[0] !== 0) return null; // only ECDH v0 (RSA private keys are not supported)
  let len: number;
  let at: number;
  try {
    const v = readUvarint(data, 1, 'ephemeral key length');
    if (v.value > BigInt(MAX_EPHEMERAL_KEY_LENGTH)) return null;
    len = Number(v.value);
    at = 1 + v.length;
  } catch {
    return null;
  }
  if (data.length < at + len + NONCE_LENGTH) return null;
  let peer: { type: string; raw: Uint8Array };
  try {
    peer = parseSpki(data.subarray(at, at + len));
  } catch {
    return null;
  }
  const own = key.type === 'Ed25519' ? await montgomeryPrivate(key, backend) : key;
  if (peer.type !== own.type) return null; // Go: ECDH across curves fails
  const shared = await backend.ecdh(own, peer.raw);
  if (shared === null) return null;
  const wrapping = await backend.sha256(shared);
  const nonce = data.subarray(at + len, at + len + NONCE_LENGTH);
  const messageKey = await backend.aesGcmDecrypt(
    wrapping,
    nonce,
    data.subarray(at + len + NONCE_LENGTH),
  );
  // Go's opener feeds the key to aes.NewCipher, which takes AES-128/192/256 keys.
  if (
    messageKey === null ||
    (messageKey.length !== 16 && messageKey.length !== 24 && messageKey.length !== 32)
  ) {
    return null;
  }
  return messageKey;
}
