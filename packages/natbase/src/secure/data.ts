import { xsalsa20poly1305 } from '@noble/ciphers/salsa.js';
import { NatbaseError } from '../errors.js';
import {
  MAC_LENGTH,
  NONCE_LENGTH,
  SECURE_DATA_OVERHEAD,
  SEQ_LENGTH,
  SecureType,
} from './secure-packet.js';

/** Where the box (MAC first) starts in a DATA packet: after `00 ‖ nonce`. */
const BOX_AT = 1 + NONCE_LENGTH;
/**
 * The packet is built in place in one buffer: noble's secretbox writes into an output of
 * `cleartext + 32` bytes (a 16-byte scratch area, the MAC, then the ciphertext), so the output
 * view starts 16 bytes before the MAC. 3 bytes of front padding put that view on a 4-byte boundary
 * (noble's fast path); the packet is the view from offset 3.
 */
const PAD = 3;

/**
 * Seals `payload` as a secure DATA packet: `00 ‖ nonce ‖ crypto_secretbox_easy(key, nonce,
 * seq(8 zero bytes) ‖ payload)`. `nonce` is 24 fresh random bytes.
 */
export function sealData(key: Uint8Array, nonce: Uint8Array, payload: Uint8Array): Uint8Array {
  if (key.length !== 32) throw new NatbaseError('BAD_KEY', 'a secretbox key is 32 bytes');
  if (nonce.length !== NONCE_LENGTH) throw new NatbaseError('BAD_VALUE', 'a nonce is 24 bytes');
  const buf = new Uint8Array(PAD + SECURE_DATA_OVERHEAD + payload.length);
  const packetAt = PAD;
  const clearAt = packetAt + BOX_AT + MAC_LENGTH;
  buf.set(payload, clearAt + SEQ_LENGTH); // the sequence number stays 0
  const output = buf.subarray(clearAt - 32);
  // noble copies the cleartext to output[32..], which is where it already is.
  xsalsa20poly1305(key, nonce).encrypt(buf.subarray(clearAt), output);
  buf[packetAt] = SecureType.DATA;
  buf.set(nonce, packetAt + 1); // after the call: its scratch area overlapped the nonce's place
  return buf.subarray(packetAt);
}

/**
 * Opens a secure DATA packet with `key`. The Poly1305 MAC is verified before anything is
 * decrypted or looked at (`BAD_MAC`); the 8-byte sequence number is then skipped (always 0, not
 * checked: there is no replay protection upstream). Throws `BAD_LENGTH` below 49 bytes.
 */
export function openData(key: Uint8Array, packet: Uint8Array): Uint8Array {
  if (key.length !== 32) throw new NatbaseError('BAD_KEY', 'a secretbox key is 32 bytes');
  if (packet.length < SECURE_DATA_OVERHEAD || packet[0] !== SecureType.DATA)
    throw new NatbaseError('BAD_LENGTH', `secure DATA is at least 49 bytes, not ${packet.length}`);
  const nonce = packet.subarray(1, BOX_AT);
  let clear: Uint8Array;
  try {
    clear = xsalsa20poly1305(key, nonce).decrypt(packet.subarray(BOX_AT));
  } catch (cause) {
    throw new NatbaseError('BAD_MAC', 'the secure DATA MAC does not verify', { cause });
  }
  return clear.subarray(SEQ_LENGTH);
}
