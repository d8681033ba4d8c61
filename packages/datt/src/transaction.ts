import { compactSizeLength, readCompactSize, writeCompactSize } from './compact-size.js';
import { DEFAULT_MAX_DMSG_DATA_LENGTH } from './dmsg.js';
import { DattError } from './errors.js';
import { sha256d } from './hash.js';

/** One transaction input. */
export interface TxInput {
  /** Previous transaction id, internal byte order (32 bytes). */
  readonly prevTxid: Uint8Array;
  readonly prevIndex: number;
  readonly script: Uint8Array;
  readonly sequence: number;
}

/** One transaction output. */
export interface TxOutput {
  /** Satoshis (u64). */
  readonly value: bigint;
  readonly scriptPubKey: Uint8Array;
}

/** A parsed Bitcoin transaction (spec §7). Byte arrays are views into the raw bytes. */
export interface Transaction {
  /** i32. */
  readonly version: number;
  readonly inputs: readonly TxInput[];
  readonly outputs: readonly TxOutput[];
  /** Per-input witness stacks when the transaction was serialised with the segwit marker. */
  readonly witnesses?: readonly (readonly Uint8Array[])[];
  readonly lockTime: number;
}

/** Limits of the transaction parser. */
export interface TransactionLimits {
  /** Largest raw transaction accepted (default 30000 bytes, the DMsg maximum). */
  readonly maxLength?: number;
}

// Smallest serialised input: txid 32 + index 4 + script length 1 + sequence 4.
const MIN_INPUT = 41;
// Smallest output: value 8 + script length 1.
const MIN_OUTPUT = 9;

