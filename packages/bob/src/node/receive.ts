import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import {
  copyFile,
  link,
  lstat,
  mkdir,
  readFile,
  rename,
  rm,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { toHex } from '@peerwire/wire';
import { BobClient } from '../client.js';
import { applyDelta } from '../delta.js';
import { BobError } from '../errors.js';
import {
  DEFAULT_MAX_FOLDER_DEPTH,
  DEFAULT_MAX_FOLDER_ENTRIES,
  type FolderPlan,
  planFolder,
  type ReceivedObject,
} from '../folder-plan.js';
import { type BaseType, decodeRoot, idHex, ObjectType, objectId } from '../git-object.js';
import { DEFAULT_MAX_DELTA_SIZE, type PackReaderLimits } from '../pack-reader.js';
import { type PayloadEvent, PayloadReader } from '../payload-reader.js';
import type { Primitives } from '../primitives.js';
import { CLOSE_RECORD, RecordOpener, recordKeys } from '../record.js';
import { safeBasename } from '../safe-path.js';
import { loadAdler32 } from './adler32.js';
import {
  aborted,
  type ChunkReader,
  drainToEnd,
  parseAddress,
  WRITE_WINDOW,
  writeAll,
} from './connection.js';
import { type HandshakeNotice, pairThroughRelay } from './handshake.js';
import { nodePrimitives, nodeRandom } from './primitives.js';
import { ProgressReporter } from './progress.js';
import { StreamingRecordOpener } from './record-stream.js';
import { DEFAULT_HANDSHAKE_PORT, DEFAULT_SECURE_PORT, type TransferOptions } from './send.js';
import { type StopNotice, sendStopNotice, writeStopNotice } from './stop-notice.js';
import { ZlibFileWriter } from './zlib-file-writer.js';

/** Default cap on the trees and roots of a received folder, held in memory (64 MiB). */
export const DEFAULT_MAX_TREE_BYTES = 64 * 1024 * 1024;
/** Default cap on a delta base loaded in memory to apply a delta (64 MiB). */
export const DEFAULT_MAX_DELTA_BASE = 64 * 1024 * 1024;

export interface ReceiveLimits extends PackReaderLimits {
  /** Longest single-file name (default 4096 bytes). */
  readonly maxNameBytes?: number;
  /** Most files and directories a folder may create (default 1,000,000). */
  readonly maxEntries?: number;
  /** Deepest folder nesting (default 64). */
  readonly maxDepth?: number;
  /** Total size of trees and roots kept in memory ({@link DEFAULT_MAX_TREE_BYTES}). */
  readonly maxTreeBytes?: number;
  /** Largest delta base or result loaded in memory ({@link DEFAULT_MAX_DELTA_BASE}). */
  readonly maxDeltaBase?: number;
}

export interface ReceiveOptions extends TransferOptions {
  /** Where to save (default: the working directory). The name comes from the sender, made safe. */
  readonly outDir?: string;
  /** Replace an existing file, or merge into an existing folder. Without it, `FILE_EXISTS`. */
  readonly force?: boolean;
  /** Asked once per sender that knows the password ("Accept from <identity> [Y/n]"); default yes. */
  readonly accept?: (identity: string) => Promise<boolean> | boolean;
  readonly onEvent?: (event: ReceiveEvent) => void;
  /** Wait after every sender rejected the password before `WRONG_PASSWORD` (default 3 s). */
  readonly wrongPasswordGraceMs?: number;
  readonly limits?: ReceiveLimits;
  /** Buffer sizes of the data path (defaults: see each constant). */
  readonly io?: {
    /** The secure room's reused read buffer (`DEFAULT_READ_BUFFER_BYTES`, 256 KiB). */
    readonly readBufferBytes?: number;
    /** Bytes queued for a busy receiver before the socket pauses (`DEFAULT_READ_QUEUE_BYTES`, 1 MiB). */
    readonly readQueueBytes?: number;
  };
}

export type ReceiveEvent =
  | HandshakeNotice
  | {
      readonly type: 'file';
      readonly name: string;
      readonly rawName: string;
      readonly size: number;
      readonly path: string;
    }
  | { readonly type: 'folder'; readonly objects: number };

export interface ReceiveResult {
  readonly kind: 'file' | 'folder';
  /** The saved name (the sender's, reduced to a safe basename). */
  readonly name: string;
  /** Absolute path of what was written. */
  readonly path: string;
  /** File contents written (all files for a folder). */
  readonly bytes: number;
  /** Files written (1 for a single file). */
  readonly files: number;
  readonly peerIdentity: string;
  /** The verified PACK checksum (hex). */
  readonly checksum: string;
}

/**
 * Receives what the sender with the same password sends (bob's `recv`). Everything is written
 * under temporary names in `outDir` first and moved into place only once the SHA-1 trailer has
 * been checked: a tampered, truncated or hostile stream leaves nothing that looks complete.
 */
export async function receive(password: string, options: ReceiveOptions): Promise<ReceiveResult> {
  const primitives = options.primitives ?? nodePrimitives;
  const random = options.random ?? nodeRandom;
  const signal = options.signal;
  const outDir = resolve(options.outDir ?? '.');
  const outInfo = await lstat(outDir).catch(() => undefined);
  if (!outInfo?.isDirectory())
    throw new BobError('NOT_FOUND', `the output directory ${outDir} does not exist`);
  const progress = new ProgressReporter(options.onProgress);
  const { host, port } = parseAddress(options.relay, DEFAULT_HANDSHAKE_PORT);

  progress.phase('handshake');
  const { result, socket, reader, release } = await pairThroughRelay(
    new BobClient({ password, random }),
    { host, port, securePort: options.securePort ?? DEFAULT_SECURE_PORT },
    {
      signal,
      accept: options.accept,
      wrongPasswordGraceMs: options.wrongPasswordGraceMs,
      timeoutMs: options.handshakeTimeoutMs,
      onNotice: (n) => options.onEvent?.(n),
      // StreamingRecordOpener decrypts each chunk at once: reads can reuse one buffer.
      borrowReads:
        primitives === nodePrimitives
          ? { bufferBytes: options.io?.readBufferBytes, queueBytes: options.io?.readQueueBytes }
          : undefined,
    },
  );
  const keys = recordKeys(result.sharedKeys, result.ciphers, 'receiver');
  // node:crypto (the default): records decrypted as they stream in, without joining copies.
  const opener =
    primitives === nodePrimitives
      ? new StreamingRecordOpener(keys.receive)
      : new RecordOpener(keys.receive, primitives.aead);
  const limits = options.limits ?? {};
  // A single file's contents are inflated by node:zlib, off the main thread (deferFileData).
  const payload = new PayloadReader({
    sha1: primitives.sha1,
    limits,
    maxNameBytes: limits.maxNameBytes,
    deferFileData: true,
  });
  const sink = new Sink(outDir, options, primitives, progress);
  let checksum = '';
  let closed = false;
  // From here a Ctrl-C first tells the sender (stop-notice.ts); the relay then closes both sides.
  release();
  const onAbort = () => {
    writeStopNotice(socket, { kind: 'stopped', text: 'the receiver stopped the transfer' });
    setTimeout(() => socket.destroy(aborted()), STOP_GRACE_MS).unref();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    progress.phase('transfer');
    while (!closed) {
      if (signal?.aborted) await stopAfterNotice(reader);
      const chunk = await reader.read();
      if (chunk === null) {
        opener.end();
        break;
      }
      for (const e of opener.push(chunk)) {
        if (e.type === 'close') {
          closed = true;
          break;
        }
        for (const pe of payload.push(e.bytes)) {
          if (pe.type === 'end') checksum = toHex(pe.checksum);
          await sink.handle(pe);
        }
        if (sink.kind === 'folder') progress.add(payload.offset - progress.bytes);
      }
      // bob's sender sends no close marker: after the trailer it waits for the receiver to hang
      // up (spec §8.4). So stop as soon as the whole PACK is here. Checked only when nothing
      // more is buffered (the check may hash): a sender that is still sending is not done.
      if (!closed && reader.buffered === 0 && payload.trailerReached) break;
    }
    // Stopped here even if everything arrived meanwhile: nothing is saved.
    if (signal?.aborted) await stopAfterNotice(reader);
    // TRUNCATED unless the whole PACK arrived; for a single file, this checks the trailer.
    let last: PayloadEvent[];
    try {
      last = payload.end();
    } catch (error) {
      if (!closed && error instanceof BobError && error.code === 'CHECKSUM_MISMATCH') {
        // No close marker: the connection was cut, the data is not corrupted.
        throw new BobError('TRUNCATED', 'the connection ended before the whole file arrived', {
          cause: error,
        });
      }
      throw error;
    }
    for (const pe of last) {
      if (pe.type === 'end') checksum = toHex(pe.checksum);
      await sink.handle(pe);
    }
    const saved = await sink.commit();
    // Answer the close marker, as bob does; the relay then closes both sides.
    await writeAll(socket, CLOSE_RECORD).catch(() => {});
    socket.end();
    await drainToEnd(reader);
    progress.phase('done');
    return { ...saved, peerIdentity: result.peerIdentity, checksum };
  } catch (caught) {
    await sink.abort();
    if (signal?.aborted) throw aborted();
    let error = caught;
    if (closed && !payload.trailerReached && error instanceof BobError) {
      // A close marker before the PACK trailer: the sender stopped (its Ctrl-C, or the relay's
      // marker when the sender went away). Whatever failed after it (the trailer check, a cut
      // zlib stream) is that, not tampering: every record that arrived authenticated.
      error = new BobError(
        'PEER_STOPPED',
        'the sender stopped the transfer before everything arrived',
        { cause: error },
      );
    }
    // Tell the sender why we stop, unless it stopped or the connection is gone.
    const notice = stopNoticeFor(error);
    if (notice) await sendStopNotice(socket, reader, notice);
    throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    socket.destroy();
  }
}

/** After our stop notice: read nothing more into the file, let the relay close, then stop. */
async function stopAfterNotice(reader: ChunkReader): Promise<never> {
  await drainToEnd(reader, STOP_GRACE_MS).catch(() => {});
  throw aborted();
}

/** How long a receiver stopped by Ctrl-C waits for the relay to close before cutting (1 s). */
const STOP_GRACE_MS = 1000;

/** What to tell the sender when this receiver stops early (nothing when the sender stopped). */
function stopNoticeFor(error: unknown): StopNotice | undefined {
  if (!(error instanceof BobError)) return { kind: 'refused', text: 'the receiver failed' };
  switch (error.code) {
    case 'PEER_STOPPED':
    case 'TRUNCATED':
    case 'CONNECTION_FAILED':
      return undefined;
    case 'FILE_EXISTS':
      return { kind: 'refused', text: 'the file already exists there' };
    default:
      return { kind: 'refused', text: `the data was rejected (${error.code})` };
  }
}

interface StoredObject {
  type: BaseType;
  size: number;
  id?: Uint8Array;
  /** Blobs (and delta data) live in files; roots, trees and tags in memory. */
  file?: string;
  parts?: Uint8Array[];
  content?: Uint8Array;
  baseOffset?: number;
  delta?: boolean;
}

/** Writes what the PACK carries to temporary places, then moves it into place on `commit`. */
class Sink {
  readonly #outDir: string;
  readonly #options: ReceiveOptions;
  readonly #primitives: Primitives;
  readonly #progress: ProgressReporter;
  readonly #tmpName = `.bob-partial-${randomBytes(6).toString('hex')}`;
  kind: 'file' | 'folder' | undefined;
  // single file
  #file: { name: string; path: string; size: number } | undefined;
  #stream: WriteStream | undefined;
  #written = 0;
  /** The single file's zlib stream, unwrapped or inflated into `#stream`. */
  #zlib: ZlibFileWriter | undefined;
  // folder
  readonly #objects = new Map<number, StoredObject>();
  #current: StoredObject | undefined;
  #treeBytes = 0;
  #tmpDir: string | undefined;

  constructor(
    outDir: string,
    options: ReceiveOptions,
    primitives: Primitives,
    progress: ProgressReporter,
  ) {
    this.#outDir = outDir;
    this.#options = options;
    this.#primitives = primitives;
    this.#progress = progress;
  }

  async handle(e: PayloadEvent): Promise<void> {
    switch (e.type) {
      case 'file': {
        this.kind = 'file';
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
      case 'folder':
        this.kind = 'folder';
        this.#tmpDir = join(this.#outDir, this.#tmpName);
        await mkdir(this.#tmpDir);
        this.#options.onEvent?.({ type: 'folder', objects: e.count });
        return;
      case 'object':
      case 'delta': {
        const stored: StoredObject =
          e.type === 'delta'
            ? { type: ObjectType.Blob, size: e.size, baseOffset: e.baseOffset, delta: true }
            : { type: e.objectType, size: e.size };
        if (e.type === 'delta' || e.objectType === ObjectType.Blob) {
          stored.file = join(this.#tmpDir!, String(e.offset));
          this.#stream = await openExclusive(stored.file);
        } else {
          this.#treeBytes += e.size;
          const max = this.#options.limits?.maxTreeBytes ?? DEFAULT_MAX_TREE_BYTES;
          if (this.#treeBytes > max) {
            throw new BobError('LIMIT_EXCEEDED', `the folder's trees exceed ${max} bytes`);
          }
          stored.parts = [];
        }
        this.#objects.set(e.offset, stored);
        this.#current = stored;
        return;
      }
      case 'data':
        if (this.#current?.parts) this.#current.parts.push(e.bytes);
        else await writeTo(this.#stream!, e.bytes);
        return;
      case 'object-end': {
        const o = this.#current!;
        if (o.parts) o.content = concat(o.parts, o.size);
        o.parts = undefined;
        if (e.id) o.id = e.id;
        if (o.type === ObjectType.Commit && o.content) await this.#checkFolderName(o.content);
        if (o.file) {
          await closeStream(this.#stream!);
          this.#stream = undefined;
        }
        return;
      }
      case 'end':
        return;
    }
  }

  /**
   * Refuses an existing destination as soon as the root names it, rather than after the whole
   * folder has arrived. (A malformed root is reported by `planFolder` at the end.)
   */
  async #checkFolderName(rootContent: Uint8Array): Promise<void> {
    if (this.#options.force) return;
    let name: string;
    try {
      name = safeBasename(decodeRoot(rootContent).name);
    } catch {
      return;
    }
    const dest = join(this.#outDir, name);
    if (await exists(dest)) {
      throw new BobError('FILE_EXISTS', `${dest} already exists (use force to merge into it)`);
    }
  }

  async commit(): Promise<Omit<ReceiveResult, 'peerIdentity' | 'checksum'>> {
    if (this.kind === 'file') return this.#commitFile();
    if (this.kind === 'folder') return this.#commitFolder();
    throw new BobError('TRUNCATED', 'the stream ended before any object');
  }

  async #commitFile(): Promise<Omit<ReceiveResult, 'peerIdentity' | 'checksum'>> {
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

  async #commitFolder(): Promise<Omit<ReceiveResult, 'peerIdentity' | 'checksum'>> {
    const sha1 = this.#primitives.sha1;
    const maxBase = this.#options.limits?.maxDeltaBase ?? DEFAULT_MAX_DELTA_BASE;
    const maxDelta = this.#options.limits?.maxDeltaSize ?? DEFAULT_MAX_DELTA_SIZE;
    // Resolve deltas in stream order: a base always comes before its deltas.
    for (const o of this.#objects.values()) {
      if (!o.delta) continue;
      const base = this.#objects.get(o.baseOffset!)!;
      if (base.size > maxBase) {
        throw new BobError(
          'LIMIT_EXCEEDED',
          `a delta base of ${base.size} bytes is above the limit of ${maxBase}`,
        );
      }
      const baseContent = base.content ?? new Uint8Array(await readFile(base.file!));
      const deltaData = new Uint8Array(await readFile(o.file!));
      if (deltaData.length > maxDelta) throw new BobError('LIMIT_EXCEEDED', 'delta too large');
      const out = applyDelta(baseContent, deltaData, maxBase);
      o.type = base.type;
      o.size = out.length;
      o.delta = false;
      o.id = objectId(o.type, out, sha1);
      if (o.type === ObjectType.Blob) {
        await writeFile(o.file!, out);
      } else {
        await unlink(o.file!);
        o.file = undefined;
        o.content = out;
      }
    }
    const objects = new Map<string, ReceivedObject>();
    const blobFiles = new Map<string, string>();
    for (const o of this.#objects.values()) {
      const id = idHex(o.id!);
      objects.set(
        id,
        o.type === ObjectType.Blob ? { type: o.type } : { type: o.type, content: o.content! },
      );
      if (o.type === ObjectType.Blob && !blobFiles.has(id)) blobFiles.set(id, o.file!);
    }
    const plan = planFolder(objects, {
      maxEntries: this.#options.limits?.maxEntries ?? DEFAULT_MAX_FOLDER_ENTRIES,
      maxDepth: this.#options.limits?.maxDepth ?? DEFAULT_MAX_FOLDER_DEPTH,
    });
    const dest = join(this.#outDir, plan.name);
    const destExists = await exists(dest);
    if (destExists && !this.#options.force) {
      throw new BobError('FILE_EXISTS', `${dest} already exists (use force to merge into it)`);
    }
    // Assemble inside the temporary directory, then move into place.
    const staging = destExists ? dest : join(this.#tmpDir!, 'tree');
    if (!destExists) await mkdir(staging);
    else await refuseSymlink(dest);
    const bytes = await this.#place(plan, staging, blobFiles);
    if (!destExists) await rename(staging, dest);
    await rm(this.#tmpDir!, { recursive: true, force: true });
    this.#tmpDir = undefined;
    return { kind: 'folder', name: plan.name, path: dest, bytes, files: plan.files.length };
  }

  async #place(plan: FolderPlan, root: string, blobFiles: Map<string, string>): Promise<number> {
    const inside = (rel: string) => {
      const p = resolve(root, ...rel.split('/'));
      if (!p.startsWith(root + sep))
        throw new BobError('UNSAFE_PATH', `${rel} would escape the folder`);
      return p;
    };
    for (const d of plan.directories) {
      const p = inside(d);
      if (await exists(p)) await refuseSymlink(p);
      else await mkdir(p);
    }
    const uses = new Map<string, number>();
    for (const f of plan.files) uses.set(f.id, (uses.get(f.id) ?? 0) + 1);
    let bytes = 0;
    for (const f of plan.files) {
      const target = inside(f.path);
      if (await exists(target)) await refuseSymlink(target);
      const source = blobFiles.get(f.id)!;
      const left = uses.get(f.id)! - 1;
      uses.set(f.id, left);
      if (left === 0) await rename(source, target);
      else await copyFile(source, target);
      bytes += (await lstat(target)).size;
    }
    return bytes;
  }

  async abort(): Promise<void> {
    this.#zlib?.destroy();
    this.#stream?.destroy();
    this.#stream = undefined;
    if (this.kind === 'file') await rm(join(this.#outDir, this.#tmpName), { force: true });
    if (this.#tmpDir) await rm(this.#tmpDir, { recursive: true, force: true });
  }
}

async function exists(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => undefined)) !== undefined;
}

async function refuseSymlink(path: string): Promise<void> {
  if ((await lstat(path)).isSymbolicLink()) {
    throw new BobError('UNSAFE_PATH', `${path} is a symbolic link: refusing to write through it`);
  }
}

function concat(parts: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function openExclusive(path: string): Promise<WriteStream> {
  return new Promise((resolvePromise, reject) => {
    const ws = createWriteStream(path, { flags: 'wx', highWaterMark: WRITE_WINDOW });
    ws.once('open', () => resolvePromise(ws));
    ws.once('error', reject);
  });
}

function writeTo(ws: WriteStream, bytes: Uint8Array): Promise<void> {
  if (ws.write(bytes)) return Promise.resolve();
  return new Promise((resolvePromise, reject) => {
    const onDrain = () => {
      ws.off('error', onError);
      resolvePromise();
    };
    const onError = (e: Error) => {
      ws.off('drain', onDrain);
      reject(e);
    };
    ws.once('drain', onDrain);
    ws.once('error', onError);
  });
}

function closeStream(ws: WriteStream): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    ws.once('error', reject);
    ws.end(() => resolvePromise());
  });
}
