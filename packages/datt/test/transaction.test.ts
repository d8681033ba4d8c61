import { concatBytes, fromHex, toHex } from '@peerwire/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectThrowsCode, valueOrTypedError } from '../../../tooling/test-helpers.js';
import {
  AddressVersion,
  addressFromPublicKey,
  DattError,
  encodeCompactSize,
  parseTransaction,
  publicKeyOf,
  readCompactSize,
  serializeTransaction,
  type Transaction,
  transactionId,
} from '../src/index.js';
import { bsv, buildPayment, keyOf } from './helpers.js';

const payee = addressFromPublicKey(publicKeyOf(keyOf('payee')));

const arbTx: fc.Arbitrary<Transaction> = fc
  .record({
    version: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
    inputs: fc.array(
      fc.record({
        prevTxid: fc.uint8Array({ minLength: 32, maxLength: 32 }),
        prevIndex: fc.nat({ max: 0xffffffff }),
        script: fc.uint8Array({ maxLength: 300 }),
        sequence: fc.nat({ max: 0xffffffff }),
      }),
      { minLength: 1, maxLength: 3 },
    ),
    outputs: fc.array(
      fc.record({
        value: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        scriptPubKey: fc.uint8Array({ maxLength: 40 }),
      }),
      { minLength: 1, maxLength: 3 },
    ),
    lockTime: fc.nat({ max: 0xffffffff }),
    witness: fc.boolean(),
  })
  .map(({ witness, ...tx }) =>
    witness
      ? { ...tx, witnesses: tx.inputs.map((_, i) => (i === 0 ? [Uint8Array.of(i, 1)] : [])) }
      : tx,
  );

describe('Bitcoin transactions (spec §7)', () => {
  it('parses a transaction built by bsv, with the same txid', () => {
    const raw = buildPayment([
      { address: payee, satoshis: 5000n },
      { address: payee, satoshis: 1n },
    ]);
    const tx = parseTransaction(raw);
    expect(tx.inputs.length).toBe(1);
    expect(tx.outputs.map((o) => o.value)).toEqual([5000n, 1n]);
    const theirs = bsv.Tx.fromBuffer(Buffer.from(raw));
    // bsv's hash() is internal byte order; id() is the reversed display form.
    expect(toHex(transactionId(tx))).toBe(theirs.hash().toString('hex'));
    expect(toHex(serializeTransaction(tx))).toBe(toHex(raw));
  });

  it('parses the segwit form and hashes the txid without witnesses', () => {
    // A P2WPKH spend in BIP 143's native P2WPKH example shape (marker, flag, one witness).
    const tx: Transaction = {
      version: 2,
      inputs: [
        {
          prevTxid: new Uint8Array(32).fill(1),
          prevIndex: 0,
          script: new Uint8Array(0),
          sequence: 0xfffffffe,
        },
      ],
      outputs: [{ value: 1000n, scriptPubKey: fromHex('0014'.padEnd(44, 'ab')) }],
      witnesses: [[new Uint8Array(71), new Uint8Array(33)]],
      lockTime: 0,
    };
    const raw = serializeTransaction(tx);
    expect(toHex(raw.subarray(4, 6))).toBe('0001');
    const parsed = parseTransaction(raw);
    expect(parsed.witnesses?.[0]?.length).toBe(2);
    const legacy = serializeTransaction(tx, false);
    expect(toHex(transactionId(parsed))).toBe(toHex(transactionId(parseTransaction(legacy))));
  });

  it('rejects trailing bytes, no inputs/outputs, bad flags, empty witnesses and oversize', () => {
    const raw = buildPayment([{ address: payee, satoshis: 1n }]);
    expectThrowsCode(
      () => parseTransaction(concatBytes(raw, Uint8Array.of(0))),
      DattError,
      'BAD_TRANSACTION',
    );
    expectThrowsCode(
      () => parseTransaction(raw.subarray(0, raw.length - 1)),
      DattError,
      'BAD_TRANSACTION',
    );
    expectThrowsCode(
      () => parseTransaction(fromHex('0100000000000000000000')),
      DattError,
      'BAD_TRANSACTION',
    );
    expectThrowsCode(() => parseTransaction(fromHex('010000000002')), DattError, 'BAD_TRANSACTION');
    const tx = parseTransaction(raw);
    const noOutputs = serializeTransaction({ ...tx, outputs: [] });
    expectThrowsCode(() => parseTransaction(noOutputs), DattError, 'BAD_TRANSACTION');
    const emptyWitness = serializeTransaction({ ...tx, witnesses: [[]] });
    expectThrowsCode(() => parseTransaction(emptyWitness), DattError, 'BAD_TRANSACTION');
    expectThrowsCode(
      () => parseTransaction(raw, { maxLength: raw.length - 1 }),
      DattError,
      'TOO_LARGE',
    );
    // A count no remaining bytes can hold is refused before any allocation.
    expectThrowsCode(
      () => parseTransaction(fromHex('01000000feffffff7f')),
      DattError,
      'BAD_TRANSACTION',
    );
  });

  it('reads only canonical CompactSizes', () => {
    for (const n of [0, 252, 253, 0xffff, 0x10000, 0xffffffff, 2 ** 40]) {
      const e = encodeCompactSize(n);
      expect(readCompactSize(e, 0, Number.MAX_SAFE_INTEGER, 'n')).toEqual({
        value: n,
        next: e.length,
      });
    }
    expectThrowsCode(() => readCompactSize(fromHex('fd1000'), 0, 1e9, 'n'), DattError, 'BAD_VALUE');
    expectThrowsCode(
      () => readCompactSize(fromHex('fe00000100'), 0, 10, 'n'),
      DattError,
      'TOO_LARGE',
    );
  });

  it('reads arbitrary CompactSizes to a value that re-encodes identically, or a DattError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 9 }), fc.nat(), (bytes, max) => {
        const r = valueOrTypedError(() => readCompactSize(bytes, 0, max, 'n'), DattError);
        if (r) {
          expect(r.value).toBeLessThanOrEqual(max);
          expect(toHex(encodeCompactSize(r.value))).toBe(toHex(bytes.subarray(0, r.next)));
        }
      }),
    );
  });

  it('round-trips generated transactions', () => {
    fc.assert(
      fc.property(arbTx, (tx) => {
        const raw = serializeTransaction(tx);
        expect(parseTransaction(raw, { maxLength: 1e6 })).toEqual(tx);
      }),
    );
  });

  it('parses arbitrary bytes to a transaction that re-serialises identically, or a DattError', () => {
    const prefix = fc.constantFrom(
      new Uint8Array(0),
      fromHex('0100000001'),
      fromHex('020000000001'),
    );
    fc.assert(
      fc.property(prefix, fc.uint8Array({ maxLength: 120 }), (p, rest) => {
        const bytes = concatBytes(p, rest);
        const tx = valueOrTypedError(() => parseTransaction(bytes), DattError);
        if (tx) expect(toHex(serializeTransaction(tx))).toBe(toHex(bytes));
      }),
    );
  });

  it('knows the four address versions', () => {
    expect(AddressVersion).toEqual({ P2PKH: 0, P2SH: 5, P2PKH_TESTNET: 0x6f, P2SH_TESTNET: 0xc4 });
  });
});
