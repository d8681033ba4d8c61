import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { createInflateRaw, type InflateRaw } from 'node:zlib';
import { BobError } from '../errors.js';
import type { Adler32 } from './stored-file.js';

/** Bytes of output a deflate block may refer back to (RFC 1951: 32 KiB). */
const WINDOW = 32 * 1024;

type State = 'header' | 'block' | 'stored' | 'adler' | 'done' | 'inflate';

/**
 * Writes the contents of a single file from its zlib stream (RFC 1950) to `out`, checking the
 * announced size and the Adler-32 trailer. Stored blocks (what a sender without compression
 * writes) are unwrapped here: the decrypted bytes go to the file as they are, with no zlib pass
 * and no copy. At the first compressed block, the rest of the deflate stream goes to node:zlib
 * (off the main thread), primed with the last 32 KiB of output so that back-references into the
 * stored part resolve; the Adler-32 is still checked here over everything written.
 */
export class ZlibFileWriter {
  readonly #out: Writable;
  readonly #size: number;
  readonly #adler: Adler32;
  readonly #onOutput: (n: number) => void;
  #state: State = 'header';
  /** Bytes of a header (zlib, block or trailer) gathered so far. */
  readonly #head = new Uint8Array(5);
  #fill = 0;
  #left = 0;
  #final = false;
  #written = 0;
  /** The last output chunks, at least WINDOW bytes when there are that many (the dictionary). */
  #tail: Uint8Array[] = [];
  #tailBytes = 0;
  #inflate: InflateRaw | undefined;
  #inflating: Promise<void> | undefined;
  #inflateFailure: unknown;
  /** Compressed bytes handed to node:zlib, and the last 4 seen (the trailer, at the end). */
  #fed = 0;
  readonly #last4 = new Uint8Array(4);
  #total = 0;
  #corked = false;

  constructor(out: Writable, size: number, adler32: () => Adler32, onOutput: (n: number) => void) {
    this.#out = out;
    this.#size = size;
    this.#adler = adler32();
    this.#onOutput = onOutput;
  }

  /** Content bytes written so far. */
  get written(): number {
    return this.#written;
  }

