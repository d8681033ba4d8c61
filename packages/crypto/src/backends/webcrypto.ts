/**
 * The fast backend in browsers: WebCrypto (`crypto.subtle`). ECDSA signatures are converted
 * between WebCrypto's `r ‖ s` and Go's DER; SHA-256 is always requested, P-384 included. Where
 * a browser lacks Ed25519 or X25519 in WebCrypto, those operations fall back to @noble. Key
 * generation and public-key derivation always use @noble (one-time operations).
 */
import type { webcrypto } from 'node:crypto';
import { toBase64Url } from '@peerwire/wire';
import type { CryptoBackend, PrivateKeyMaterial, PublicKeyMaterial } from '../backend.js';
import { curveSize, encodeEcdsaSignature, type KeyType } from '../der.js';
import {
  platformRandomBytes,
  portableBackend,
  webCryptoRsaOaepEncrypt,
  webCryptoRsaVerify,
} from './noble.js';

// WebCrypto types (type-only: the platform's global `crypto` is used at run time).
type SubtleCrypto = webcrypto.SubtleCrypto;
type CryptoKey = webcrypto.CryptoKey;
type BufferSource = webcrypto.BufferSource;
type KeyUsage = webcrypto.KeyUsage;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
type JsonWebKey = webcrypto.JsonWebKey;
type Algorithm = webcrypto.Algorithm;
type EcKeyImportParams = webcrypto.EcKeyImportParams;
type EcdhKeyDeriveParams = webcrypto.EcdhKeyDeriveParams;

function isZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < bytes.length; i++) acc |= bytes[i]!;
  return acc === 0;
}

function jwkOf(type: KeyType, raw: Uint8Array, secret?: Uint8Array): JsonWebKey {
  let jwk: JsonWebKey;
  if (type === 'Ed25519' || type === 'X25519') {
    jwk = { kty: 'OKP', crv: type, x: toBase64Url(raw) };
  } else {
    const size = curveSize(type as 'P-256' | 'P-384');
    jwk = {
      kty: 'EC',
      crv: type,
      x: toBase64Url(raw.subarray(1, 1 + size)),
      y: toBase64Url(raw.subarray(1 + size)),
    };
  }
  if (secret !== undefined) jwk.d = toBase64Url(secret);
  return jwk;
}

type Role = 'sign' | 'verify' | 'ecdh';

function algorithmOf(type: KeyType, role: Role): EcKeyImportParams | Algorithm {
  if (type === 'Ed25519' || type === 'X25519') return { name: type };
  return { name: role === 'ecdh' ? 'ECDH' : 'ECDSA', namedCurve: type };
}

