/**
 * Typed access to decoded CBOR, for codecs that map CBOR onto structs. Each helper checks one
 * value and throws `DecodeError('BAD_SHAPE')` naming the field (`what`) when it has the wrong
 * CBOR type, so that a Go `[]byte` never silently accepts a text string and so on.
 *
 * `undefined` means "absent" (a map key that is not there). Helpers for nullable Go types
 * (`…OrNull`) treat absent like `null`, as Go leaves absent fields at their zero value.
 */
import type { CborEncodable, CborValue } from './cbor.js';
import { DecodeError } from './errors.js';

function kind(v: CborValue): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (v instanceof Uint8Array) return 'a byte string';
  if (v instanceof Map) return 'a map';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v instanceof Date) return 'a time';
  if (typeof v === 'string') return 'a text string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'an integer' : 'a float';
  if (typeof v === 'bigint') return 'an integer';
  return `a ${typeof v}`;
}

function wrong(what: string, expected: string, v: CborValue): never {
  throw new DecodeError('BAD_SHAPE', `${what}: expected ${expected}, got ${kind(v)}`);
}

export function cborMap(v: CborValue, what: string): Map<CborValue, CborValue> {
  if (v instanceof Map) return v;
  return wrong(what, 'a map', v);
}

export function cborMapOrNull(v: CborValue, what: string): Map<CborValue, CborValue> | null {
  if (v === null || v === undefined) return null;
  return cborMap(v, what);
}

/** An array, of exactly `length` elements when given (Go `toarray` structs). */
export function cborArray(v: CborValue, what: string, length?: number): CborValue[] {
  if (!Array.isArray(v))
    return wrong(what, length === undefined ? 'an array' : `an array of ${length}`, v);
  if (length !== undefined && v.length !== length) return wrong(what, `an array of ${length}`, v);
  return v;
}

export function cborArrayOrNull(v: CborValue, what: string): CborValue[] | null {
  if (v === null || v === undefined) return null;
  return cborArray(v, what);
}

export function cborBytes(v: CborValue, what: string): Uint8Array {
  if (v instanceof Uint8Array) return v;
  return wrong(what, 'a byte string', v);
}

export function cborBytesOrNull(v: CborValue, what: string): Uint8Array | null {
  if (v === null || v === undefined) return null;
  return cborBytes(v, what);
}

export function cborText(v: CborValue, what: string): string {
  if (typeof v === 'string') return v;
  return wrong(what, 'a text string', v);
}

export function cborBool(v: CborValue, what: string): boolean {
  if (typeof v === 'boolean') return v;
  return wrong(what, 'a boolean', v);
}

/** A non-negative integer of up to 64 bits. */
export function cborUint(v: CborValue, what: string): bigint {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === 'bigint' && v >= 0n && v <= 0xffff_ffff_ffff_ffffn) return v;
  return wrong(what, 'an unsigned integer', v);
}

/** A non-negative integer that must be at most `max` (default `Number.MAX_SAFE_INTEGER`). */
export function cborSafeUint(v: CborValue, what: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = cborUint(v, what);
  if (n > BigInt(max)) throw new DecodeError('BAD_VALUE', `${what}: ${n} exceeds ${max}`);
  return Number(n);
}

/**
 * A Go `time.Time` as Unix seconds, or `null` for the zero time. Accepts what fxamacker accepts:
 * an integer, a float, tag 1 or tag 0 (RFC 3339), an RFC 3339 string, or `null`.
 * Sub-second parts are dropped (rounded toward negative infinity), as Go's encoder drops them.
 */
export function cborTime(v: CborValue, what: string): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') {
    if (Number.isFinite(v)) return Math.floor(v);
    return wrong(what, 'a finite time', v);
  }
  if (typeof v === 'bigint') {
    if (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER))
      return Number(v);
    throw new DecodeError('BAD_VALUE', `${what}: time ${v} is out of range`);
  }
  if (v instanceof Date || typeof v === 'string') {
    const ms = v instanceof Date ? v.getTime() : Date.parse(v);
    if (Number.isNaN(ms)) throw new DecodeError('BAD_VALUE', `${what}: not a valid time`);
    return Math.floor(ms / 1000);
  }
  return wrong(what, 'a time', v);
}

/** A `map[string]string` (IDCard Meta, Membership Info); `null` when nil. */
export function cborTextMapOrNull(v: CborValue, what: string): Map<string, string> | null {
  const m = cborMapOrNull(v, what);
  if (m === null) return null;
  const out = new Map<string, string>();
  for (const [k, val] of m)
    out.set(cborText(k, `${what} key`), cborText(val, `${what}[${String(k)}]`));
  return out;
}

/** Encodes Unix seconds as Go encodes a `time.Time`: the integer, or `null` for the zero time. */
export function cborFromTime(seconds: number | null): CborEncodable {
  return seconds === null ? null : Math.floor(seconds);
}
