import { DattError } from './errors.js';

/**
 * Bitcoin's CompactSize (spec §4.2): `< 0xfd` → 1 byte; ≤ `0xffff` → `fd` + u16 LE;
 * ≤ `0xffffffff` → `fe` + u32 LE; else `ff` + u64 LE. Lengths in this package fit in a
 * safe integer, so values are numbers.
 */
export function compactSizeLength(n: number): number {
  return n < 0xfd ? 1 : n <= 0xffff ? 3 : n <= 0xffffffff ? 5 : 9;
}

/** Writes `n` at `out[offset]`; returns the offset after it. */
export function writeCompactSize(out: Uint8Array, offset: number, n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new DattError('BAD_VALUE', `CompactSize value ${n} is not a non-negative safe integer`);
  }
  if (n < 0xfd) {
    out[offset] = n;
    return offset + 1;
  }
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  if (n <= 0xffff) {
    out[offset] = 0xfd;
    view.setUint16(offset + 1, n, true);
    return offset + 3;
  }
  if (n <= 0xffffffff) {
    out[offset] = 0xfe;
    view.setUint32(offset + 1, n, true);
    return offset + 5;
  }
  out[offset] = 0xff;
  view.setBigUint64(offset + 1, BigInt(n), true);
  return offset + 9;
}

export function encodeCompactSize(n: number): Uint8Array {
  const out = new Uint8Array(compactSizeLength(n));
  writeCompactSize(out, 0, n);
  return out;
}

/**
 * Reads a CompactSize at `offset`. Non-canonical encodings (a value that a shorter form could
 * carry) are rejected, as Bitcoin Core does, so every accepted input re-encodes to itself.
 * Values above `max` are rejected with `TOO_LARGE` before the caller allocates anything.
 */
export function readCompactSize(
  buf: Uint8Array,
  offset: number,
  max: number,
  what: string,
): { value: number; next: number } {
  const first = buf[offset];
  if (first === undefined) throw new DattError('TRUNCATED', `${what}: missing CompactSize`);
  let value: number;
  let next: number;
  let min: number;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (first < 0xfd) {
    value = first;
    next = offset + 1;
    min = 0;
  } else {
    const size = first === 0xfd ? 2 : first === 0xfe ? 4 : 8;
    if (offset + 1 + size > buf.length) {
      throw new DattError('TRUNCATED', `${what}: CompactSize needs ${size} more bytes`);
    }
    if (size === 2) {
      value = view.getUint16(offset + 1, true);
      min = 0xfd;
    } else if (size === 4) {
      value = view.getUint32(offset + 1, true);
      min = 0x10000;
    } else {
      const big = view.getBigUint64(offset + 1, true);
      if (big > BigInt(max)) {
        throw new DattError('TOO_LARGE', `${what}: ${big} exceeds the limit of ${max}`);
      }
      value = Number(big);
      min = 0x100000000;
    }
    next = offset + 1 + size;
  }
  if (value < min) {
    throw new DattError('BAD_VALUE', `${what}: non-canonical CompactSize for ${value}`);
  }
  if (value > max) {
    throw new DattError('TOO_LARGE', `${what}: ${value} exceeds the limit of ${max}`);
  }
  return { value, next };
}
