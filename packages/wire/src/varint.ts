import { DecodeError, EncodeError } from './errors.js';

/** Largest value an unsigned LEB128 varint may carry (u64). */
export const MAX_UVARINT = 0xffff_ffff_ffff_ffffn;
/** Longest encoding of a u64 varint. */
export const MAX_UVARINT_BYTES = 10;

/** Small bigints 0..127, the common case for flags. */
const SMALL = Array.from({ length: 128 }, (_, i) => BigInt(i));

function checkUvarint(value: number | bigint): void {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new EncodeError(
        'BAD_VALUE',
        `uvarint must be a non-negative safe integer, got ${value}`,
      );
    }
  } else if (value < 0n || value > MAX_UVARINT) {
    throw new EncodeError('BAD_VALUE', `uvarint out of u64 range: ${value}`);
  }
}

/** Number of bytes the minimal encoding of `value` takes. */
export function uvarintLength(value: number | bigint): number {
  checkUvarint(value);
  if (value < 0x80) return 1;
  let v = BigInt(value);
  let n = 1;
  while (v >= 0x80n) {
    v >>= 7n;
    n++;
  }
  return n;
}

/**
 * Writes the minimal unsigned LEB128 encoding of `value` at `out[offset]` (as Go's
 * `binary.AppendUvarint`) and returns the offset after it. The caller sizes `out`.
 */
export function writeUvarint(out: Uint8Array, offset: number, value: number | bigint): number {
  checkUvarint(value);
  if (value < 0x80) {
    out[offset] = Number(value);
    return offset + 1;
  }
  if (typeof value === 'number' && value <= 0xffff_ffff) {
    let v = value;
    while (v >= 0x80) {
      out[offset++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    out[offset++] = v;
    return offset;
  }
  let v = BigInt(value);
  while (v >= 0x80n) {
    out[offset++] = Number(v & 0x7fn) | 0x80;
    v >>= 7n;
  }
  out[offset++] = Number(v);
  return offset;
}

/** The minimal unsigned LEB128 encoding of `value`. */
export function encodeUvarint(value: number | bigint): Uint8Array {
  const out = new Uint8Array(uvarintLength(value));
  writeUvarint(out, 0, value);
  return out;
}

/** A decoded varint and the number of bytes it took. */
export interface Uvarint {
  readonly value: bigint;
  readonly length: number;
}

/**
 * Reads an unsigned LEB128 varint at `bytes[offset]` as Go's `binary.ReadUvarint` does: at most
 * 10 bytes, and the 10th byte may only be 0 or 1. Non-minimal encodings (`80 00`) are accepted,
 * as Go accepts them. Throws `TRUNCATED` or `VARINT_OVERFLOW`.
 */
export function readUvarint(bytes: Uint8Array, offset = 0, what = 'varint'): Uvarint {
  const first = bytes[offset];
  if (first === undefined)
    throw new DecodeError('TRUNCATED', `${what}: input ended before the varint`);
  if (first < 0x80) return { value: SMALL[first]!, length: 1 };
  let low = 0; // bits 0..27 as a number, fast path for values < 2^28
  let shift = 0;
  let i = offset;
  for (; i < offset + 4; i++) {
    const b = bytes[i];
    if (b === undefined)
      throw new DecodeError('TRUNCATED', `${what}: input ended inside the varint`);
    low |= (b & 0x7f) << shift;
    if (b < 0x80) return { value: BigInt(low >>> 0), length: i - offset + 1 };
    shift += 7;
  }
  let value = BigInt(low >>> 0);
  let bigShift = 28n;
  for (; i < offset + MAX_UVARINT_BYTES; i++) {
    const b = bytes[i];
    if (b === undefined)
      throw new DecodeError('TRUNCATED', `${what}: input ended inside the varint`);
    if (i === offset + MAX_UVARINT_BYTES - 1 && b > 1) {
      throw new DecodeError('VARINT_OVERFLOW', `${what}: varint overflows a 64-bit integer`);
    }
    value |= BigInt(b & 0x7f) << bigShift;
    if (b < 0x80) return { value, length: i - offset + 1 };
    bigShift += 7n;
  }
  throw new DecodeError('VARINT_OVERFLOW', `${what}: varint overflows a 64-bit integer`);
}
