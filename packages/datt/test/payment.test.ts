import { toHex } from '@peerwire/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectThrowsCode, valueOrTypedError } from '../../../tooling/test-helpers.js';
import {
  AddressVersion,
  addressFromPublicKey,
  addressFromString,
  addressToString,
  DattError,
  publicKeyOf,
  scriptPubKeyFor,
  verifyPayment,
} from '../src/index.js';
import { bsv, buildPayment, keyOf } from './helpers.js';

const node = addressFromPublicKey(publicKeyOf(keyOf('node')));
const other = addressFromPublicKey(publicKeyOf(keyOf('other')));

describe('payment verification (spec §7)', () => {
  it('derives the same scripts and address text as bsv', () => {
    const text = addressToString(node);
    expect(toHex(addressFromString(text))).toBe(toHex(node));
    expect(toHex(scriptPubKeyFor(node))).toBe(
      bsv.Address.fromString(text).toTxOutScript().toBuffer().toString('hex'),
    );
    const p2sh = Uint8Array.of(AddressVersion.P2SH, ...node.subarray(1));
    expect(toHex(scriptPubKeyFor(p2sh))).toBe(`a914${toHex(node.subarray(1))}87`);
    const testnet = Uint8Array.of(AddressVersion.P2PKH_TESTNET, ...node.subarray(1));
    expect(toHex(scriptPubKeyFor(testnet))).toBe(`76a914${toHex(node.subarray(1))}88ac`);
    expectThrowsCode(
      () => scriptPubKeyFor(Uint8Array.of(0x30, ...node.subarray(1))),
      DattError,
      'BAD_ADDRESS',
    );
    expectThrowsCode(
      () => addressFromString('1BoatSLRHtKNngkdXEeobR76b53LETtpyX'),
      DattError,
      'BAD_ADDRESS',
    );
  });

  it('accepts an output paying at least the amount to the address', () => {
    const raw = buildPayment([
      { address: other, satoshis: 9_999n },
      { address: node, satoshis: 1_500n },
    ]);
    const ok = verifyPayment(raw, { amount: 1_500n, address: node });
    expect(ok.outputIndex).toBe(1);
    expect(ok.value).toBe(1_500n);
    expect(verifyPayment(raw, { amount: 1_000n, address: node }).value).toBe(1_500n);
  });

  it('refuses too little, the wrong address, P2SH for P2PKH, and a bad version', () => {
    const raw = buildPayment([
      { address: node, satoshis: 1_499n },
      { address: other, satoshis: 10_000n },
    ]);
    const e = expectThrowsCode(
      () => verifyPayment(raw, { amount: 1_500n, address: node }),
      DattError,
      'PAYMENT_INSUFFICIENT',
    );
    expect(e.message).toMatch(/1499/);
    const p2sh = Uint8Array.of(AddressVersion.P2SH, ...node.subarray(1));
    expectThrowsCode(
      () => verifyPayment(raw, { amount: 1n, address: p2sh }),
      DattError,
      'PAYMENT_INSUFFICIENT',
    );
    expectThrowsCode(
      () => verifyPayment(raw, { amount: 1n, address: Uint8Array.of(0x42, ...node.subarray(1)) }),
      DattError,
      'BAD_ADDRESS',
    );
    expectThrowsCode(
      () => verifyPayment(Uint8Array.of(1, 2, 3), { amount: 1n, address: node }),
      DattError,
      'BAD_TRANSACTION',
    );
  });

  it('parses arbitrary address text to 21 bytes that format back identically, or a DattError', () => {
    const base58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
    const text = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.string({ unit: fc.constantFrom(...base58.split('')), minLength: 25, maxLength: 36 }),
      fc.uint8Array({ minLength: 21, maxLength: 21 }).map((b) => addressToString(b)),
    );
    fc.assert(
      fc.property(text, (t) => {
        const a = valueOrTypedError(() => addressFromString(t), DattError);
        if (a) expect(addressToString(a)).toBe(t);
      }),
    );
  });
});
