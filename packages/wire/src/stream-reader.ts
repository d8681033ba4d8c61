import { DecodeError } from './errors.js';

/**
 * A queue of received chunks that a pull parser reads from: fixed-size fields (`take`),
 * delimiter-terminated fields (`takeUntil`) and whatever is left (`takeAll`). Any chunking of the
 * input gives the same fields. Reads that fit in one chunk return views without copying; the
 * pusher must not modify a chunk after pushing it.
 *
 * Memory is bounded: `push` throws `BODY_TOO_LARGE` once more than `maxBuffered` bytes would be
 * waiting, so a peer that never completes a field cannot grow the buffer without limit.
 */
export class StreamReader {
  readonly maxBuffered: number;
  #chunks: Uint8Array[] = [];
  #head = 0; // offset into #chunks[0]
  #buffered = 0;

  constructor(maxBuffered = 1 << 20) {
    this.maxBuffered = maxBuffered;
  }

  /** Bytes received and not yet taken. */
  get buffered(): number {
    return this.#buffered;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (this.#buffered + chunk.length > this.maxBuffered) {
      throw new DecodeError(
        'BODY_TOO_LARGE',
        `stream buffer would hold ${this.#buffered + chunk.length} bytes, the limit is ${this.maxBuffered}`,
      );
    }
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
  }

  /** The byte `index` positions ahead, without consuming; `undefined` if not yet received. */
  peekByte(index = 0): number | undefined {
    if (index >= this.#buffered) return undefined;
    let i = index + this.#head;
    for (const c of this.#chunks) {
      if (i < c.length) return c[i];
      i -= c.length;
    }
    return undefined;
  }

  /** Exactly `n` bytes, or `undefined` (nothing consumed) if fewer are buffered. */
  take(n: number): Uint8Array | undefined {
    if (n > this.#buffered) return undefined;
    if (n === 0) return new Uint8Array(0);
    const first = this.#chunks[0]!;
    if (first.length - this.#head >= n) {
      const out = first.subarray(this.#head, this.#head + n);
      this.#advance(n);
      return out;
    }
    const out = new Uint8Array(n);
    let o = 0;
    while (o < n) {
      const c = this.#chunks[0]!;
      const k = Math.min(c.length - this.#head, n - o);
      out.set(c.subarray(this.#head, this.#head + k), o);
      o += k;
      this.#advance(k);
    }
    return out;
  }

  /** Everything buffered (possibly empty). */
  takeAll(): Uint8Array {
    return this.take(this.#buffered)!;
  }

  /**
   * The bytes before the next `delimiter` (which is consumed and not returned), or `undefined`
   * if it has not arrived yet. Throws `BODY_TOO_LARGE` if more than `maxLength` bytes arrived
   * without a delimiter: the field can never be valid.
   */
  takeUntil(delimiter: number, maxLength: number, what = 'field'): Uint8Array | undefined {
    let index = 0;
    let pos = this.#head;
    for (const c of this.#chunks) {
      const found = c.indexOf(delimiter, pos);
      if (found >= 0) {
        index += found - pos;
        if (index > maxLength) break;
        const out = this.take(index)!;
        this.#advance(1);
        return out;
      }
      index += c.length - pos;
      pos = 0;
    }
    if (index > maxLength) {
      throw new DecodeError(
        'BODY_TOO_LARGE',
        `${what} is longer than ${maxLength} bytes without a terminator`,
      );
    }
    return undefined;
  }

  #advance(n: number): void {
    this.#buffered -= n;
    this.#head += n;
    while (this.#chunks.length > 0 && this.#head >= this.#chunks[0]!.length) {
      this.#head -= this.#chunks[0]!.length;
      this.#chunks.shift();
    }
  }
}
