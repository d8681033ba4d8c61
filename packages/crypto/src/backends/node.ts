/**
 * The fast backend in Node: node:crypto's synchronous APIs (OpenSSL), which are several times
 * faster than WebCrypto's asynchronous ones. `node:crypto` is reached through
 * `process.getBuiltinModule`, so this file has no static Node import and the package's root
 * entry point stays loadable in browsers (where `nodeCrypto` is undefined and WebCrypto is used).
 *
 * Key handles (KeyObject, ECDH) are made once per key and kept in WeakMaps. Public keys are
 * loaded from JWK: OpenSSL 3 decodes DER much more slowly than it builds a key from coordinates.
 *
 * Never call `.export()` on a KeyObject made by `generateKeyPairSync`: in Node 20 the export
 * holds the key's mutex while allocating, and if that allocation runs a GC which finalises the
 * finished key-generation job, the job's destructor takes the same mutex and the process
 * deadlocks (seen here: `ExportJWKEdKey` → GC → `~KeyGenJob` → `uv_mutex_lock`). Generated keys
 * are asked for in JWK form through `publicKeyEncoding`/`privateKeyEncoding` instead: that
 * encoding runs inside the live job, which no GC can finalise meanwhile.
 */
import type * as NodeCrypto from 'node:crypto';
import { fromBase64Url, toBase64Url } from '@peerwire/wire';
import type {
  CryptoBackend,
  PrivateKeyMaterial,
  PublicKeyMaterial,
  ScryptParams,
} from '../backend.js';
import { buildPkcs8, curveSize, type KeyType } from '../der.js';
import { CryptoError } from '../errors.js';

type Crypto = typeof NodeCrypto;

function loadNodeCrypto(): Crypto | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  try {
    return proc?.getBuiltinModule?.('node:crypto') as Crypto | undefined;
  } catch {
    return undefined;
  }
}

/** node:crypto, when running in Node (20.16+). */
export const nodeCrypto: Crypto | undefined = loadNodeCrypto();

const CURVE_NAME = { 'P-256': 'prime256v1', 'P-384': 'secp384r1' } as const;

function view(buf: Uint8Array): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

function pad(bytes: Uint8Array, size: number): Uint8Array {
  if (bytes.length === size) return view(bytes);
  const out = new Uint8Array(size);
  out.set(bytes, size - bytes.length);
  return out;
}

function isZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < bytes.length; i++) acc |= bytes[i]!;
  return acc === 0;
}

function publicJwk(type: KeyType, raw: Uint8Array): NodeCrypto.JsonWebKey {
  if (type === 'Ed25519' || type === 'X25519') {
    return { kty: 'OKP', crv: type, x: toBase64Url(raw) };
  }
  const size = curveSize(type as 'P-256' | 'P-384');
  return {
    kty: 'EC',
    crv: type,
    x: toBase64Url(raw.subarray(1, 1 + size)),
    y: toBase64Url(raw.subarray(1 + size)),
  };
}

export interface NodeBackendOptions {
  /**
   * Verify signatures on libuv's thread pool (the callback form of `crypto.verify`). One
   * verification then takes a little longer, but the event loop spends ~40 µs on it instead of
   * ~250 µs, and concurrent verifications use every core: what a relay under a handshake storm
   * wants. Default false (lowest latency for one verification at a time).
   */
  readonly threadPool?: boolean;
}

