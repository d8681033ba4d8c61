// The record format (spec §7): sizes, the close marker, per-direction keys, nonces and AADs.
// Apart from the record classes (record.ts), so the Node I/O can use it without loading the
// pure-JS AES-GCM that is those classes' default.
import type { SharedKeys } from './spoke.js';
import type { SpokeCipher } from './spoke-public.js';

/** Largest plaintext of one record (bob:lib/crypto.ml `max_packet`). */
export const MAX_RECORD_PAYLOAD = 0x7fff;
/** AEAD tag size. */
export const TAG_LENGTH = 16;
/** The close marker: `ff ff` in the length position (spec §7.3). */
export const CLOSE_RECORD: Uint8Array = Uint8Array.of(0xff, 0xff, 0xff, 0xff);

/** One direction's cipher, 32-byte key and 12-byte nonce base. */
export interface DirectionKey {
  readonly cipher: SpokeCipher;
  readonly key: Uint8Array;
  readonly nonceBase: Uint8Array;
}

/** The sender (bob's "server") or the receiver (bob's "client"). */
export type Role = 'sender' | 'receiver';

/**
 * Keys per direction (spec §7.1): sender → receiver uses cipher0 with client_sk, receiver →
 * sender uses cipher1 with server_sk; key = sk[0:32], nonce base = sk[32:44].
 */
export function recordKeys(
  sharedKeys: SharedKeys,
  ciphers: readonly [SpokeCipher, SpokeCipher],
  role: Role,
): { readonly send: DirectionKey; readonly receive: DirectionKey } {
  const toReceiver: DirectionKey = {
    cipher: ciphers[0],
    key: sharedKeys.client.slice(0, 32),
    nonceBase: sharedKeys.client.slice(32, 44),
  };
  const toSender: DirectionKey = {
    cipher: ciphers[1],
    key: sharedKeys.server.slice(0, 32),
    nonceBase: sharedKeys.server.slice(32, 44),
  };
  return role === 'sender'
    ? { send: toReceiver, receive: toSender }
    : { send: toSender, receive: toReceiver };
}

/** The 20-byte nonce of record `seq`: nonce base ‖ BE64(seq) (concatenated, not XORed). */
export function recordNonce(nonceBase: Uint8Array, seq: number): Uint8Array {
  const nonce = new Uint8Array(20);
  nonce.set(nonceBase, 0);
  const view = new DataView(nonce.buffer);
  view.setUint32(12, Math.floor(seq / 0x1_0000_0000));
  view.setUint32(16, seq >>> 0);
  return nonce;
}

/** The AAD of a record: BE16(1) ‖ BE16(plaintext length). */
export function recordAad(length: number): Uint8Array {
  return Uint8Array.of(0, 1, length >>> 8, length & 0xff);
}
