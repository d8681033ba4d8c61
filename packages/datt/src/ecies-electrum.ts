import { cbc } from '@noble/ciphers/aes.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import type { EciesEncryptOptions, SealedEcies } from './ecies-bitcore.js';
import { DattError } from './errors.js';
import { constantTimeEqual } from './hash.js';
import {
  assertPrivateKey,
  assertPublicKey,
  generatePrivateKey,
  PUBLIC_KEY_LENGTH,
  platformRandom,
} from './keys.js';

/** "BIE1". */
export const ELECTRUM_MAGIC = Uint8Array.of(0x42, 0x49, 0x45, 0x31);
/** magic(4) ‖ R(33) ‖ one AES block(16) ‖ mac(32). */
export const ELECTRUM_ECIES_MIN_LENGTH = 85;
const MAC = 32;
const HEAD = 4 + PUBLIC_KEY_LENGTH;

/** iv ‖ kE ‖ kM = SHA-512(compressed k·P) (spec §5.2). */
function keys(privateKey: Uint8Array, publicKey: Uint8Array) {
  const h = sha512(secp256k1.getSharedSecret(privateKey, publicKey, true));
  return { iv: h.subarray(0, 16), kE: h.subarray(16, 32), kM: h.subarray(32, 64) };
}

/** @internal */
export function electrumSeal(
  message: Uint8Array,
  receiverPublicKey: Uint8Array,
  options?: EciesEncryptOptions,
): SealedEcies {
  assertPublicKey(receiverPublicKey, 'receiver public key');
  let r: Uint8Array;
  if (options?.ephemeralPrivateKey) {
    assertPrivateKey(options.ephemeralPrivateKey, 'ephemeral private key');
    r = options.ephemeralPrivateKey;
  } else {
    r = generatePrivateKey(options?.random ?? platformRandom);
  }
  const { iv, kE, kM } = keys(r, receiverPublicKey);
  const ct = cbc(kE, iv).encrypt(message);
  const out = new Uint8Array(HEAD + ct.length + MAC);
  out.set(ELECTRUM_MAGIC, 0);
  out.set(secp256k1.getPublicKey(r, true), 4);
  out.set(ct, HEAD);
  out.set(hmac(sha256, kM, out.subarray(0, HEAD + ct.length)), HEAD + ct.length);
  return { bytes: out, macKey: kM };
}

function split(ciphertext: Uint8Array) {
  if (ciphertext.length < ELECTRUM_ECIES_MIN_LENGTH) {
    throw new DattError(
      'TRUNCATED',
      `Electrum ECIES ciphertext of ${ciphertext.length} bytes is shorter than ${ELECTRUM_ECIES_MIN_LENGTH}`,
    );
  }
  for (let i = 0; i < 4; i++) {
    if (ciphertext[i] !== ELECTRUM_MAGIC[i]) {
      throw new DattError('BAD_VALUE', 'Electrum ECIES ciphertext does not start with "BIE1"');
    }
  }
  if ((ciphertext.length - HEAD - MAC) % 16 !== 0) {
    throw new DattError('BAD_CIPHERTEXT', 'Electrum ECIES ciphertext is not whole AES blocks');
  }
  const R = ciphertext.subarray(4, HEAD);
  assertPublicKey(R, 'ECIES ephemeral key R');
  const end = ciphertext.length - MAC;
  return {
    R,
    signed: ciphertext.subarray(0, end),
    ct: ciphertext.subarray(HEAD, end),
    mac: ciphertext.subarray(end),
  };
}

/** @internal The MAC key of an Electrum ciphertext for `receiverPrivateKey` (nothing verified). */
export function electrumMacKey(ciphertext: Uint8Array, receiverPrivateKey: Uint8Array): Uint8Array {
  assertPrivateKey(receiverPrivateKey, 'receiver private key');
  return keys(receiverPrivateKey, split(ciphertext).R).kM;
}

/**
 * Electrum ECIES ("BIE1", spec §5.2): `"BIE1" ‖ R(33) ‖ AES-128-CBC ‖ HMAC-SHA256(kM, all
 * before)`. The IV is derived from the shared secret, so the ephemeral key is always fresh
 * (never the sender's static key). Interoperable with bsv's `Ecies.electrumDecrypt`.
 */
export function electrumEncrypt(
  message: Uint8Array,
  receiverPublicKey: Uint8Array,
  options?: Omit<EciesEncryptOptions, 'iv'>,
): Uint8Array {
  return electrumSeal(message, receiverPublicKey, options).bytes;
}

/**
 * Decrypts an Electrum ECIES ciphertext; the MAC (which covers magic and R) is compared in
 * constant time before decryption. Throws `TRUNCATED`, `BAD_VALUE` (no "BIE1"),
 * `BAD_CIPHERTEXT`, `BAD_KEY`, `BAD_MAC`.
 */
export function electrumDecrypt(
  ciphertext: Uint8Array,
  receiverPrivateKey: Uint8Array,
): Uint8Array {
  assertPrivateKey(receiverPrivateKey, 'receiver private key');
  const { R, signed, ct, mac } = split(ciphertext);
  const { iv, kE, kM } = keys(receiverPrivateKey, R);
  if (!constantTimeEqual(hmac(sha256, kM, signed), mac)) {
    throw new DattError(
      'BAD_MAC',
      'Electrum ECIES MAC does not match (wrong key or tampered data)',
    );
  }
  try {
    return cbc(kE, iv).decrypt(ct);
  } catch (cause) {
    throw new DattError('BAD_CIPHERTEXT', 'Electrum ECIES plaintext has invalid padding', {
      cause,
    });
  }
}
