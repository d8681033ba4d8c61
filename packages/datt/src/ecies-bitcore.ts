import { cbc } from '@noble/ciphers/aes.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { DattError } from './errors.js';
import { constantTimeEqual } from './hash.js';
import {
  assertPrivateKey,
  assertPublicKey,
  generatePrivateKey,
  PUBLIC_KEY_LENGTH,
  platformRandom,
  type RandomSource,
} from './keys.js';

/** R(33) ‖ IV(16) ‖ one AES block(16) ‖ d(32). */
export const BITCORE_ECIES_MIN_LENGTH = 97;
const IV = 16;
const MAC = 32;

/** Options for ECIES encryption. The defaults draw fresh randomness for every message. */
export interface EciesEncryptOptions {
  /** Random source for the ephemeral key (and the bitcore IV); default the platform CSPRNG. */
  readonly random?: RandomSource;
  /** Fixed ephemeral secret key, for test vectors only: never reuse one. */
  readonly ephemeralPrivateKey?: Uint8Array;
  /** Fixed IV (bitcore form only), for test vectors only. */
  readonly iv?: Uint8Array;
}

/** @internal The ciphertext and its MAC key (the envelope derives its own key from it). */
export interface SealedEcies {
  readonly bytes: Uint8Array;
  readonly macKey: Uint8Array;
}

function ephemeral(options: EciesEncryptOptions | undefined): Uint8Array {
  if (options?.ephemeralPrivateKey) {
    assertPrivateKey(options.ephemeralPrivateKey, 'ephemeral private key');
    return options.ephemeralPrivateKey;
  }
  return generatePrivateKey(options?.random ?? platformRandom);
}

/** kE ‖ kM = SHA-512(x(k·P)) (spec §5.1). */
function keys(privateKey: Uint8Array, publicKey: Uint8Array): { kE: Uint8Array; kM: Uint8Array } {
  const shared = secp256k1.getSharedSecret(privateKey, publicKey, true);
  const h = sha512(shared.subarray(1));
  return { kE: h.subarray(0, 32), kM: h.subarray(32, 64) };
}

/** @internal */
export function bitcoreSeal(
  message: Uint8Array,
  receiverPublicKey: Uint8Array,
  options?: EciesEncryptOptions,
): SealedEcies {
  assertPublicKey(receiverPublicKey, 'receiver public key');
  const r = ephemeral(options);
  const R = secp256k1.getPublicKey(r, true);
  const { kE, kM } = keys(r, receiverPublicKey);
  const iv = options?.iv ?? (options?.random ?? platformRandom)(IV);
  if (iv.length !== IV) throw new DattError('BAD_LENGTH', `the IV must be ${IV} bytes`);
  const ct = cbc(kE, iv).encrypt(message);
  const out = new Uint8Array(PUBLIC_KEY_LENGTH + IV + ct.length + MAC);
  out.set(R, 0);
  out.set(iv, PUBLIC_KEY_LENGTH);
  out.set(ct, PUBLIC_KEY_LENGTH + IV);
  const c = out.subarray(PUBLIC_KEY_LENGTH, PUBLIC_KEY_LENGTH + IV + ct.length);
  out.set(hmac(sha256, kM, c), PUBLIC_KEY_LENGTH + IV + ct.length);
  return { bytes: out, macKey: kM };
}

function split(ciphertext: Uint8Array) {
  if (ciphertext.length < BITCORE_ECIES_MIN_LENGTH) {
    throw new DattError(
      'TRUNCATED',
      `bitcore ECIES ciphertext of ${ciphertext.length} bytes is shorter than ${BITCORE_ECIES_MIN_LENGTH}`,
    );
  }
  if ((ciphertext.length - PUBLIC_KEY_LENGTH - IV - MAC) % 16 !== 0) {
    throw new DattError('BAD_CIPHERTEXT', 'bitcore ECIES ciphertext is not whole AES blocks');
  }
  const R = ciphertext.subarray(0, PUBLIC_KEY_LENGTH);
  assertPublicKey(R, 'ECIES ephemeral key R');
  const end = ciphertext.length - MAC;
  return {
    R,
    c: ciphertext.subarray(PUBLIC_KEY_LENGTH, end),
    d: ciphertext.subarray(end),
  };
}

/** @internal The MAC key of a bitcore ciphertext for `receiverPrivateKey` (nothing verified). */
export function bitcoreMacKey(ciphertext: Uint8Array, receiverPrivateKey: Uint8Array): Uint8Array {
  assertPrivateKey(receiverPrivateKey, 'receiver private key');
  return keys(receiverPrivateKey, split(ciphertext).R).kM;
}

/**
 * fullnode / bitcore ECIES encryption (spec §5.1): `R(33) ‖ IV(16) ‖ AES-256-CBC ‖
 * HMAC-SHA256(kM, IV ‖ ct)`, with a fresh ephemeral key and a random IV. Interoperable with bsv's
 * `Ecies.bitcoreDecrypt` and npm `bitcore-ecies`.
 */
export function bitcoreEncrypt(
  message: Uint8Array,
  receiverPublicKey: Uint8Array,
  options?: EciesEncryptOptions,
): Uint8Array {
  return bitcoreSeal(message, receiverPublicKey, options).bytes;
}

/**
 * Decrypts a bitcore ECIES ciphertext. The MAC is compared in constant time before anything is
 * decrypted. Throws `TRUNCATED`, `BAD_CIPHERTEXT`, `BAD_KEY` (R not a compressed point),
 * `BAD_MAC` (wrong key or tampered).
 */
export function bitcoreDecrypt(ciphertext: Uint8Array, receiverPrivateKey: Uint8Array): Uint8Array {
  assertPrivateKey(receiverPrivateKey, 'receiver private key');
  const { R, c, d } = split(ciphertext);
  const { kE, kM } = keys(receiverPrivateKey, R);
  if (!constantTimeEqual(hmac(sha256, kM, c), d)) {
    throw new DattError('BAD_MAC', 'bitcore ECIES MAC does not match (wrong key or tampered data)');
  }
  try {
    return cbc(kE, c.subarray(0, IV)).decrypt(c.subarray(IV));
  } catch (cause) {
    throw new DattError('BAD_CIPHERTEXT', 'bitcore ECIES plaintext has invalid padding', { cause });
  }
}
