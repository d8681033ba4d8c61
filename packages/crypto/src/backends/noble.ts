/**
 * The portable backend: @noble/curves, @noble/hashes and @noble/ciphers (audited, pure JS, no
 * platform dependency). RSA is not in @noble, so RSA verification and OAEP wrapping use the
 * platform's WebCrypto, which every browser and Node has.
 */
import type { webcrypto } from 'node:crypto';
import { gcm } from '@noble/ciphers/aes.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { p256, p384 } from '@noble/curves/nist.js';
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { CryptoBackend, PublicKeyMaterial, ScryptParams } from '../backend.js';
import { CryptoError } from '../errors.js';

// WebCrypto types (type-only: the platform's global `crypto` is used at run time).
type SubtleCrypto = webcrypto.SubtleCrypto;
type CryptoKey = webcrypto.CryptoKey;
type BufferSource = webcrypto.BufferSource;
type KeyUsage = webcrypto.KeyUsage;
type RsaHashedImportParams = webcrypto.RsaHashedImportParams;

function isZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < bytes.length; i++) acc |= bytes[i]!;
  return acc === 0;
}

/** The platform CSPRNG (WebCrypto `getRandomValues`, present in browsers and Node). */
export function platformRandomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  // getRandomValues fills at most 65536 bytes per call.
  for (let i = 0; i < length; i += 65536) {
    globalThis.crypto.getRandomValues(out.subarray(i, Math.min(length, i + 65536)));
  }
  return out;
}

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle;
  if (s === undefined) {
    throw new CryptoError(
      'UNSUPPORTED_KEY',
      'RSA needs WebCrypto (crypto.subtle), which this platform lacks',
    );
  }
  return s;
}

const rsaVerifyKeys = new WeakMap<PublicKeyMaterial, Promise<CryptoKey>>();
const rsaEncryptKeys = new WeakMap<PublicKeyMaterial, Promise<CryptoKey>>();

function rsaKey(
  key: PublicKeyMaterial,
  cache: WeakMap<PublicKeyMaterial, Promise<CryptoKey>>,
  algorithm: RsaHashedImportParams,
  usage: KeyUsage,
): Promise<CryptoKey> {
  let k = cache.get(key);
  if (k === undefined) {
    k = subtle().importKey('spki', key.pkix as BufferSource, algorithm, false, [usage]);
    cache.set(key, k);
  }
  return k;
}

/** RSA PKCS#1 v1.5 / SHA-256 verification through WebCrypto (shared by the WebCrypto backend). */
export async function webCryptoRsaVerify(
  key: PublicKeyMaterial,
  data: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  try {
    const k = await rsaKey(
      key,
      rsaVerifyKeys,
      { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
      'verify',
    );
    return await subtle().verify(
      'RSASSA-PKCS1-v1_5',
      k,
      signature as BufferSource,
      data as BufferSource,
    );
  } catch {
    return false;
  }
}

/** RSA-OAEP / SHA-256 encryption through WebCrypto. */
export async function webCryptoRsaOaepEncrypt(
  key: PublicKeyMaterial,
  plaintext: Uint8Array,
): Promise<Uint8Array> {
  const k = await rsaKey(key, rsaEncryptKeys, { name: 'RSA-OAEP', hash: 'SHA-256' }, 'encrypt');
  return new Uint8Array(await subtle().encrypt({ name: 'RSA-OAEP' }, k, plaintext as BufferSource));
}

function curve(type: 'P-256' | 'P-384') {
  return type === 'P-256' ? p256 : p384;
}

/** The @noble backend. */
export const portableBackend: CryptoBackend = {
  name: 'portable',
  implementation: '@noble/curves + @noble/hashes + @noble/ciphers',

  randomBytes: platformRandomBytes,

  sha256(data: Uint8Array): Uint8Array {
    return sha256(data);
  },

  generate(type) {
    if (type === 'Ed25519') {
      const secret = ed25519.utils.randomSecretKey();
      return { secret, publicRaw: ed25519.getPublicKey(secret) };
    }
    if (type === 'X25519') {
      const secret = x25519.utils.randomSecretKey();
      return { secret, publicRaw: x25519.getPublicKey(secret) };
    }
    const c = curve(type);
    const secret = c.utils.randomSecretKey();
    return { secret, publicRaw: c.getPublicKey(secret, false) };
  },

  publicFromSecret(type, secret) {
    try {
      if (type === 'Ed25519') return ed25519.getPublicKey(secret);
      if (type === 'X25519') return x25519.getPublicKey(secret);
      return curve(type).getPublicKey(secret, false);
    } catch (cause) {
      throw new CryptoError('BAD_KEY', `invalid ${type} private key`, { cause });
    }
  },

  sign(key, data) {
    if (key.type === 'Ed25519') return ed25519.sign(data, key.secret);
    if (key.type === 'X25519')
      throw new CryptoError('UNSUPPORTED_KEY', 'an X25519 key cannot sign');
    // Go hashes with SHA-256 for every curve, P-384 included.
    return curve(key.type).sign(sha256(data), key.secret, {
      prehash: false,
      format: 'der',
      extraEntropy: true,
    });
  },

  verify(key, data, signature) {
    try {
      switch (key.type) {
        case 'Ed25519':
          // RFC 8032 rules, as OpenSSL and Go apply them (not ZIP-215).
          return ed25519.verify(signature, data, key.raw, { zip215: false });
        case 'P-256':
        case 'P-384':
          return curve(key.type).verify(signature, sha256(data), key.raw, {
            prehash: false,
            lowS: false,
            format: 'compact',
          });
        case 'RSA':
          return webCryptoRsaVerify(key, data, signature);
        default:
          return false;
      }
    } catch {
      return false;
    }
  },

  ecdh(key, peerRaw) {
    try {
      const shared =
        key.type === 'X25519'
          ? x25519.getSharedSecret(key.secret, peerRaw)
          : curve(key.type as 'P-256' | 'P-384')
              .getSharedSecret(key.secret, peerRaw, true)
              .subarray(1);
      return isZero(shared) ? null : shared;
    } catch {
      return null;
    }
  },

  ecdhEphemeral(peer) {
    try {
      if (peer.type === 'X25519') {
        const secret = x25519.utils.randomSecretKey();
        const shared = x25519.getSharedSecret(secret, peer.raw);
        if (isZero(shared)) return null;
        return { publicRaw: x25519.getPublicKey(secret), shared };
      }
      const c = curve(peer.type as 'P-256' | 'P-384');
      const secret = c.utils.randomSecretKey();
      return {
        publicRaw: c.getPublicKey(secret, false),
        shared: c.getSharedSecret(secret, peer.raw, true).subarray(1),
      };
    } catch {
      return null;
    }
  },

  aesGcmEncrypt(key, nonce, plaintext) {
    return gcm(key, nonce).encrypt(plaintext);
  },

  aesGcmDecrypt(key, nonce, sealed) {
    try {
      return gcm(key, nonce).decrypt(sealed);
    } catch {
      return null;
    }
  },

  rsaOaepEncrypt: webCryptoRsaOaepEncrypt,

  scrypt(password: Uint8Array, salt: Uint8Array, params: ScryptParams): Promise<Uint8Array> {
    return scryptAsync(password, salt, {
      N: params.N,
      r: params.r,
      p: params.p,
      dkLen: params.dkLen,
      maxmem: 256 * params.N * params.r + 1024 * 1024,
    });
  },
};
