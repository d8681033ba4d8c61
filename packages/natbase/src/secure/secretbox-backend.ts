import { openData, sealData } from './data.js';

/**
 * Who seals and opens secure DATA packets. The core's default is `@noble/ciphers` (pure JS, runs
 * everywhere); `@peerwire/natbase/node` has a libsodium one (`sodiumSecretbox`, sodium-native),
 * which is faster. Both produce the same bytes and verify the MAC before decrypting.
 */
export interface SecretboxBackend {
  /** What implements it, for logs and benchmark output. */
  readonly name: string;
  /** `00 ‖ nonce ‖ crypto_secretbox_easy(key, nonce, seq(8 zero bytes) ‖ payload)`. */
  sealData(key: Uint8Array, nonce: Uint8Array, payload: Uint8Array): Uint8Array;
  /** The payload of a DATA packet; throws `BAD_LENGTH`, `BAD_KEY` or `BAD_MAC`. */
  openData(key: Uint8Array, packet: Uint8Array): Uint8Array;
}

/** The portable backend: XSalsa20-Poly1305 from `@noble/ciphers`. */
export const nobleSecretbox: SecretboxBackend = { name: '@noble/ciphers', sealData, openData };
