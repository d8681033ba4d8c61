import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import type { Ed25519Verify } from '../codec/signature.js';

/** Public keys kept parsed by `opensslEd25519Verify` (a base sees the same devices re-sign). */
export const DEFAULT_ED25519_KEY_CACHE = 4096;

/** DER SubjectPublicKeyInfo prefix of an Ed25519 key (RFC 8410), followed by the 32 raw bytes. */
const SPKI_PREFIX = Uint8Array.of(
  0x30,
  0x2a,
  0x30,
  0x05,
  0x06,
  0x03,
  0x2b,
  0x65,
  0x70,
  0x03,
  0x21,
  0x00,
);

/**
 * An `Ed25519Verify` on node:crypto (OpenSSL), several times faster than the portable one, with
 * a bounded cache of parsed keys (least recently added evicted first). Never throws.
 */
export function opensslEd25519Verify(cacheSize = DEFAULT_ED25519_KEY_CACHE): Ed25519Verify {
  const keys = new Map<string, KeyObject>();
  return (signature, message, publicKey) => {
    if (publicKey.length !== 32 || signature.length !== 64) return false;
    const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, 32).toString('latin1');
    try {
      let key = keys.get(id);
      if (!key) {
        const der = new Uint8Array(SPKI_PREFIX.length + 32);
        der.set(SPKI_PREFIX);
        der.set(publicKey, SPKI_PREFIX.length);
        key = createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' });
        if (keys.size >= cacheSize) keys.delete(keys.keys().next().value!);
        keys.set(id, key);
      }
      return verify(null, message, key, signature);
    } catch {
      return false;
    }
  };
}
