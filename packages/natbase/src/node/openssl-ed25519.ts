import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import { BoundedMap } from '@peerwire/wire';
import type { Ed25519Verify } from '../codec/signature.js';

/** Public keys kept parsed by `opensslEd25519Verify` (a base sees the same devices re-sign). */
export const DEFAULT_ED25519_KEY_CACHE = 4096;

/**
 * An `Ed25519Verify` on node:crypto (OpenSSL), several times faster than the portable one, with
 * a bounded cache of parsed keys (least recently added evicted first). Never throws.
 */
export function opensslEd25519Verify(cacheSize = DEFAULT_ED25519_KEY_CACHE): Ed25519Verify {
  const keys = new BoundedMap<string, KeyObject>({ maxEntries: cacheSize, order: 'insertion' });
  return (signature, message, publicKey) => {
    if (publicKey.length !== 32 || signature.length !== 64) return false;
    const raw = Buffer.from(publicKey.buffer, publicKey.byteOffset, 32);
    const id = raw.toString('latin1');
    try {
      let key = keys.get(id);
      if (!key) {
        // The raw key as a JWK (RFC 8037): node:crypto builds the SPKI itself.
        key = createPublicKey({
          key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') },
          format: 'jwk',
        });
        keys.set(id, key);
      }
      return verify(null, message, key, signature);
    } catch {
      return false;
    }
  };
}
