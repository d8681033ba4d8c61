import { RelayRedisError } from './errors.js';

/** First byte of a batch (a single envelope starts with its own version, 1). */
export const BATCH_VERSION = 2;
/** Bytes a batch adds to each envelope (its u32 length). */
export const BATCH_ENTRY_OVERHEAD = 4;

/**
 * Several bus envelopes for one relay in one PUBLISH: `2 ‖ (length u32 BE ‖ envelope)+`. The
 * envelopes a relay routes to one other relay within one event-loop turn leave together, so a
 * burst costs Redis one command (and the receiving relay one pub/sub message), not one each.
 */
export function encodeBatch(envelopes: readonly Uint8Array[]): Uint8Array {
  if (envelopes.length === 0) throw new RelayRedisError('BAD_ENVELOPE', 'empty batch');
  let size = 1;
  for (const e of envelopes) size += BATCH_ENTRY_OVERHEAD + e.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out[0] = BATCH_VERSION;
  let at = 1;
  for (const e of envelopes) {
    if (e.length === 0) throw new RelayRedisError('BAD_ENVELOPE', 'empty envelope in a batch');
    view.setUint32(at, e.length);
    out.set(e, at + BATCH_ENTRY_OVERHEAD);
    at += BATCH_ENTRY_OVERHEAD + e.length;
  }
  return out;
}

/**
 * The envelopes of a batch (views into `bytes`, not copies), each at most `maxEnvelopeBytes`.
 * Anything malformed (no entry, an empty or oversized entry, a truncated one, trailing bytes)
 * throws `RelayRedisError` `BAD_ENVELOPE`: the whole message is dropped.
 */
export function splitBatch(bytes: Uint8Array, maxEnvelopeBytes: number): Uint8Array[] {
  const bad = (why: string): never => {
    throw new RelayRedisError('BAD_ENVELOPE', `bad bus batch: ${why}`);
  };
  if (bytes[0] !== BATCH_VERSION) bad(`not a batch (first byte ${bytes[0]})`);
  if (bytes.length === 1) bad('no envelope');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Uint8Array[] = [];
  let at = 1;
  while (at < bytes.length) {
    if (at + BATCH_ENTRY_OVERHEAD > bytes.length) bad('truncated length');
    const length = view.getUint32(at);
    at += BATCH_ENTRY_OVERHEAD;
    if (length === 0) bad('empty envelope');
    if (length > maxEnvelopeBytes) bad(`envelope of ${length} bytes over ${maxEnvelopeBytes}`);
    if (at + length > bytes.length) bad('truncated envelope');
    out.push(bytes.subarray(at, at + length));
    at += length;
  }
  return out;
}
