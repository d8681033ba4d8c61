import { utf8Decode } from '@peerwire/wire';
import { BobError } from './errors.js';
import { type BaseType, ObjectType } from './git-object.js';
import { type PackEvent, PackReader, type PackReaderOptions } from './pack-reader.js';
import { safeBasename } from './safe-path.js';

/** Longest single-file name accepted (the tag object), in bytes. */
export const DEFAULT_MAX_NAME_BYTES = 4096;

/** What a received PACK turns into (spec §8.4). */
export type PayloadEvent =
  /** Single file: its name, reduced to a safe basename, and its size. */
  | {
      readonly type: 'file';
      readonly name: string;
      readonly rawName: string;
      readonly size: number;
    }
  /** Single file: the next bytes of its contents. */
  | { readonly type: 'file-data'; readonly bytes: Uint8Array }
  /**
   * Single file with `deferFileData`: the next bytes of the contents' zlib stream, still
   * compressed. The caller inflates them and must check that the stream ends exactly with the
   * last of these bytes and inflates to the announced size.
   */
  | { readonly type: 'file-zlib'; readonly bytes: Uint8Array }
  /** Folder: the PACK's object count; `object`/`delta`/`data`/`object-end` events follow. */
  | { readonly type: 'folder'; readonly count: number }
  | Extract<PackEvent, { type: 'object' | 'delta' | 'data' | 'object-end' }>
  /** The trailer matched: everything received is intact. */
  | { readonly type: 'end'; readonly checksum: Uint8Array };

export interface PayloadReaderOptions extends PackReaderOptions {
  /** Longest single-file name (default {@link DEFAULT_MAX_NAME_BYTES}). */
  readonly maxNameBytes?: number;
  /** Single file: emit `file-zlib` (compressed) instead of `file-data`; see `deferLastBlob`. */
  readonly deferFileData?: boolean;
}

/**
 * Tells bob's two payloads apart by the first object (spec §8.4) and checks their shape: a tag
 * (type 4) first means a single file, which must be exactly tag + blob; anything else is a
 * folder, whose objects are passed through for assembly (`planFolder`).
 */
export class PayloadReader {
  readonly #pack: PackReader;
  readonly #maxName: number;
  readonly #deferFileData: boolean;
  #mode: 'unknown' | 'file' | 'folder' = 'unknown';
  #count = 0;
  #name: Uint8Array[] = [];
  #nameLength = 0;
  #rawName = '';

  constructor(options: PayloadReaderOptions = {}) {
    this.#deferFileData = options.deferFileData ?? false;
    this.#pack = new PackReader({ ...options, deferLastBlob: this.#deferFileData });
    this.#maxName = options.maxNameBytes ?? DEFAULT_MAX_NAME_BYTES;
  }

  /** `'file'`, `'folder'`, or `'unknown'` before the first object header. */
  get mode(): 'unknown' | 'file' | 'folder' {
    return this.#mode;
  }

  get complete(): boolean {
    return this.#pack.complete;
  }

  /** See `PackReader.trailerReached`: the whole PACK is here; call `end()`. */
  get trailerReached(): boolean {
    return this.#pack.trailerReached;
  }

  /** PACK bytes consumed. */
  get offset(): number {
    return this.#pack.offset;
  }

  push(chunk: Uint8Array): PayloadEvent[] {
    const out: PayloadEvent[] = [];
    for (const e of this.#pack.push(chunk)) this.#handle(e, out);
    return out;
  }

  /** Throws `TRUNCATED` unless the whole PACK arrived; returns the last events, if any. */
  end(): PayloadEvent[] {
    const out: PayloadEvent[] = [];
    for (const e of this.#pack.end()) this.#handle(e, out);
    return out;
  }

  #handle(e: PackEvent, out: PayloadEvent[]): void {
    switch (e.type) {
      case 'header':
        this.#count = e.count;
        if (e.count === 0) throw new BobError('BAD_PACK', 'the PACK holds no object');
        return;
      case 'object':
      case 'delta':
        if (e.index === 0) {
          if (e.type === 'object' && e.objectType === ObjectType.Tag) {
            this.#mode = 'file';
            if (this.#count !== 2) {
              throw new BobError(
                'BAD_PACK',
                `a single-file PACK holds 2 objects, not ${this.#count}`,
              );
            }
            if (e.size > this.#maxName) {
              throw new BobError(
                'LIMIT_EXCEEDED',
                `a file name of ${e.size} bytes is above the limit of ${this.#maxName}`,
              );
            }
          } else {
            this.#mode = 'folder';
            out.push({ type: 'folder', count: this.#count });
          }
        }
        if (this.#mode === 'folder') {
          out.push(e);
          return;
        }
        if (e.index === 1) {
          if (e.type !== 'object' || e.objectType !== (ObjectType.Blob as BaseType)) {
            throw new BobError(
              'BAD_PACK',
              'the second object of a single-file PACK must be a blob',
            );
          }
          out.push({
            type: 'file',
            name: safeBasename(this.#rawName),
            rawName: this.#rawName,
            size: e.size,
          });
        }
        return;
      case 'data':
        if (this.#mode === 'folder') out.push(e);
        else if (e.index === 0) {
          this.#name.push(e.bytes);
          this.#nameLength += e.bytes.length;
        } else out.push({ type: 'file-data', bytes: e.bytes });
        return;
      case 'object-end':
        if (this.#mode === 'folder') out.push(e);
        else if (e.index === 0) {
          const bytes = new Uint8Array(this.#nameLength);
          let o = 0;
          for (const part of this.#name) {
            bytes.set(part, o);
            o += part.length;
          }
          try {
            this.#rawName = utf8Decode(bytes, 0, bytes.length, 'file name');
          } catch (cause) {
            throw new BobError('UNSAFE_PATH', 'the received file name is not valid UTF-8', {
              cause,
            });
          }
          this.#name = [];
        }
        return;
      case 'raw':
        out.push({ type: 'file-zlib', bytes: e.bytes });
        return;
      case 'end':
        out.push(e);
        return;
    }
  }
}
