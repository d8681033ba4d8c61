import { EncodeError } from './errors.js';
import { uvarintLength, writeUvarint } from './varint.js';

const encoder = new TextEncoder();

/** A growable byte buffer with typed writes. `finish()` returns the bytes written. */
export class ByteWriter {
  #buf: Uint8Array;
  #view: DataView;
  #pos = 0;

  constructor(initialCapacity = 64) {
    this.#buf = new Uint8Array(Math.max(8, initialCapacity));
    this.#view = new DataView(this.#buf.buffer);
  }

  get length(): number {
    return this.#pos;
  }

  /** Reserves `n` bytes and returns their offset. Call it before touching #buf or #view. */
  #ensure(n: number): number {
    const at = this.#pos;
    if (at + n > this.#buf.length) {
      let cap = this.#buf.length * 2;
      while (cap < at + n) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.#buf.subarray(0, at));
      this.#buf = next;
      this.#view = new DataView(next.buffer);
    }
    this.#pos = at + n;
    return at;
  }

  #checkInt(value: number, max: number, what: string): void {
    if (!Number.isInteger(value) || value < 0 || value > max) {
      throw new EncodeError('BAD_VALUE', `${what} out of range: ${value}`);
    }
  }

  u8(value: number): this {
    this.#checkInt(value, 0xff, 'u8');
    const at = this.#ensure(1);
    this.#buf[at] = value;
    return this;
  }

  u16be(value: number): this {
    this.#checkInt(value, 0xffff, 'u16');
    const at = this.#ensure(2);
    this.#view.setUint16(at, value, false);
    return this;
  }

  u16le(value: number): this {
    this.#checkInt(value, 0xffff, 'u16');
    const at = this.#ensure(2);
    this.#view.setUint16(at, value, true);
    return this;
  }

  u32be(value: number): this {
    this.#checkInt(value, 0xffff_ffff, 'u32');
    const at = this.#ensure(4);
    this.#view.setUint32(at, value, false);
    return this;
  }

  u32le(value: number): this {
    this.#checkInt(value, 0xffff_ffff, 'u32');
    const at = this.#ensure(4);
    this.#view.setUint32(at, value, true);
    return this;
  }

  u64be(value: bigint): this {
    if (value < 0n || value > 0xffff_ffff_ffff_ffffn)
      throw new EncodeError('BAD_VALUE', `u64 out of range: ${value}`);
    const at = this.#ensure(8);
    this.#view.setBigUint64(at, value, false);
    return this;
  }

  u64le(value: bigint): this {
    if (value < 0n || value > 0xffff_ffff_ffff_ffffn)
      throw new EncodeError('BAD_VALUE', `u64 out of range: ${value}`);
    const at = this.#ensure(8);
    this.#view.setBigUint64(at, value, true);
    return this;
  }

  bytes(value: Uint8Array): this {
    const at = this.#ensure(value.length);
    this.#buf.set(value, at);
    return this;
  }

  utf8(text: string): this {
    return this.bytes(encoder.encode(text));
  }

  uvarint(value: number | bigint): this {
    const n = uvarintLength(value);
    const at = this.#ensure(n);
    writeUvarint(this.#buf, at, value);
    return this;
  }

  /** A copy of the bytes written so far. */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#pos);
  }
}
