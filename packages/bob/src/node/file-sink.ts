import type { WriteStream } from 'node:fs';
import { link, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { BobError } from '../errors.js';
import type { PayloadEvent } from '../payload-reader.js';
import { loadAdler32 } from './adler32.js';
import { closeStream, exists, openExclusive, partialName, writeTo } from './disk-writes.js';
import type { PayloadSink, Saved, SinkOptions } from './payload-sink.js';
import type { ProgressReporter } from './progress.js';
import { ZlibFileWriter } from './zlib-file-writer.js';

/** The events of a single-file payload. */
export type FileEvent = Extract<PayloadEvent, { type: 'file' | 'file-zlib' | 'file-data' }>;

/**
 * A single file: written under a temporary name in `outDir` (its zlib stream unwrapped or
 * inflated by `ZlibFileWriter`), then linked to its name on `commit` (never over an existing
 * file unless `force`).
 */
export class FileSink implements PayloadSink<FileEvent> {
  readonly kind = 'file';
  readonly #outDir: string;
  readonly #options: SinkOptions;
  readonly #progress: ProgressReporter;
  readonly #tmpName = partialName();
  #file: { name: string; path: string; size: number } | undefined;
  #stream: WriteStream | undefined;
  #written = 0;
  /** The file's zlib stream, unwrapped or inflated into `#stream`. */
  #zlib: ZlibFileWriter | undefined;

  constructor(outDir: string, options: SinkOptions, progress: ProgressReporter) {
    this.#outDir = outDir;
    this.#options = options;
    this.#progress = progress;
  }

  async handle(e: FileEvent): Promise<void> {
    switch (e.type) {
      case 'file': {
        const path = join(this.#outDir, e.name);
        if (!this.#options.force && (await exists(path))) {
          throw new BobError('FILE_EXISTS', `${path} already exists (use force to replace it)`);
        }
        this.#file = { name: e.name, path, size: e.size };
        this.#progress.total = e.size;
        this.#options.onEvent?.({
          type: 'file',
          name: e.name,
          rawName: e.rawName,
          size: e.size,
          path,
        });
        this.#stream = await openExclusive(join(this.#outDir, this.#tmpName));
        this.#zlib = new ZlibFileWriter(this.#stream, e.size, await loadAdler32(), (n) =>
          this.#progress.add(n),
        );
        return;
      }
      case 'file-zlib':
        await this.#zlib!.push(e.bytes);
        return;
      case 'file-data':
        await writeTo(this.#stream!, e.bytes);
        this.#written += e.bytes.length;
        this.#progress.add(e.bytes.length);
        return;
    }
  }

  async commit(): Promise<Saved> {
    const f = this.#file!;
    if (this.#zlib) {
      await this.#zlib.end();
      this.#written = this.#zlib.written;
    }
    await closeStream(this.#stream!);
    this.#stream = undefined;
    if (this.#written !== f.size) {
      throw new BobError(
        'BAD_PACK',
        `the file is ${this.#written} bytes, its header says ${f.size}`,
      );
    }
    const tmp = join(this.#outDir, this.#tmpName);
    if (this.#options.force) {
      await rename(tmp, f.path);
    } else {
      // link() refuses to replace an existing name: no overwrite even if one appeared meanwhile.
      try {
        await link(tmp, f.path);
      } catch (cause) {
        if ((cause as NodeJS.ErrnoException).code === 'EEXIST') {
          throw new BobError('FILE_EXISTS', `${f.path} already exists (use force to replace it)`, {
            cause,
          });
        }
        if (await exists(f.path))
          throw new BobError('FILE_EXISTS', `${f.path} already exists`, { cause });
        await rename(tmp, f.path); // file systems without hard links
      }
      await unlink(tmp).catch(() => {});
    }
    return { kind: 'file', name: f.name, path: f.path, bytes: this.#written, files: 1 };
  }

  async abort(): Promise<void> {
    this.#zlib?.destroy();
    this.#stream?.destroy();
    this.#stream = undefined;
    await rm(join(this.#outDir, this.#tmpName), { force: true });
  }
}
