/**
 * The DER reader and writer under the key and signature formats: one tag-length-value at a
 * time, definite minimal lengths, minimal positive INTEGERs, the way Go's `cryptobyte` and
 * `encoding/asn1` read them. Failures inside are `DerError`s, which each format turns into its
 * `CryptoError` (or a `false`) so that no stray exception leaves the package.
 */
import { concatBytes } from '@peerwire/wire';
import { CryptoError } from '../errors.js';

export const TAG_INTEGER = 0x02;
export const TAG_BIT_STRING = 0x03;
export const TAG_OCTET_STRING = 0x04;
export const TAG_NULL = 0x05;
export const TAG_OID = 0x06;
export const TAG_SEQUENCE = 0x30;
export const TAG_CONTEXT_0 = 0xa0;
export const TAG_CONTEXT_1 = 0xa1;

/** One decoded TLV: its tag, its content and the offset just past it. */
export interface Tlv {
  readonly tag: number;
  readonly content: Uint8Array;
  readonly end: number;
}

/** A DER structure that does not parse. Internal: every format turns it into its `CryptoError`. */
export class DerError extends Error {}

/** Reads one TLV at `pos` with a minimal definite length. Throws DerError. */
export function readTlv(buf: Uint8Array, pos: number): Tlv {
  if (pos + 2 > buf.length) throw new DerError('truncated');
  const tag = buf[pos]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte tags are not used here');
  let len = buf[pos + 1]!;
  let at = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 3) throw new DerError('bad length');
    if (at + n > buf.length) throw new DerError('truncated');
    if (buf[at] === 0) throw new DerError('non-minimal length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[at + i]!;
    if (len < 0x80) throw new DerError('non-minimal length');
    at += n;
  }
  if (at + len > buf.length) throw new DerError('truncated');
  return { tag, content: buf.subarray(at, at + len), end: at + len };
}

/** Reads consecutive TLVs filling `buf` exactly. */
export function readAll(buf: Uint8Array): Tlv[] {
  const out: Tlv[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const t = readTlv(buf, pos);
    out.push(t);
    pos = t.end;
  }
  return out;
}

/** Reads exactly one TLV of `tag` filling `buf`. */
export function readOnly(buf: Uint8Array, tag: number): Uint8Array {
  const t = readTlv(buf, 0);
  if (t.tag !== tag || t.end !== buf.length) throw new DerError('unexpected structure');
  return t.content;
}

function lengthBytes(len: number): Uint8Array {
  if (len < 0x80) return Uint8Array.of(len);
  if (len < 0x100) return Uint8Array.of(0x81, len);
  if (len < 0x10000) return Uint8Array.of(0x82, len >> 8, len & 0xff);
  return Uint8Array.of(0x83, len >> 16, (len >> 8) & 0xff, len & 0xff);
}

export function tlv(tag: number, ...content: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const c of content) len += c.length;
  return concatBytes(Uint8Array.of(tag), lengthBytes(len), ...content);
}

/** The magnitude of a minimal, positive DER INTEGER. */
export function positiveInteger(content: Uint8Array): Uint8Array {
  if (content.length === 0) throw new DerError('empty INTEGER');
  if (content[0]! & 0x80) throw new DerError('negative INTEGER');
  if (content.length > 1 && content[0] === 0 && !(content[1]! & 0x80)) {
    throw new DerError('non-minimal INTEGER');
  }
  const mag = content[0] === 0 ? content.subarray(1) : content;
  if (mag.length === 0) throw new DerError('zero INTEGER');
  return mag;
}

/** The `BAD_KEY` error of a key that does not parse (`cause`: the `DerError`). */
export function bad(what: string, cause?: unknown): CryptoError {
  return new CryptoError('BAD_KEY', what, cause === undefined ? undefined : { cause });
}
