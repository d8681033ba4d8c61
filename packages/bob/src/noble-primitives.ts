import { gcm } from '@noble/ciphers/aes.js';
import { nobleSha1, type Primitives, unsupportedCipher } from './primitives.js';
import { SpokeCipher } from './spoke-public.js';

/**
 * Pure-JS primitives from `@noble/hashes` and `@noble/ciphers`: work everywhere. In a file of
 * its own: loading `@noble/ciphers`' AES builds its tables (~10 ms at every start, measured), which
 * the Node I/O, on `node:crypto`, does not need.
 */
export const noblePrimitives: Primitives = {
  sha1: nobleSha1,
  aead: (cipher, key) => {
    if (cipher !== SpokeCipher.AesGcm) throw unsupportedCipher(cipher);
    return {
      seal: (nonce, aad, plaintext, prefix = 0) => {
        const sealed = gcm(key, nonce, aad).encrypt(plaintext);
        if (prefix === 0) return sealed;
        const out = new Uint8Array(prefix + sealed.length);
        out.set(sealed, prefix);
        return out;
      },
      open: (nonce, aad, sealed) => {
        try {
          return gcm(key, nonce, aad).decrypt(sealed);
        } catch {
          return undefined;
        }
      },
    };
  },
};
