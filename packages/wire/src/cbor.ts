/**
 * The strict CBOR profile peerwire speaks with the Go reference (fxamacker/cbor).
 *
 * Encoding goes through cbor-x after a normalising pass, so the bytes match Go's default
 * encoder: shortest-form integers (never a float for an integer), definite lengths, maps in the
 * insertion order of the JS `Map` (Go's struct declaration order), byte strings for
 * `Uint8Array`, text strings for `string`, `null` for nil. `encodeCanonicalCbor` sorts map keys
 * length-first (RFC 7049 §3.9, fxamacker `CanonicalEncOptions`) for signed structures.
 *
 * Decoding first validates the whole item without allocating (well-formedness, nesting depth,
 * element counts against the configured limits and the bytes actually present, allowed tags,
 * UTF-8 text, no trailing bytes), then lets cbor-x build the value. Garbage therefore always
 * yields a `DecodeError`, never a stack overflow or a huge allocation.
 */
import { Decoder, Encoder } from 'cbor-x';
import { compareBytes } from './bytes.js';
import { DecodeError, EncodeError } from './errors.js';

/** A decoded CBOR value. Maps always decode to `Map` (keys of any type). */
export type CborValue =
  | null
  | undefined
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | Date
  | CborValue[]
  | Map<CborValue, CborValue>;

/** A value the encoder accepts. Use `Map` for CBOR maps: its order is the wire order. */
export type CborEncodable =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | readonly CborEncodable[]
  | ReadonlyMap<string | number | bigint, CborEncodable>;

/** Limits the decoder enforces. Defaults are fxamacker/cbor's. */
export interface CborLimits {
  /** Deepest nesting of arrays, maps and tags (default 32). */
  readonly maxDepth?: number;
  /** Most elements in one array (default 131072). */
  readonly maxArrayLength?: number;
  /** Most pairs in one map (default 131072). */
  readonly maxMapPairs?: number;
  /** Longest byte or text string (default: no limit beyond the input's own length). */
  readonly maxStringLength?: number;
}

export const DEFAULT_CBOR_LIMITS: Required<CborLimits> = {
  maxDepth: 32,
  maxArrayLength: 131072,
  maxMapPairs: 131072,
  maxStringLength: Number.MAX_SAFE_INTEGER,
};

// ---------------------------------------------------------------------------------------------
// Validation

/** Tags the profile lets through: 0 (RFC 3339 time), 1 (epoch time), 2 and 3 (bignums). */
const ALLOWED_TAGS: ReadonlyMap<number, number> = new Map([
  [0, 3], // tag 0 wraps a text string
  [1, -1], // tag 1 wraps an integer or a float
  [2, 2], // bignums wrap a byte string
  [3, 2],
]);

class Scanner {
  pos = 0;
  constructor(
    readonly buf: Uint8Array,
    readonly limits: Required<CborLimits>,
  ) {}

  fail(code: 'TRUNCATED' | 'BAD_CBOR' | 'TOO_DEEP' | 'TOO_LARGE' | 'BAD_UTF8', msg: string): never {
    throw new DecodeError(code, `CBOR: ${msg} (at offset ${this.pos})`);
  }

  /** Reads the argument of a head whose initial byte was already consumed. */
  argument(info: number): number {
    if (info < 24) return info;
    const size = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : 0;
    if (size === 0) this.fail('BAD_CBOR', `reserved additional information ${info}`);
    if (this.buf.length - this.pos < size)
      this.fail('TRUNCATED', 'input ended inside an item head');
    let v = 0;
    for (let i = 0; i < size; i++) v = v * 256 + this.buf[this.pos + i]!;
    this.pos += size;
    // 8-byte arguments above 2^53 lose precision here, but only lengths are compared against
    // the (small) remaining input, so any such length is rejected correctly.
    return v;
  }

