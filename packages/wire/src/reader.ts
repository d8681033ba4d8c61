import { utf8Decode } from './bytes.js';
import { DecodeError } from './errors.js';
import { readUvarint } from './varint.js';

/**
 * A bounds-checked cursor over bytes. Every read that would run past the end throws
 * `DecodeError('TRUNCATED')` naming what was being read; nothing is read partially.
 * Slices returned by `bytes()` and `rest()` share memory with the input.
 */
export class ByteReader {
  readonly #buf: Uint8Array;
  readonly #view: DataView;
  #pos: number;

  constructor(buf: Uint8Array, offset = 0) {
    this.#buf = buf;
    this.#view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.#pos = offset;
  }

  /** Current offset from the start of the input. */
  get offset(): number {
    return this.#pos;
  }

  /** Bytes not yet read. */
  get remaining(): number {
    return this.#buf.length - this.#pos;
  }

  #need(n: number, what: string): number {
    const at = this.#pos;
    if (n > this.#buf.length - at) {
      throw new DecodeError(
        'TRUNCATED',
        `${what}: need ${n} byte${n === 1 ? '' : 's'} at offset ${at}, only ${this.#buf.length - at} left`,
      );
    }
    this.#pos = at + n;
    return at;
  }

  u8(what = 'u8'): number {
    return this.#buf[this.#need(1, what)]!;
  }

  u16be(what = 'u16'): number {
    return this.#view.getUint16(this.#need(2, what), false);
  }

  u16le(what = 'u16'): number {
    return this.#view.getUint16(this.#need(2, what), true);
  }

  u32be(what = 'u32'): number {
    return this.#view.getUint32(this.#need(4, what), false);
  }

  u32le(what = 'u32'): number {
    return this.#view.getUint32(this.#need(4, what), true);
  }

  u64be(what = 'u64'): bigint {
    return this.#view.getBigUint64(this.#need(8, what), false);
  }

  u64le(what = 'u64'): bigint {
    return this.#view.getBigUint64(this.#need(8, what), true);
  }

  /** `n` bytes (a view into the input, not a copy). */
  bytes(n: number, what = 'bytes'): Uint8Array {
    const at = this.#need(n, what);
    return this.#buf.subarray(at, at + n);
  }

  /** Everything left (a view). */
  rest(): Uint8Array {
    const at = this.#pos;
    this.#pos = this.#buf.length;
    return this.#buf.subarray(at);
  }

  /** `n` bytes decoded as strict UTF-8. */
  utf8(n: number, what = 'text'): string {
    const at = this.#need(n, what);
    return utf8Decode(this.#buf, at, at + n, what);
  }

  /** An unsigned LEB128 varint (u64, Go `binary.ReadUvarint` rules). */
  uvarint(what = 'varint'): bigint {
    const { value, length } = readUvarint(this.#buf, this.#pos, what);
    this.#pos += length;
    return value;
  }

  /** A varint that must be at most `max` (a safe integer); returned as a number. */
  uvarintMax(
    max: number,
    what = 'varint',
    code: 'BAD_VALUE' | 'NAME_TOO_LONG' | 'BODY_TOO_LARGE' = 'BAD_VALUE',
  ): number {
    const value = this.uvarint(what);
    if (value > BigInt(max))
      throw new DecodeError(code, `${what}: ${value} exceeds the limit of ${max}`);
    return Number(value);
  }

  /** Throws `TRAILING_BYTES` unless everything was read. */
  end(what = 'input'): void {
    if (this.#pos !== this.#buf.length) {
      throw new DecodeError(
        'TRAILING_BYTES',
        `${what}: ${this.#buf.length - this.#pos} unexpected trailing bytes`,
      );
    }
  }
}
