import { open } from 'node:fs/promises';
import { BobError } from '../errors.js';
import { aborted } from './connection.js';

/** Largest stored deflate block (RFC 1951 §3.2.4): LEN is 16 bits. */
export const STORED_BLOCK_BYTES = 65535;
/** Stored blocks per PACK piece read at once (16: ~1 MiB per `readv`). */
export const DEFAULT_STORED_BLOCKS_PER_PIECE = 16;
/** zlib header for deflate with a 32 KiB window and FLEVEL 0 ("fastest"), as zlib writes at level 0. */
const ZLIB_STORED_HEADER = Uint8Array.of(0x78, 0x01);
const BLOCK_HEADER = 5;

/** Running Adler-32 (RFC 1950 §8.2): what the zlib trailer of a stored stream carries. */
export interface Adler32 {
  update(data: Uint8Array): void;
  /** The 4-byte big-endian checksum. */
  digest(): Uint8Array;
}

export interface StoredFileOptions {
  readonly onRaw: (n: number) => void;
  /** Also fed every content byte (a folder blob's object id). */
  readonly hash?: { update(data: Uint8Array): void };
  readonly signal?: AbortSignal;
  readonly adler32: () => Adler32;
  /** See {@link DEFAULT_STORED_BLOCKS_PER_PIECE}. */
  readonly blocksPerPiece?: number;
}

/**
 * A file as a zlib stream at level 0 (header, stored blocks, Adler-32), byte for byte what
 * `zlib.deflate` writes at level 0 for the same file, produced without zlib: each piece is read
 * from disk with one `readv` straight into the gaps between the block headers, so the contents
 * are never copied before the record layer encrypts them. Two piece buffers alternate (the next
 * one is read while the caller seals the current one); the caller must be done with a piece
 * (sealed or copied it) before it asks for the one after next.
 */
export async function* storedFile(
  path: string,
  size: number,
  options: StoredFileOptions,
): AsyncGenerator<Uint8Array> {
  const perPiece = Math.max(1, options.blocksPerPiece ?? DEFAULT_STORED_BLOCKS_PER_PIECE);
  const blocks = Math.max(1, Math.ceil(size / STORED_BLOCK_BYTES));
  const pieceBytes = Math.min(perPiece, blocks) * (BLOCK_HEADER + STORED_BLOCK_BYTES) + 2 + 4;
  const buffers = [Buffer.allocUnsafe(pieceBytes), Buffer.allocUnsafe(pieceBytes)];
  const adler = options.adler32();
  const handle = await open(path, 'r');
  try {
    let block = 0;
    let which = 0;
    /** Reads the next piece into `buffers[which]`; resolves with its length. */
    const readPiece = async (first: number, buffer: Buffer): Promise<number> => {
      const last = Math.min(blocks, first + perPiece);
      let at = first === 0 ? 2 : 0;
      if (first === 0) buffer.set(ZLIB_STORED_HEADER, 0);
      const views: Buffer[] = [];
      const starts: number[] = [];
      let expected = 0;
      for (let b = first; b < last; b++) {
        const len = Math.min(STORED_BLOCK_BYTES, size - b * STORED_BLOCK_BYTES);
        buffer[at] = b === blocks - 1 ? 1 : 0; // BFINAL on the last block; BTYPE 00 (stored)
        buffer.writeUInt16LE(len, at + 1);
        buffer.writeUInt16LE(~len & 0xffff, at + 3);
        at += BLOCK_HEADER;
        starts.push(at);
        if (len > 0) views.push(buffer.subarray(at, at + len));
        at += len;
        expected += len;
      }
      let got = 0;
      while (got < expected) {
        // A short read (rare: signals, network file systems) continues where it stopped.
        const rest = sliceViews(views, got);
        const { bytesRead } = await handle.readv(rest, first * STORED_BLOCK_BYTES + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      if (got !== expected) {
        throw new BobError('FILE_CHANGED', `${path} changed size while it was being sent`);
      }
      return at;
    };
    let pending = readPiece(0, buffers[0]!);
    while (block < blocks) {
      const buffer = buffers[which]!;
      let length = await pending;
      if (options.signal?.aborted) throw aborted();
      const first = block;
      block = Math.min(blocks, block + perPiece);
      // Contents only (skip the zlib header and the block headers) for Adler-32 and the hash.
      let at = first === 0 ? 2 : 0;
      let raw = 0;
      for (let b = first; b < block; b++) {
        const len = Math.min(STORED_BLOCK_BYTES, size - b * STORED_BLOCK_BYTES);
        at += BLOCK_HEADER;
        const data = buffer.subarray(at, at + len);
        adler.update(data);
        options.hash?.update(data);
        at += len;
        raw += len;
      }
      options.onRaw(raw);
      if (block === blocks) {
        buffer.set(adler.digest(), length);
        length += 4;
      } else {
        which ^= 1;
        pending = readPiece(block, buffers[which]!);
        pending.catch(() => {}); // awaited on the next turn
      }
      yield buffer.subarray(0, length);
    }
    const { size: now } = await handle.stat();
    if (now !== size) {
      throw new BobError('FILE_CHANGED', `${path} changed size while it was being sent`);
    }
  } finally {
    await handle.close();
  }
}

/** The views from byte `skip` of their concatenation on. */
function sliceViews(views: readonly Buffer[], skip: number): Buffer[] {
  if (skip === 0) return views as Buffer[];
  const out: Buffer[] = [];
  for (const v of views) {
    if (skip >= v.length) {
      skip -= v.length;
      continue;
    }
    out.push(skip > 0 ? v.subarray(skip) : v);
    skip = 0;
  }
  return out;
}