  /** Validates one item; returns its major type (7 for simple/float), for tag content checks. */
  item(depth: number): number {
    if (this.pos >= this.buf.length)
      this.fail('TRUNCATED', 'input ended where an item was expected');
    const initial = this.buf[this.pos++]!;
    const major = initial >> 5;
    const info = initial & 0x1f;
    switch (major) {
      case 0:
      case 1:
        if (info === 31) this.fail('BAD_CBOR', 'indefinite length on an integer');
        this.argument(info);
        return major;
      case 2:
      case 3: {
        if (info === 31)
          this.fail('BAD_CBOR', 'indefinite-length strings are not supported by the profile');
        const len = this.argument(info);
        if (len > this.limits.maxStringLength) {
          this.fail(
            'TOO_LARGE',
            `string of ${len} bytes exceeds the limit of ${this.limits.maxStringLength}`,
          );
        }
        if (len > this.buf.length - this.pos)
          this.fail('TRUNCATED', `string of ${len} bytes runs past the input`);
        if (major === 3) this.checkUtf8(this.pos, this.pos + len);
        this.pos += len;
        return major;
      }
      case 4:
      case 5: {
        if (depth >= this.limits.maxDepth)
          this.fail('TOO_DEEP', `nesting deeper than ${this.limits.maxDepth}`);
        const perEntry = major === 4 ? 1 : 2;
        const limit = major === 4 ? this.limits.maxArrayLength : this.limits.maxMapPairs;
        const kind = major === 4 ? 'array' : 'map';
        if (info === 31) {
          let count = 0;
          for (;;) {
            if (this.pos >= this.buf.length)
              this.fail('TRUNCATED', `input ended inside an indefinite ${kind}`);
            if (this.buf[this.pos] === 0xff) {
              this.pos++;
              return major;
            }
            if (++count > limit)
              this.fail('TOO_LARGE', `${kind} longer than the limit of ${limit}`);
            for (let k = 0; k < perEntry; k++) this.item(depth + 1);
          }
        }
        const count = this.argument(info);
        if (count > limit)
          this.fail('TOO_LARGE', `${kind} of ${count} entries exceeds the limit of ${limit}`);
        if (count * perEntry > this.buf.length - this.pos) {
          this.fail('TRUNCATED', `${kind} of ${count} entries cannot fit in the remaining input`);
        }
        for (let i = 0; i < count * perEntry; i++) this.item(depth + 1);
        return major;
      }
      case 6: {
        if (info === 31) this.fail('BAD_CBOR', 'indefinite length on a tag');
        const tag = this.argument(info);
        const content = ALLOWED_TAGS.get(tag);
        if (content === undefined)
          this.fail('BAD_CBOR', `tag ${tag} is not allowed by the profile`);
        if (depth >= this.limits.maxDepth)
          this.fail('TOO_DEEP', `nesting deeper than ${this.limits.maxDepth}`);
        const inner = this.pos;
        const got = this.item(depth + 1);
        if (content >= 0 ? got !== content : got !== 0 && got !== 1 && !this.isFloat(inner)) {
          this.fail('BAD_CBOR', `tag ${tag} wraps the wrong kind of item`);
        }
        return major;
      }
      default: {
        // major 7: simple values and floats
        if (info >= 20 && info <= 23) return 7; // false, true, null, undefined
        if (info === 25 || info === 26 || info === 27) {
          this.argument(info);
          return 7;
        }
        if (info === 31) this.fail('BAD_CBOR', 'unexpected break');
        this.fail(
          'BAD_CBOR',
          `simple value ${info === 24 ? this.buf[this.pos] : info} is not allowed`,
        );
      }
    }
  }

  isFloat(at: number): boolean {
    const b = this.buf[at]!;
    return b === 0xf9 || b === 0xfa || b === 0xfb;
  }

  checkUtf8(start: number, end: number): void {
    const b = this.buf;
    let i = start;
    while (i < end) {
      const c = b[i]!;
      if (c < 0x80) {
        i++;
        continue;
      }
      let n: number;
      let min: number;
      if (c >= 0xc2 && c <= 0xdf) {
        n = 1;
        min = 0x80;
      } else if (c >= 0xe0 && c <= 0xef) {
        n = 2;
        min = 0x800;
      } else if (c >= 0xf0 && c <= 0xf4) {
        n = 3;
        min = 0x10000;
      } else {
        this.fail('BAD_UTF8', 'text string is not valid UTF-8');
      }
      if (i + n >= end) this.fail('BAD_UTF8', 'text string is not valid UTF-8');
      let cp = c & (0x3f >> n);
      for (let k = 1; k <= n; k++) {
        const d = b[i + k]!;
        if ((d & 0xc0) !== 0x80) this.fail('BAD_UTF8', 'text string is not valid UTF-8');
        cp = (cp << 6) | (d & 0x3f);
      }
      if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        this.fail('BAD_UTF8', 'text string is not valid UTF-8');
      }
      i += n + 1;
    }
  }
}

function resolveLimits(limits?: CborLimits): Required<CborLimits> {
  return limits ? { ...DEFAULT_CBOR_LIMITS, ...limits } : DEFAULT_CBOR_LIMITS;
}

/**
 * Checks that `bytes` hold exactly one CBOR item inside the profile and the limits. Throws a
 * `DecodeError` (TRUNCATED, TRAILING_BYTES, BAD_CBOR, BAD_UTF8, TOO_DEEP, TOO_LARGE) otherwise.
 */
export function validateCbor(bytes: Uint8Array, limits?: CborLimits): void {
  const scanner = new Scanner(bytes, resolveLimits(limits));
  scanner.item(0);
  if (scanner.pos !== bytes.length) {
    throw new DecodeError(
      'TRAILING_BYTES',
      `CBOR: ${bytes.length - scanner.pos} bytes after the item`,
    );
  }
}

// `int64AsType` is a cbor-x option its type declarations lack, hence the untyped object.
const decoderOptions = {
  useRecords: false,
  mapsAsObjects: false,
  int64AsType: 'bigint',
  bundleStrings: false,
  sequential: false,
};
const decoder = new Decoder(decoderOptions);

