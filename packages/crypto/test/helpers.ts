// Shared fixtures: the backends every vector runs against, and the published test keys.
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { fromHex } from '@peerwire/wire';
import { loadVectors } from '../../../tooling/vectors.js';
import {
  type CryptoBackend,
  fastBackend,
  importPrivateKey,
  nodeThreadPoolBackend,
  type PrivateKey,
  portableBackend,
  webCryptoBackend,
} from '../src/index.js';

/**
 * node:crypto (the fast backend in Node), @noble, WebCrypto (the fast backend in browsers), and
 * node:crypto verifying on the thread pool (what the relay daemon uses for handshakes).
 */
export const BACKENDS: readonly (readonly [string, CryptoBackend])[] = [
  ['fast (node:crypto)', fastBackend],
  ['portable (@noble)', portableBackend],
  ['fast (WebCrypto)', webCryptoBackend!],
  ['node:crypto, thread-pool verify', nodeThreadPoolBackend!],
];

export interface VectorKey {
  type: string;
  pkcs8_der_hex: string;
  public_pkix_der_hex: string;
  address: string;
}

export type KeyName = 'alice' | 'bob' | 'chloe' | 'daniel' | 'xena';

const { keys } = loadVectors<{ keys: Record<KeyName, VectorKey> }>('spot/bottles.json');
export const VECTOR_KEYS = keys;

export function pkixOf(name: KeyName): Uint8Array {
  return fromHex(keys[name].public_pkix_der_hex);
}

const cache = new Map<string, Promise<PrivateKey>>();
/** The published key `name`, imported once per backend. */
export function keyOf(name: KeyName, backend: CryptoBackend = fastBackend): Promise<PrivateKey> {
  const id = `${name}/${backend.implementation}`;
  let k = cache.get(id);
  if (k === undefined) {
    k = importPrivateKey(fromHex(keys[name].pkcs8_der_hex), { backend });
    cache.set(id, k);
  }
  return k;
}

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

type DerPairGenerator = (
  type: string,
  options: Record<string, unknown>,
) => { publicKey: Buffer; privateKey: Buffer };

/**
 * A key pair made by node:crypto, as DER plus imported KeyObjects. The DER is produced inside
 * `generateKeyPairSync`: exporting a KeyObject that `generateKeyPairSync` returned can deadlock
 * Node 20 (see src/backends/node.ts), so tests never do that.
 */
export function nodeKeyPair(type: string, options: Record<string, unknown> = {}) {
  const { publicKey, privateKey } = (generateKeyPairSync as unknown as DerPairGenerator)(type, {
    ...options,
    publicKeyEncoding: { type: 'spki', format: 'der' },
    privateKeyEncoding: { type: 'pkcs8', format: 'der' },
  });
  return {
    pkix: new Uint8Array(publicKey),
    pkcs8: new Uint8Array(privateKey),
    publicKey: createPublicKey({ key: publicKey, format: 'der', type: 'spki' }),
    privateKey: createPrivateKey({ key: privateKey, format: 'der', type: 'pkcs8' }),
  };
}