/** Makes the node:crypto backend from a node:crypto module. */
export function makeNodeBackend(c: Crypto, options: NodeBackendOptions = {}): CryptoBackend {
  const publicHandles = new WeakMap<PublicKeyMaterial, NodeCrypto.KeyObject>();
  const privateHandles = new WeakMap<PrivateKeyMaterial, NodeCrypto.KeyObject>();
  const ecdhHandles = new WeakMap<PrivateKeyMaterial, NodeCrypto.ECDH>();

  function publicHandle(key: PublicKeyMaterial): NodeCrypto.KeyObject {
    let h = publicHandles.get(key);
    if (h === undefined) {
      h =
        key.type === 'RSA'
          ? c.createPublicKey({ key: key.pkix as Buffer, format: 'der', type: 'spki' })
          : c.createPublicKey({ key: publicJwk(key.type, key.raw), format: 'jwk' });
      publicHandles.set(key, h);
    }
    return h;
  }

  function privateHandle(key: PrivateKeyMaterial): NodeCrypto.KeyObject {
    let h = privateHandles.get(key);
    if (h === undefined) {
      const jwk = publicJwk(key.type, key.publicKey.raw);
      jwk.d = toBase64Url(key.secret);
      h = c.createPrivateKey({ key: jwk, format: 'jwk' });
      privateHandles.set(key, h);
    }
    return h;
  }

  function ecdhHandle(key: PrivateKeyMaterial): NodeCrypto.ECDH {
    let h = ecdhHandles.get(key);
    if (h === undefined) {
      h = c.createECDH(CURVE_NAME[key.type as 'P-256' | 'P-384']);
      h.setPrivateKey(key.secret as Buffer);
      ecdhHandles.set(key, h);
    }
    return h;
  }

  /** `generateKeyPairSync` with JWK encodings (Node supports them; @types/node 20 lacks them). */
  const generateJwk = c.generateKeyPairSync as unknown as (
    type: 'ed25519' | 'x25519',
    options: { publicKeyEncoding: { format: 'jwk' }; privateKeyEncoding?: { format: 'jwk' } },
  ) => {
    publicKey: NodeCrypto.JsonWebKey;
    privateKey: NodeCrypto.JsonWebKey | NodeCrypto.KeyObject;
  };

  function okpPublicFromSecret(type: 'Ed25519' | 'X25519', secret: Uint8Array): Uint8Array {
    const key = c.createPrivateKey({
      key: buildPkcs8({ type, secret }, new Uint8Array(0)) as Buffer,
      format: 'der',
      type: 'pkcs8',
    });
    return fromBase64Url(key.export({ format: 'jwk' }).x!); // an imported key: safe to export
  }

  const gcmName = (key: Uint8Array): NodeCrypto.CipherGCMTypes => {
    switch (key.length) {
      case 16:
        return 'aes-128-gcm';
      case 24:
        return 'aes-192-gcm';
      case 32:
        return 'aes-256-gcm';
      default:
        throw new CryptoError('BAD_ARGUMENT', `AES key of ${key.length} bytes; use 16, 24 or 32`);
    }
  };

  return {
    name: 'fast',
    implementation: 'node:crypto',

    randomBytes(length: number): Uint8Array {
      return c.getRandomValues(new Uint8Array(length));
    },

    sha256(data: Uint8Array): Uint8Array {
      return view(c.createHash('sha256').update(data).digest());
    },

    generate(type) {
      if (type === 'Ed25519' || type === 'X25519') {
        const { privateKey } = generateJwk(type === 'Ed25519' ? 'ed25519' : 'x25519', {
          publicKeyEncoding: { format: 'jwk' },
          privateKeyEncoding: { format: 'jwk' },
        });
        const jwk = privateKey as NodeCrypto.JsonWebKey;
        return { secret: fromBase64Url(jwk.d!), publicRaw: fromBase64Url(jwk.x!) };
      }
      const e = c.createECDH(CURVE_NAME[type]);
      const publicRaw = view(e.generateKeys());
      return { secret: pad(e.getPrivateKey(), curveSize(type)), publicRaw };
    },

    publicFromSecret(type, secret) {
      try {
        if (type === 'P-256' || type === 'P-384') {
          const e = c.createECDH(CURVE_NAME[type]);
          e.setPrivateKey(secret as Buffer);
          return view(e.getPublicKey());
        }
        return okpPublicFromSecret(type, secret);
      } catch (cause) {
        throw new CryptoError('BAD_KEY', `invalid ${type} private key`, { cause });
      }
    },

    sign(key, data) {
      if (key.type === 'Ed25519') return view(c.sign(null, data, privateHandle(key)));
      return view(c.sign('sha256', data, { key: privateHandle(key), dsaEncoding: 'der' }));
    },

    verify(key, data, signature) {
      let algorithm: string | null = 'sha256';
      let keyArg: NodeCrypto.KeyObject | NodeCrypto.VerifyKeyObjectInput;
      try {
        switch (key.type) {
          case 'Ed25519':
            algorithm = null;
            keyArg = publicHandle(key);
            break;
          case 'RSA':
            keyArg = { key: publicHandle(key), padding: c.constants.RSA_PKCS1_PADDING };
            break;
          default:
            keyArg = { key: publicHandle(key), dsaEncoding: 'ieee-p1363' };
        }
        if (!options.threadPool) return c.verify(algorithm, data, keyArg, signature);
      } catch {
        return false; // an invalid point or key: nothing can verify
      }
      return new Promise<boolean>((resolve) => {
        try {
          c.verify(algorithm, data, keyArg, signature, (error, ok) => resolve(!error && ok));
        } catch {
          resolve(false);
        }
      });
    },

    ecdh(key, peerRaw) {
      try {
        let shared: Uint8Array;
        if (key.type === 'X25519') {
          const peer = c.createPublicKey({ key: publicJwk('X25519', peerRaw), format: 'jwk' });
          shared = c.diffieHellman({ privateKey: privateHandle(key), publicKey: peer });
        } else {
          shared = ecdhHandle(key).computeSecret(peerRaw);
        }
        return isZero(shared) ? null : view(shared);
      } catch {
        return null;
      }
    },

    ecdhEphemeral(peer) {
      try {
        if (peer.type === 'X25519') {
          // The public key comes as JWK from the generation itself: see the note at the top.
          const { privateKey, publicKey } = generateJwk('x25519', {
            publicKeyEncoding: { format: 'jwk' },
          });
          const shared = c.diffieHellman({
            privateKey: privateKey as NodeCrypto.KeyObject,
            publicKey: publicHandle(peer),
          });
          if (isZero(shared)) return null;
          const publicRaw = fromBase64Url((publicKey as NodeCrypto.JsonWebKey).x!);
          return { publicRaw, shared: view(shared) };
        }
        const e = c.createECDH(CURVE_NAME[peer.type as 'P-256' | 'P-384']);
        const publicRaw = view(e.generateKeys());
        return { publicRaw, shared: view(e.computeSecret(peer.raw)) };
      } catch {
        return null;
      }
    },

    aesGcmEncrypt(key, nonce, plaintext) {
      const cipher = c.createCipheriv(gcmName(key), key, nonce);
      const head = cipher.update(plaintext);
      const tail = cipher.final();
      const tag = cipher.getAuthTag();
      const out = new Uint8Array(head.length + tail.length + 16);
      out.set(head);
      out.set(tail, head.length);
      out.set(tag, head.length + tail.length);
      return out;
    },

    aesGcmDecrypt(key, nonce, sealed) {
      if (sealed.length < 16) return null;
      const decipher = c.createDecipheriv(gcmName(key), key, nonce);
      decipher.setAuthTag(sealed.subarray(sealed.length - 16));
      const head = decipher.update(sealed.subarray(0, sealed.length - 16));
      try {
        const tail = decipher.final();
        if (tail.length === 0) return view(head);
        const out = new Uint8Array(head.length + tail.length);
        out.set(head);
        out.set(tail, head.length);
        return out;
      } catch {
        return null;
      }
    },

    rsaOaepEncrypt(key, plaintext) {
      return view(
        c.publicEncrypt(
          {
            key: publicHandle(key),
            padding: c.constants.RSA_PKCS1_OAEP_PADDING,
            oaepHash: 'sha256',
          },
          plaintext,
        ),
      );
    },

    scrypt(password: Uint8Array, salt: Uint8Array, params: ScryptParams): Promise<Uint8Array> {
      return new Promise((resolve, reject) => {
        c.scrypt(
          password,
          salt,
          params.dkLen,
          {
            N: params.N,
            r: params.r,
            p: params.p,
            maxmem: 256 * params.N * params.r + 1024 * 1024,
          },
          (err, key) => (err ? reject(err) : resolve(view(key))),
        );
      });
    },
  };
}