class Cursor {
  pos = 0;
  readonly view: DataView;
  constructor(readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  need(n: number, what: string): number {
    const at = this.pos;
    if (n > this.buf.length - at) {
      throw new DattError('BAD_TRANSACTION', `transaction ends inside ${what} at offset ${at}`);
    }
    this.pos = at + n;
    return at;
  }
  bytes(n: number, what: string): Uint8Array {
    const at = this.need(n, what);
    return this.buf.subarray(at, at + n);
  }
  u32(what: string): number {
    return this.view.getUint32(this.need(4, what), true);
  }
  size(minItem: number, what: string): number {
    try {
      const max = Math.floor((this.buf.length - this.pos) / Math.max(1, minItem));
      const { value, next } = readCompactSize(this.buf, this.pos, max, what);
      this.pos = next;
      return value;
    } catch (error) {
      if (error instanceof DattError) {
        throw new DattError('BAD_TRANSACTION', `transaction ${error.message}`, { cause: error });
      }
      throw error;
    }
  }
  varBytes(what: string): Uint8Array {
    return this.bytes(this.size(1, `${what} length`), what);
  }
}

/**
 * Parses a raw Bitcoin transaction, legacy or segwit (spec §7). Rejects with `BAD_TRANSACTION`:
 * zero inputs or outputs, trailing bytes, a segwit flag other than 1, a segwit marker with only
 * empty witnesses, non-canonical CompactSizes, counts the remaining bytes cannot hold; and with
 * `TOO_LARGE` anything above `maxLength`. Every accepted input re-serialises to itself.
 */
export function parseTransaction(raw: Uint8Array, limits?: TransactionLimits): Transaction {
  const max = limits?.maxLength ?? DEFAULT_MAX_DMSG_DATA_LENGTH;
  if (raw.length > max) {
    throw new DattError(
      'TOO_LARGE',
      `transaction of ${raw.length} bytes exceeds the limit of ${max}`,
    );
  }
  const c = new Cursor(raw);
  const version = c.view.getInt32(c.need(4, 'version'), true);
  let segwit = false;
  if (raw[c.pos] === 0x00) {
    if (raw[c.pos + 1] !== 0x01) {
      throw new DattError(
        'BAD_TRANSACTION',
        'transaction has zero inputs (or a segwit flag other than 1)',
      );
    }
    segwit = true;
    c.pos += 2;
  }
  const nIn = c.size(MIN_INPUT, 'input count');
  if (nIn === 0) throw new DattError('BAD_TRANSACTION', 'transaction has zero inputs');
  const inputs: TxInput[] = [];
  for (let i = 0; i < nIn; i++) {
    const prevTxid = c.bytes(32, `input ${i} txid`);
    const prevIndex = c.u32(`input ${i} index`);
    const script = c.varBytes(`input ${i} script`);
    const sequence = c.u32(`input ${i} sequence`);
    inputs.push({ prevTxid, prevIndex, script, sequence });
  }
  const nOut = c.size(MIN_OUTPUT, 'output count');
  if (nOut === 0) throw new DattError('BAD_TRANSACTION', 'transaction has zero outputs');
  const outputs: TxOutput[] = [];
  for (let i = 0; i < nOut; i++) {
    const value = c.view.getBigUint64(c.need(8, `output ${i} value`), true);
    const scriptPubKey = c.varBytes(`output ${i} script`);
    outputs.push({ value, scriptPubKey });
  }
  let witnesses: Uint8Array[][] | undefined;
  if (segwit) {
    witnesses = [];
    let any = false;
    for (let i = 0; i < nIn; i++) {
      const n = c.size(1, `input ${i} witness count`);
      const stack: Uint8Array[] = [];
      for (let j = 0; j < n; j++) stack.push(c.varBytes(`input ${i} witness ${j}`));
      if (n > 0) any = true;
      witnesses.push(stack);
    }
    if (!any) {
      throw new DattError('BAD_TRANSACTION', 'transaction has a segwit marker but no witness data');
    }
  }
  const lockTime = c.u32('lock time');
  if (c.pos !== raw.length) {
    throw new DattError(
      'BAD_TRANSACTION',
      `transaction is followed by ${raw.length - c.pos} trailing bytes`,
    );
  }
  return witnesses
    ? { version, inputs, outputs, witnesses, lockTime }
    : { version, inputs, outputs, lockTime };
}

function varLength(b: Uint8Array): number {
  return compactSizeLength(b.length) + b.length;
}

/**
 * Serialises a transaction. With `witness` (default true) and witness stacks present, the segwit
 * form; otherwise the legacy form (the one the txid hashes).
 */
export function serializeTransaction(tx: Transaction, witness = true): Uint8Array {
  const segwit = witness && tx.witnesses !== undefined;
  if (segwit && tx.witnesses!.length !== tx.inputs.length) {
    throw new DattError('BAD_VALUE', 'a transaction needs one witness stack per input');
  }
  let size = 4 + compactSizeLength(tx.inputs.length) + compactSizeLength(tx.outputs.length) + 4;
  for (const i of tx.inputs) {
    if (i.prevTxid.length !== 32)
      throw new DattError('BAD_LENGTH', 'an input txid must be 32 bytes');
    size += 40 + varLength(i.script);
  }
  for (const o of tx.outputs) size += 8 + varLength(o.scriptPubKey);
  if (segwit) {
    size += 2;
    for (const stack of tx.witnesses!) {
      size += compactSizeLength(stack.length);
      for (const item of stack) size += varLength(item);
    }
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let p = 0;
  view.setInt32(p, tx.version, true);
  p += 4;
  if (segwit) {
    out[p++] = 0;
    out[p++] = 1;
  }
  const put = (b: Uint8Array) => {
    p = writeCompactSize(out, p, b.length);
    out.set(b, p);
    p += b.length;
  };
  p = writeCompactSize(out, p, tx.inputs.length);
  for (const i of tx.inputs) {
    out.set(i.prevTxid, p);
    view.setUint32(p + 32, i.prevIndex, true);
    p += 36;
    put(i.script);
    view.setUint32(p, i.sequence, true);
    p += 4;
  }
  p = writeCompactSize(out, p, tx.outputs.length);
  for (const o of tx.outputs) {
    view.setBigUint64(p, o.value, true);
    p += 8;
    put(o.scriptPubKey);
  }
  if (segwit) {
    for (const stack of tx.witnesses!) {
      p = writeCompactSize(out, p, stack.length);
      for (const item of stack) put(item);
    }
  }
  view.setUint32(p, tx.lockTime, true);
  return out;
}

/** SHA-256d of the transaction without witness data, internal byte order (spec §6.4). */
export function transactionId(tx: Transaction): Uint8Array {
  return sha256d(serializeTransaction(tx, false));
}
