import {
  createCipheriv,
  createDecipheriv,
  createHash,
  type Hash,
  randomFillSync,
} from 'node:crypto';
import { type IncrementalHash, type Primitives, unsupportedCipher } from '../primitives.js';
import type { RandomSource } from '../spoke.js';
import { SpokeCipher } from '../spoke-public.js';

function nodeHash(h: Hash): IncrementalHash {
  return {
    update(data) {
      h.update(data);
    },
    digest: () => new Uint8Array(h.digest()),
    copy: () => nodeHash(h.copy()),
  };
}

/** SHA-1 and AES-256-GCM from `node:crypto` (OpenSSL): several times faster than pure JS. */
export const nodePrimitives: Primitives = {
  sha1: () => nodeHash(createHash('sha1')),
  aead: (cipher, key) => {
    if (cipher !== SpokeCipher.AesGcm) throw unsupportedCipher(cipher);
    const k = Buffer.from(key);
    return {
      seal(nonce, aad, plaintext, prefix = 0) {
        const c = createCipheriv('aes-256-gcm', k, nonce);
        c.setAAD(aad);
        const out = Buffer.allocUnsafe(prefix + plaintext.length + 16);
        out.fill(0, 0, prefix);
        const body = c.update(plaintext);
        body.copy(out, prefix);
        const tail = c.final(); // empty for GCM
        tail.copy(out, prefix + body.length);
        c.getAuthTag().copy(out, prefix + plaintext.length);
        return new Uint8Array(out.buffer, out.byteOffset, out.length);
      },
      open(nonce, aad, sealed) {
        if (sealed.length < 16) return undefined;
        const d = createDecipheriv('aes-256-gcm', k, nonce);
        d.setAAD(aad);
        d.setAuthTag(sealed.subarray(sealed.length - 16));
        const body = d.update(sealed.subarray(0, sealed.length - 16));
        try {
          const tail = d.final();
          return tail.length === 0
            ? new Uint8Array(body.buffer, body.byteOffset, body.length)
            : Buffer.concat([body, tail]);
        } catch {
          return undefined;
        }
      },
    };
  },
};

/** A CSPRNG source (`node:crypto`). */
export const nodeRandom: RandomSource = (length) => randomFillSync(new Uint8Array(length));