/** Makes a WebCrypto backend over `subtle`. */
export function makeWebCryptoBackend(subtle: SubtleCrypto): CryptoBackend {
  const handles = new WeakMap<object, Map<Role, Promise<CryptoKey>>>();
  /** Algorithms this platform's WebCrypto turned out not to have. */
  const missing = new Set<string>();

  function handle(owner: object, role: Role, make: () => Promise<CryptoKey>): Promise<CryptoKey> {
    let byRole = handles.get(owner);
    if (byRole === undefined) {
      byRole = new Map();
      handles.set(owner, byRole);
    }
    let h = byRole.get(role);
    if (h === undefined) {
      h = make();
      byRole.set(role, h);
    }
    return h;
  }

  const privateKey = (key: PrivateKeyMaterial, role: Role) =>
    handle(key, role, () =>
      subtle.importKey(
        'jwk',
        jwkOf(key.type, key.publicKey.raw, key.secret),
        algorithmOf(key.type, role),
        false,
        role === 'ecdh' ? ['deriveBits'] : ['sign'],
      ),
    );

  const publicKey = (key: PublicKeyMaterial, role: Role) =>
    handle(key, role, () =>
      subtle.importKey(
        'raw',
        key.raw as BufferSource,
        algorithmOf(key.type, role),
        false,
        role === 'ecdh' ? [] : ['verify'],
      ),
    );

  /** Runs `op` with WebCrypto; if the algorithm is missing there, runs `fallback` (@noble). */
  async function orNoble<T>(
    alg: string,
    op: () => Promise<T>,
    fallback: () => T | Promise<T>,
  ): Promise<T> {
    if (missing.has(alg)) return fallback();
    try {
      return await op();
    } catch (error) {
      if (error instanceof Error && error.name === 'NotSupportedError') {
        missing.add(alg);
        return fallback();
      }
      throw error;
    }
  }

  async function deriveShared(
    type: KeyType,
    priv: CryptoKey,
    peerRaw: Uint8Array,
  ): Promise<Uint8Array | null> {
    try {
      const peer = await subtle.importKey(
        'raw',
        peerRaw as BufferSource,
        algorithmOf(type, 'ecdh'),
        false,
        [],
      );
      const bits = type === 'X25519' ? 256 : curveSize(type as 'P-256' | 'P-384') * 8;
      const shared = new Uint8Array(
        await subtle.deriveBits(
          { name: type === 'X25519' ? 'X25519' : 'ECDH', public: peer } as EcdhKeyDeriveParams,
          priv,
          bits,
        ),
      );
      return isZero(shared) ? null : shared;
    } catch (error) {
      if (error instanceof Error && error.name === 'NotSupportedError') throw error;
      return null;
    }
  }

  const aesKey = (key: Uint8Array, usage: KeyUsage) =>
    subtle.importKey('raw', key as BufferSource, { name: 'AES-GCM' }, false, [usage]);

  return {
    name: 'fast',
    implementation: 'WebCrypto',
    randomBytes: platformRandomBytes,

    async sha256(data) {
      return new Uint8Array(await subtle.digest('SHA-256', data as BufferSource));
    },

    generate: (type) => portableBackend.generate(type),
    publicFromSecret: (type, secret) => portableBackend.publicFromSecret(type, secret),

    sign(key, data) {
      if (key.type === 'Ed25519') {
        return orNoble(
          'Ed25519',
          async () =>
            new Uint8Array(
              await subtle.sign('Ed25519', await privateKey(key, 'sign'), data as BufferSource),
            ),
          () => portableBackend.sign(key, data),
        );
      }
      return (async () => {
        const rs = await subtle.sign(
          { name: 'ECDSA', hash: 'SHA-256' },
          await privateKey(key, 'sign'),
          data as BufferSource,
        );
        return encodeEcdsaSignature(new Uint8Array(rs));
      })();
    },

    verify(key, data, signature) {
      switch (key.type) {
        case 'RSA':
          return webCryptoRsaVerify(key, data, signature);
        case 'Ed25519':
          return orNoble(
            'Ed25519',
            async () => {
              const k = await publicKey(key, 'verify');
              try {
                return await subtle.verify(
                  'Ed25519',
                  k,
                  signature as BufferSource,
                  data as BufferSource,
                );
              } catch {
                return false;
              }
            },
            () => portableBackend.verify(key, data, signature),
          ).catch(() => false);
        default:
          return (async () => {
            try {
              const k = await publicKey(key, 'verify');
              return await subtle.verify(
                { name: 'ECDSA', hash: 'SHA-256' },
                k,
                signature as BufferSource,
                data as BufferSource,
              );
            } catch {
              return false;
            }
          })();
      }
    },

    ecdh(key, peerRaw) {
      return orNoble(
        key.type,
        async () => deriveShared(key.type, await privateKey(key, 'ecdh'), peerRaw),
        () => portableBackend.ecdh(key, peerRaw),
      ).catch(() => null);
    },

    ecdhEphemeral(peer) {
      return orNoble(
        peer.type,
        async () => {
          const algorithm =
            peer.type === 'X25519' ? { name: 'X25519' } : { name: 'ECDH', namedCurve: peer.type };
          const pair = (await subtle.generateKey(algorithm, false, [
            'deriveBits',
          ])) as CryptoKeyPair;
          const shared = await deriveShared(peer.type, pair.privateKey, peer.raw);
          if (shared === null) return null;
          const publicRaw = new Uint8Array(await subtle.exportKey('raw', pair.publicKey));
          return { publicRaw, shared };
        },
        () => portableBackend.ecdhEphemeral(peer),
      );
    },

    async aesGcmEncrypt(key, nonce, plaintext) {
      const k = await aesKey(key, 'encrypt');
      return new Uint8Array(
        await subtle.encrypt(
          { name: 'AES-GCM', iv: nonce as BufferSource },
          k,
          plaintext as BufferSource,
        ),
      );
    },

    async aesGcmDecrypt(key, nonce, sealed) {
      try {
        const k = await aesKey(key, 'decrypt');
        return new Uint8Array(
          await subtle.decrypt(
            { name: 'AES-GCM', iv: nonce as BufferSource },
            k,
            sealed as BufferSource,
          ),
        );
      } catch {
        return null;
      }
    },

    rsaOaepEncrypt: webCryptoRsaOaepEncrypt,
    scrypt: (password, salt, params) => portableBackend.scrypt(password, salt, params),
  };
}