function normaliseDecoded(value: unknown): CborValue {
  if (value instanceof Uint8Array) {
    // cbor-x hands out Node Buffers that view the input; give callers plain Uint8Array views.
    return Object.getPrototypeOf(value) === Uint8Array.prototype
      ? value
      : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = normaliseDecoded(value[i]);
    return value;
  }
  if (value instanceof Map) {
    const out = new Map<CborValue, CborValue>();
    for (const [k, v] of value) out.set(normaliseDecoded(k), normaliseDecoded(v));
    return out;
  }
  return value as CborValue;
}

/**
 * Decodes exactly one CBOR item under the strict profile. Byte strings in the result are views
 * into `bytes` (no copy). Throws `DecodeError` on anything outside the profile or the limits.
 */
export function decodeCbor(bytes: Uint8Array, limits?: CborLimits): CborValue {
  validateCbor(bytes, limits);
  try {
    // cbor-x caches a DataView as a property on the array it decodes; give it a fresh view so
    // the caller's array is left untouched.
    return normaliseDecoded(
      decoder.decode(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length)),
    );
  } catch (cause) {
    // The validator accepts only what cbor-x can decode; reaching this is a bug, but it must
    // still surface as a typed error.
    throw new DecodeError('BAD_CBOR', `CBOR: ${(cause as Error).message}`, { cause });
  }
}

// ---------------------------------------------------------------------------------------------
// Encoding

const encoder = new Encoder({
  useRecords: false,
  mapsAsObjects: false,
  tagUint8Array: false,
  largeBigIntToFloat: false,
  useFloat32: 0,
  bundleStrings: false,
  pack: false,
  sequential: false,
});

const U64_MAX = 0xffff_ffff_ffff_ffffn;
const NEG_U64_MIN = -0x1_0000_0000_0000_0000n;

function normaliseInt(value: bigint, path: string): number | bigint {
  if (value > U64_MAX || value < NEG_U64_MIN) {
    throw new EncodeError(
      'UNSUPPORTED_VALUE',
      `${path}: integer ${value} does not fit in CBOR's 64-bit range`,
    );
  }
  // cbor-x writes numbers within ±2^32 as shortest-form integers and bigints as 8-byte integers.
  return value <= 0xffff_ffffn && value >= -0x1_0000_0000n ? Number(value) : value;
}

type Sorter = ((keys: [unknown, unknown][]) => void) | null;

function normalise(value: CborEncodable, path: string, sort: Sorter): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (Number.isInteger(value)) return normaliseInt(BigInt(value), path);
      return value; // a float: encoded as float64, as Go encodes float64
    case 'bigint':
      return normaliseInt(value, path);
    case 'object': {
      if (value === null) return null;
      if (value instanceof Uint8Array) return value;
      if (Array.isArray(value)) return value.map((v, i) => normalise(v, `${path}[${i}]`, sort));
      if (value instanceof Map) {
        const entries: [unknown, unknown][] = [];
        for (const [k, v] of value) {
          entries.push([
            normalise(k, `${path} key`, sort),
            normalise(v, `${path}.${String(k)}`, sort),
          ]);
        }
        sort?.(entries);
        return new Map(entries);
      }
      break;
    }
    default:
      break;
  }
  throw new EncodeError(
    'UNSUPPORTED_VALUE',
    `${path}: cannot encode ${value === undefined ? 'undefined' : Object.prototype.toString.call(value)} (use Map for maps, Uint8Array for bytes, null for nil)`,
  );
}

function encodeNormalised(value: unknown): Uint8Array {
  // cbor-x returns a Node Buffer viewing a reusable arena: copy it into a plain Uint8Array
  // (`slice` would keep the Buffer species).
  const encoded = encoder.encode(value);
  const out = new Uint8Array(encoded.length);
  out.set(encoded);
  return out;
}

/** Encodes `value` exactly as Go's fxamacker/cbor default encoder would. */
export function encodeCbor(value: CborEncodable): Uint8Array {
  return encodeNormalised(normalise(value, 'value', null));
}

const canonicalSort: Sorter = (entries) => {
  const keyed = entries.map((e) => ({ e, k: encodeNormalised(e[0]) }));
  keyed.sort((a, b) => a.k.length - b.k.length || compareBytes(a.k, b.k));
  for (let i = 0; i < entries.length; i++) entries[i] = keyed[i]!.e;
};

/**
 * Canonical encoding (RFC 7049 §3.9, fxamacker `CanonicalEncOptions`): map keys sorted by the
 * length of their encoding, then bytewise; definite lengths; shortest integers. Used for the
 * bytes that Membership signatures cover.
 */
export function encodeCanonicalCbor(value: CborEncodable): Uint8Array {
  return encodeNormalised(normalise(value, 'value', canonicalSort));
}
