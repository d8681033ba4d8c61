import {
  Deflate,
  deflate,
  Z_BUF_ERROR,
  Z_NO_FLUSH,
  Z_OK,
  Z_STREAM_END,
  ZStream,
  zlibInflate,
  zlibInflateEnd,
  zlibInflateInit,
} from 'pako';
import { BobError } from './errors.js';

/** Size of each output block an inflater produces. */
export const INFLATE_BLOCK = 64 * 1024;

/** What `ZlibInflater.push` produced from one input chunk. */
export interface InflateStep {
  /** Decompressed blocks (fresh memory, safe to keep). */
  readonly output: Uint8Array[];
  /** Input bytes consumed from this chunk. */
  readonly consumed: number;
  /** Whether the zlib stream ended (the rest of the chunk belongs to what follows it). */
  readonly done: boolean;
}

/**
 * A streaming RFC 1950 (zlib) decompressor that knows exactly where its stream ends, which a
 * PACK reader needs: objects are concatenated zlib streams without lengths. Built on pako's
 * low-level API (pure JS, browser-safe).
 */
export class ZlibInflater {
  readonly #strm = new ZStream();
  #done = false;
  #total = 0;
  readonly #scratch = new Uint8Array(INFLATE_BLOCK);

  constructor() {
    const status = zlibInflateInit(this.#strm);
    if (status !== Z_OK) throw new BobError('BAD_ZLIB', `zlib init failed (${status})`);
  }

  /** Decompressed bytes so far. */
  get totalOut(): number {
    return this.#total;
  }

  get done(): boolean {
    return this.#done;
  }

  /**
   * Feeds input. `maxOutput` bounds what may still come out (the object's announced size):
   * exceeding it throws `BAD_ZLIB` before the extra bytes are kept.
   */
  push(input: Uint8Array, maxOutput = Number.POSITIVE_INFINITY): InflateStep {
    if (this.#done) return { output: [], consumed: 0, done: true };
    const strm = this.#strm;
    strm.input = input;
    strm.next_in = 0;
    strm.avail_in = input.length;
    const output: Uint8Array[] = [];
    for (;;) {
      const room = Math.max(1, Math.min(INFLATE_BLOCK, maxOutput - this.#total + 1));
      const block = this.#scratch;
      strm.output = block;
      strm.next_out = 0;
      strm.avail_out = room;
      const status = zlibInflate(strm, Z_NO_FLUSH);
      const produced = room - strm.avail_out;
      if (produced > 0) {
        this.#total += produced;
        if (this.#total > maxOutput) {
          this.#fail();
          throw new BobError(
            'BAD_ZLIB',
            `zlib stream inflates to more than the ${maxOutput} bytes announced`,
          );
        }
        output.push(block.slice(0, produced));
      }
      if (status === Z_STREAM_END) {
        this.#done = true;
        zlibInflateEnd(strm);
        return { output, consumed: strm.next_in, done: true };
      }
      if (status !== Z_OK && status !== Z_BUF_ERROR) {
        this.#fail();
        throw new BobError('BAD_ZLIB', `invalid zlib data: ${strm.msg || `status ${status}`}`);
      }
      if (strm.avail_out > 0 && strm.avail_in === 0) {
        return { output, consumed: input.length, done: false };
      }
      if (status === Z_BUF_ERROR && strm.avail_out > 0) {
        // No progress possible with output room left: needs more input.
        return { output, consumed: strm.next_in, done: false };
      }
    }
  }

  #fail(): void {
    this.#done = true;
    zlibInflateEnd(this.#strm);
  }
}

/** zlib level bob uses: 4 with compression, 0 without (spec §8.1). */
export const BOB_ZLIB_LEVEL = 4;

/**
 * The zlib level bob uses for a payload (spec §8.1): 0 without compression or for a
 * `video/*`, `audio/*` or `image/*` MIME type (already compressed), {@link BOB_ZLIB_LEVEL}
 * otherwise.
 */
export function bobZlibLevel(options: { compression?: boolean; mimeType?: string } = {}): number {
  if (options.compression === false) return 0;
  const kind = options.mimeType?.split('/', 1)[0]?.trim().toLowerCase();
  return kind === 'video' || kind === 'audio' || kind === 'image' ? 0 : BOB_ZLIB_LEVEL;
}

/** One-shot zlib compression (small objects: names, trees). */
export function zlibDeflate(data: Uint8Array, level: number = BOB_ZLIB_LEVEL): Uint8Array {
  return deflate(data, { level });
}

/** Streaming zlib compression (pure JS). */
export class ZlibDeflater {
  readonly #deflate: Deflate;
  #chunks: Uint8Array[] = [];

  constructor(level: number = BOB_ZLIB_LEVEL) {
    this.#deflate = new Deflate({ level });
    this.#deflate.onData = (chunk: Uint8Array) => {
      this.#chunks.push(chunk);
    };
  }

  /** Compresses `data`; with `final`, ends the stream. Returns the compressed bytes produced. */
  push(data: Uint8Array, final = false): Uint8Array[] {
    if (!this.#deflate.push(data, final)) {
      throw new BobError('BAD_ZLIB', `zlib compression failed: ${this.#deflate.msg}`);
    }
    const out = this.#chunks;
    this.#chunks = [];
    return out;
  }
}
