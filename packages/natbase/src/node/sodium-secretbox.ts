import sodium from 'sodium-native';
import { NatbaseError } from '../errors.js';
import type { SecretboxBackend } from '../secure/secretbox-backend.js';
import {
  MAC_LENGTH,
  NONCE_LENGTH,
  SECURE_DATA_OVERHEAD,
  SEQ_LENGTH,
} from '../secure/secure-packet.js';

const BOX_AT = 1 + NONCE_LENGTH;
const CLEAR_AT = BOX_AT + MAC_LENGTH;

/**
 * Secure DATA sealed and opened by libsodium itself (sodium-native): the same bytes as the
 * portable backend. The packet is built in one buffer (libsodium allows the overlapping in-place
 * call); `crypto_secretbox_open_easy` verifies the MAC before it decrypts.
 */
export const sodiumSecretbox: SecretboxBackend = {
  name: 'sodium-native (libsodium)',
  sealData(key, nonce, payload) {
    if (key.length !== 32) throw new NatbaseError('BAD_KEY', 'a secretbox key is 32 bytes');
    if (nonce.length !== NONCE_LENGTH) throw new NatbaseError('BAD_VALUE', 'a nonce is 24 bytes');
    const packet = new Uint8Array(SECURE_DATA_OVERHEAD + payload.length);
    packet.set(nonce, 1);
    packet.set(payload, CLEAR_AT + SEQ_LENGTH);
    sodium.crypto_secretbox_easy(packet.subarray(BOX_AT), packet.subarray(CLEAR_AT), nonce, key);
    return packet;
  },
  openData(key, packet) {
    if (key.length !== 32) throw new NatbaseError('BAD_KEY', 'a secretbox key is 32 bytes');
    if (packet.length < SECURE_DATA_OVERHEAD || packet[0] !== 0)
      throw new NatbaseError(
        'BAD_LENGTH',
        `secure DATA is at least 49 bytes, not ${packet.length}`,
      );
    const clear = new Uint8Array(packet.length - CLEAR_AT);
    if (
      !sodium.crypto_secretbox_open_easy(
        clear,
        packet.subarray(BOX_AT),
        packet.subarray(1, BOX_AT),
        key,
      )
    )
      throw new NatbaseError('BAD_MAC', 'the secure DATA MAC does not verify');
    return clear.subarray(SEQ_LENGTH);
  },
};
