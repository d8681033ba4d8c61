import { BobError } from './errors.js';

function badDelta(what: string): BobError {
  return new BobError('BAD_DELTA', `invalid delta: ${what}`);
}

/** Reads a delta size varint (7 bits per byte, least significant first). */
function readSize(delta: Uint8Array, at: number): { value: number; next: number } {
  let value = 0;
  let shift = 0;
  let i = at;
  for (;;) {
    if (i >= delta.length) throw badDelta('truncated size');
    const b = delta[i++]!;
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (!(b & 0x80)) break;
    if (shift > 49) throw badDelta('size does not fit in 53 bits');
  }
  return { value, next: i };
}

/** The base and result sizes a delta announces. */
export function deltaSizes(delta: Uint8Array): { base: number; result: number; header: number } {
  const base = readSize(delta, 0);
  const result = readSize(delta, base.next);
  return { base: base.value, result: result.value, header: result.next };
}

/**
 * Applies git delta data (spec §8.3) to `base`. The base size must match, every copy must stay
 * inside the base, opcode 0 is invalid, and the result must have exactly the announced size
 * (at most `maxResult`). Any violation throws `BAD_DELTA`.
 */
export function applyDelta(
  base: Uint8Array,
  delta: Uint8Array,
  maxResult = Number.MAX_SAFE_INTEGER,
): Uint8Array {
  const sizes = deltaSizes(delta);
  if (sizes.base !== base.length) {
    throw badDelta(`it expects a base of ${sizes.base} bytes, the base has ${base.length}`);
  }
  if (sizes.result > maxResult) {
    throw new BobError(
      'LIMIT_EXCEEDED',
      `a delta result of ${sizes.result} bytes is above the limit of ${maxResult}`,
    );
  }
  const out = new Uint8Array(sizes.result);
  let o = 0;
  let i = sizes.header;
  while (i < delta.length) {
    const op = delta[i++]!;
    if (op & 0x80) {
      let offset = 0;
      let size = 0;
      for (let bit = 0; bit < 4; bit++) {
        if (op & (1 << bit)) {
          if (i >= delta.length) throw badDelta('truncated copy offset');
          offset += delta[i++]! * 2 ** (8 * bit);
        }
      }
      for (let bit = 0; bit < 3; bit++) {
        if (op & (0x10 << bit)) {
          if (i >= delta.length) throw badDelta('truncated copy size');
          size |= delta[i++]! << (8 * bit);
        }
      }
      if (size === 0) size = 0x10000;
      if (offset + size > base.length) throw badDelta('copy outside the base');
      if (o + size > out.length) throw badDelta('result longer than announced');
      out.set(base.subarray(offset, offset + size), o);
      o += size;
    } else if (op !== 0) {
      if (i + op > delta.length) throw badDelta('truncated literal');
      if (o + op > out.length) throw badDelta('result longer than announced');
      out.set(delta.subarray(i, i + op), o);
      o += op;
      i += op;
    } else {
      throw badDelta('opcode 0 is reserved');
    }
  }
  if (o !== out.length) throw badDelta(`result is ${o} bytes, ${out.length} were announced`);
  return out;
}
