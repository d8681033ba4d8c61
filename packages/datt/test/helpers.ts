// Shared fixtures for the datt tests: deterministic keys, a seeded random source, a manual
// clock, and Bitcoin transactions built with bsv (an independent implementation).
import { createRequire } from 'node:module';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8Encode } from '@peerwire/wire';
import { addressToString, type RandomSource } from '../src/index.js';

const require = createRequire(import.meta.url);

// biome-ignore lint/suspicious/noExplicitAny: bsv ships no types
export const bsv: any = require('bsv');
export const bitcoinMessage: {
  sign(message: Buffer | string, privateKey: Buffer, compressed: boolean): Buffer;
  verify(message: Buffer | string, address: string, signature: Buffer | string): boolean;
} = require('bitcoinjs-message');

/** A fixed secret key derived from a name. */
export function keyOf(name: string): Uint8Array {
  return sha256(utf8Encode(`datt test key ${name}`));
}

/** A deterministic random source (SHA-256 in counter mode over a seed). */
export function seededRandom(seed: string): RandomSource {
  let counter = 0;
  return (length) => {
    const out = new Uint8Array(length);
    for (let o = 0; o < length; o += 32) {
      const block = sha256(utf8Encode(`${seed}:${counter++}`));
      out.set(block.subarray(0, Math.min(32, length - o)), o);
    }
    return out;
  };
}

/** A clock the test moves by hand. */
export class ManualClock {
  constructor(public time = 1_700_000_000_000) {}
  now(): number {
    return this.time;
  }
}

/** bsv key pair for a secret key. */
export function bsvKeyPair(secret: Uint8Array) {
  const priv = bsv.PrivKey.fromBn(bsv.Bn.fromBuffer(Buffer.from(secret)));
  return bsv.KeyPair.fromPrivKey(priv);
}

/**
 * A raw transaction built with bsv: one (fake) input and outputs paying `satoshis` to each
 * address (21-byte form). Not valid on chain (the input is not signed for a real coin), which is
 * what a node without chain access cannot tell (spec §7).
 */
export function buildPayment(
  outputs: { address: Uint8Array; satoshis: bigint }[],
  salt = 0,
): Uint8Array {
  const tx = new bsv.Tx();
  const prev = Buffer.alloc(32, salt & 0xff);
  tx.addTxIn(prev, 0, new bsv.Script().fromAsmString('OP_TRUE'), 0xffffffff);
  for (const o of outputs) {
    const address = bsv.Address.fromString(addressToString(o.address));
    tx.addTxOut(new bsv.Bn(o.satoshis.toString()), address.toTxOutScript());
  }
  return Uint8Array.from(tx.toBuffer());
}

/** Splits `bytes` at the given cut points (any chunking). */
export function chunk(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  out.push(bytes.subarray(prev));
  return out;
}
