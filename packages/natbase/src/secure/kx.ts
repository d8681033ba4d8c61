import { x25519 } from '@noble/curves/ed25519.js';
import { blake2b } from '@noble/hashes/blake2.js';
import { compareBytes } from '@peerwire/wire';
import type { DeviceId } from '../codec/device-id.js';
import type { RandomSource } from '../codec/identity.js';
import { NatbaseError } from '../errors.js';

/** An X25519 key pair for `crypto_kx` (libsodium `crypto_kx_keypair`). */
export interface KxKeyPair {
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

/** The two 32-byte session keys: `rx` opens what the peer sends, `tx` seals what we send. */
export interface SessionKeys {
  readonly rx: Uint8Array;
  readonly tx: Uint8Array;
}

export const KX_KEY_LENGTH = 32;

/** A fresh ephemeral X25519 key pair from 32 random bytes. */
export function kxKeyPair(random: RandomSource): KxKeyPair {
  const secretKey = random(KX_KEY_LENGTH);
  return { secretKey, publicKey: x25519.getPublicKey(secretKey) };
}

function sharedHash(
  secretKey: Uint8Array,
  peerPublicKey: Uint8Array,
  clientPk: Uint8Array,
  serverPk: Uint8Array,
): Uint8Array {
  if (secretKey.length !== 32 || peerPublicKey.length !== 32)
    throw new NatbaseError('BAD_KEY', 'X25519 keys are 32 bytes');
  let q: Uint8Array;
  try {
    q = x25519.getSharedSecret(secretKey, peerPublicKey);
  } catch (cause) {
    // libsodium's crypto_scalarmult fails the same way on a low-order (all-zero result) key.
    throw new NatbaseError('BAD_KEY', 'the peer kx public key is of low order', { cause });
  }
  const input = new Uint8Array(96);
  input.set(q, 0);
  input.set(clientPk, 32);
  input.set(serverPk, 64);
  return blake2b(input, { dkLen: 64 });
}

/**
 * libsodium `crypto_kx_client_session_keys`: `h = BLAKE2b-512(X25519(sk, server_pk) ‖ client_pk ‖
 * server_pk)`, `rx = h[0:32]`, `tx = h[32:64]`. Throws `BAD_KEY` on a low-order server key.
 */
export function kxClientSessionKeys(client: KxKeyPair, serverPublicKey: Uint8Array): SessionKeys {
  const h = sharedHash(client.secretKey, serverPublicKey, client.publicKey, serverPublicKey);
  return { rx: h.slice(0, 32), tx: h.slice(32, 64) };
}

/** libsodium `crypto_kx_server_session_keys`: the same `h`, `tx = h[0:32]`, `rx = h[32:64]`. */
export function kxServerSessionKeys(server: KxKeyPair, clientPublicKey: Uint8Array): SessionKeys {
  const h = sharedHash(server.secretKey, clientPublicKey, clientPublicKey, server.publicKey);
  return { tx: h.slice(0, 32), rx: h.slice(32, 64) };
}

/**
 * Which `crypto_kx` side this device plays with `peerId`. Upstream (2021 `husarnet_secure.cpp`
 * and HEAD `security_layer.cpp`) calls `crypto_kx_client_session_keys` when `peerId < ownId`
 * (bytewise), so the device with the **larger** id is the client — despite the upstream comment
 * and spec §11, which say the smaller one. The code is what interoperates.
 */
export function kxRole(ownId: DeviceId, peerId: DeviceId): 'client' | 'server' {
  return compareBytes(peerId, ownId) < 0 ? 'client' : 'server';
}

/** The session keys of this device with `peerId`, given both kx public keys. */
export function deriveSessionKeys(
  ownId: DeviceId,
  peerId: DeviceId,
  own: KxKeyPair,
  peerKxPublicKey: Uint8Array,
): SessionKeys {
  return kxRole(ownId, peerId) === 'client'
    ? kxClientSessionKeys(own, peerKxPublicKey)
    : kxServerSessionKeys(own, peerKxPublicKey);
}