  /** Feeds the next bytes of the zlib stream. */
  async push(bytes: Uint8Array): Promise<void> {
    this.#remember(bytes);
    let pos = 0;
    while (pos < bytes.length) {
      switch (this.#state) {
        case 'inflate':
          await this.#feed(bytes.subarray(pos));
          return;
        case 'done':
          throw new BobError('BAD_ZLIB', 'the file data does not end where its zlib stream ends');
        case 'stored': {
          const n = Math.min(this.#left, bytes.length - pos);
          await this.#output(bytes.subarray(pos, pos + n));
          pos += n;
          this.#left -= n;
          if (this.#left === 0) this.#state = this.#final ? 'adler' : 'block';
          break;
        }
        case 'block':
          if (this.#fill === 0 && ((bytes[pos]! >> 1) & 3) !== 0) {
            // A compressed block: node:zlib takes over from here.
            await this.#startInflate();
            await this.#feed(bytes.subarray(pos));
            return;
          }
          pos = this.#gather(bytes, pos, 5);
          if (this.#fill === 5) this.#storedHeader();
          break;
        case 'header':
          pos = this.#gather(bytes, pos, 2);
          if (this.#fill === 2) this.#zlibHeader();
          break;
        case 'adler':
          pos = this.#gather(bytes, pos, 4);
          if (this.#fill === 4) this.#checkAdler(this.#head.subarray(0, 4));
          break;
      }
    }
  }

  /** Call after the last byte: throws unless the stream, the trailer and the size check out. */
  async end(): Promise<void> {
    if (this.#state === 'inflate') {
      this.#inflate!.end();
      await this.#inflating;
      if (this.#inflateFailure) throw this.#inflateFailure;
      // node:zlib stops at the end of the deflate stream; the 4 bytes after it are the trailer.
      if (this.#inflate!.bytesWritten + 4 !== this.#fed) {
        throw new BobError('BAD_ZLIB', 'the file data does not end where its zlib stream ends');
      }
      this.#checkAdler(this.#last4);
    } else if (this.#state !== 'done') {
      throw new BobError('BAD_ZLIB', 'the zlib stream of the file is cut short');
    }
    if (this.#written !== this.#size) {
      throw new BobError(
        'BAD_PACK',
        `the file is ${this.#written} bytes, its header says ${this.#size}`,
      );
    }
  }

  destroy(): void {
    this.#inflate?.destroy();
  }

  #gather(bytes: Uint8Array, pos: number, need: number): number {
    const n = Math.min(need - this.#fill, bytes.length - pos);
    this.#head.set(bytes.subarray(pos, pos + n), this.#fill);
    this.#fill += n;
    return pos + n;
  }

  #zlibHeader(): void {
    const cmf = this.#head[0]!;
    const flg = this.#head[1]!;
    if ((cmf & 0x0f) !== 8 || cmf >> 4 > 7 || ((cmf << 8) | flg) % 31 !== 0 || flg & 0x20) {
      throw new BobError('BAD_ZLIB', 'invalid zlib data: bad zlib header');
    }
    this.#fill = 0;
    this.#state = 'block';
  }

  #storedHeader(): void {
    const h = this.#head;
    this.#final = (h[0]! & 1) === 1;
    const len = h[1]! | (h[2]! << 8);
    const nlen = h[3]! | (h[4]! << 8);
    if ((len ^ 0xffff) !== nlen) {
      throw new BobError('BAD_ZLIB', 'invalid zlib data: stored block length check failed');
    }
    this.#fill = 0;
    this.#left = len;
    this.#state = len > 0 ? 'stored' : this.#final ? 'adler' : 'block';
  }

  #checkAdler(trailer: Uint8Array): void {
    const digest = this.#adler.digest();
    for (let i = 0; i < 4; i++) {
      if (digest[i] !== trailer[i]) {
        throw new BobError('BAD_ZLIB', 'invalid zlib data: incorrect data check (Adler-32)');
      }
    }
    this.#state = 'done';
  }

  async #output(bytes: Uint8Array): Promise<void> {
    if (bytes.length === 0) return;
    this.#written += bytes.length;
    if (this.#written > this.#size) {
      throw new BobError(
        'BAD_ZLIB',
        `the file inflates to more than the ${this.#size} bytes announced`,
      );
    }
    this.#adler.update(bytes);
    this.#onOutput(bytes.length);
    if (this.#state !== 'inflate') {
      this.#tail.push(bytes);
      this.#tailBytes += bytes.length;
      while (this.#tailBytes - this.#tail[0]!.length >= WINDOW) {
        this.#tailBytes -= this.#tail.shift()!.length;
      }
    }
    // Writes made while one socket read is processed go to the file as one writev.
    if (!this.#corked) {
      this.#corked = true;
      this.#out.cork();
      process.nextTick(() => {
        this.#corked = false;
        this.#out.uncork();
      });
    }
    if (!this.#out.write(bytes)) await once(this.#out, 'drain');
  }

  #remember(bytes: Uint8Array): void {
    this.#total += bytes.length;
    if (bytes.length >= 4) this.#last4.set(bytes.subarray(bytes.length - 4));
    else {
      this.#last4.copyWithin(0, bytes.length);
      this.#last4.set(bytes, 4 - bytes.length);
    }
  }

  async #startInflate(): Promise<void> {
    this.#state = 'inflate';
    const all = Buffer.concat(this.#tail, this.#tailBytes);
    const dictionary = all.subarray(Math.max(0, all.length - WINDOW));
    this.#tail = [];
    const inflate = createInflateRaw({
      chunkSize: 1 << 20,
      ...(dictionary.length > 0 ? { dictionary } : {}),
    });
    this.#inflate = inflate;
    this.#inflating = (async () => {
      try {
        for await (const chunk of inflate) await this.#output(chunk as Buffer);
      } catch (cause) {
        this.#inflateFailure =
          cause instanceof BobError
            ? cause
            : new BobError('BAD_ZLIB', `invalid zlib data: ${(cause as Error).message}`, {
                cause,
              });
      }
    })();
  }

  async #feed(bytes: Uint8Array): Promise<void> {
    if (this.#inflateFailure) throw this.#inflateFailure;
    this.#fed += bytes.length;
    if (!this.#inflate!.write(bytes)) {
      await Promise.race([once(this.#inflate!, 'drain'), this.#inflating]);
    }
    if (this.#inflateFailure) throw this.#inflateFailure;
  }
}
