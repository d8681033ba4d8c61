import { DattError } from './errors.js';
import { scriptPubKeyFor } from './payment-address.js';
import { parseTransaction, type TransactionLimits, transactionId } from './transaction.js';

/** What a node asks to be paid (the data of `reqpayment`, spec §6.4). */
export interface PaymentRequest {
  /** The content hash the payment is about (32 bytes). */
  readonly ref: Uint8Array;
  /** Satoshis. */
  readonly amount: bigint;
  /** version ‖ HASH160 (21 bytes). */
  readonly address: Uint8Array;
}

/** A payment that passed `verifyPayment`. */
export interface VerifiedPayment {
  /** SHA-256d of the transaction without witnesses, internal byte order. */
  readonly txid: Uint8Array;
  /** The output that pays the request. */
  readonly outputIndex: number;
  /** What that output pays (≥ the amount asked). */
  readonly value: bigint;
}

/**
 * Checks a raw transaction against a request without chain access (spec §7): it parses, and some
 * output has exactly the address's scriptPubKey and a value of at least the amount. Throws
 * `BAD_TRANSACTION`, `TOO_LARGE`, `BAD_ADDRESS` or `PAYMENT_INSUFFICIENT`. Whether the inputs
 * exist and are unspent is not (cannot be) checked here.
 */
export function verifyPayment(
  rawTransaction: Uint8Array,
  request: Pick<PaymentRequest, 'amount' | 'address'>,
  limits?: TransactionLimits,
): VerifiedPayment {
  const expected = scriptPubKeyFor(request.address);
  const tx = parseTransaction(rawTransaction, limits);
  let best = -1n;
  for (let i = 0; i < tx.outputs.length; i++) {
    const out = tx.outputs[i]!;
    const s = out.scriptPubKey;
    if (s.length !== expected.length) continue;
    let same = true;
    for (let j = 0; same && j < s.length; j++) same = s[j] === expected[j];
    if (!same) continue;
    if (out.value >= request.amount) {
      return { txid: transactionId(tx), outputIndex: i, value: out.value };
    }
    if (out.value > best) best = out.value;
  }
  throw new DattError(
    'PAYMENT_INSUFFICIENT',
    best < 0n
      ? 'no output of the transaction pays the requested address'
      : `the best output to the requested address pays ${best} satoshis, ${request.amount} were asked`,
  );
}
