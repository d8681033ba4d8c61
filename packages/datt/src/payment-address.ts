import { createBase58check } from '@scure/base';
import { DattError } from './errors.js';
import { hash160, sha256 } from './hash.js';
import { assertPublicKey } from './keys.js';

/** A payout / payment address on the wire: version byte ‖ HASH160 (21 bytes). */
export const ADDRESS_LENGTH = 21;

/** Address version bytes peerwire accepts (spec §7). */
export const AddressVersion = {
  /** P2PKH, mainnet (`1…`). */
  P2PKH: 0x00,
  /** P2SH, mainnet (`3…`). */
  P2SH: 0x05,
  /** P2PKH, testnet (`m…`/`n…`). */
  P2PKH_TESTNET: 0x6f,
  /** P2SH, testnet (`2…`). */
  P2SH_TESTNET: 0xc4,
} as const;

const base58check = createBase58check(sha256);

function assertAddress(address: Uint8Array): void {
  if (address.length !== ADDRESS_LENGTH) {
    throw new DattError(
      'BAD_LENGTH',
      `an address is ${ADDRESS_LENGTH} bytes (version ‖ HASH160), got ${address.length}`,
    );
  }
}

/** `version ‖ HASH160(compressed public key)`: the P2PKH address of a key. */
export function addressFromPublicKey(
  publicKey: Uint8Array,
  version: number = AddressVersion.P2PKH,
): Uint8Array {
  assertPublicKey(publicKey);
  const out = new Uint8Array(ADDRESS_LENGTH);
  out[0] = version;
  out.set(hash160(publicKey), 1);
  return out;
}

/** Base58Check text of a 21-byte address (`1…`, `3…`, `m…`, …). */
export function addressToString(address: Uint8Array): string {
  assertAddress(address);
  return base58check.encode(address);
}

/** The 21 bytes of a Base58Check address; `BAD_ADDRESS` for bad text, checksum or length. */
export function addressFromString(text: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = base58check.decode(text);
  } catch (cause) {
    throw new DattError('BAD_ADDRESS', `${JSON.stringify(text)} is not a Base58Check address`, {
      cause,
    });
  }
  if (bytes.length !== ADDRESS_LENGTH) {
    throw new DattError(
      'BAD_ADDRESS',
      `${JSON.stringify(text)} decodes to ${bytes.length} bytes, not ${ADDRESS_LENGTH}`,
    );
  }
  return bytes;
}

/**
 * The scriptPubKey an output must have to pay `address` (spec §7): P2PKH
 * `76 a9 14 ‖ HASH160 ‖ 88 ac` for versions 0x00/0x6f, P2SH `a9 14 ‖ HASH160 ‖ 87` for
 * 0x05/0xc4. Other versions are `BAD_ADDRESS`.
 */
export function scriptPubKeyFor(address: Uint8Array): Uint8Array {
  assertAddress(address);
  const version = address[0]!;
  const h = address.subarray(1);
  if (version === AddressVersion.P2PKH || version === AddressVersion.P2PKH_TESTNET) {
    const s = new Uint8Array(25);
    s.set([0x76, 0xa9, 0x14], 0);
    s.set(h, 3);
    s[23] = 0x88;
    s[24] = 0xac;
    return s;
  }
  if (version === AddressVersion.P2SH || version === AddressVersion.P2SH_TESTNET) {
    const s = new Uint8Array(23);
    s.set([0xa9, 0x14], 0);
    s.set(h, 2);
    s[22] = 0x87;
    return s;
  }
  throw new DattError(
    'BAD_ADDRESS',
    `address version 0x${version.toString(16).padStart(2, '0')} is not P2PKH or P2SH (0x00, 0x05, 0x6f, 0xc4)`,
  );
}
