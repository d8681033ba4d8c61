import { lstat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { toHex } from '@peerwire/wire';
import { BobClient } from '../client.js';
import { BobError } from '../errors.js';
import type { PackReaderLimits } from '../pack-reader.js';
import { type PayloadEvent, PayloadReader } from '../payload-reader.js';
import { CLOSE_RECORD, recordKeys } from '../record-format.js';
import { aborted, type ChunkReader, drainToEnd, parseAddress, writeAll } from './connection.js';
import { FileSink } from './file-sink.js';
import { FolderSink } from './folder-sink.js';
import { type HandshakeNotice, pairThroughRelay } from './handshake.js';
import type { Saved } from './payload-sink.js';
import { nodePrimitives, nodeRandom } from './primitives.js';
import { ProgressReporter } from './progress.js';
import { StreamingRecordOpener } from './record-stream.js';
import { DEFAULT_HANDSHAKE_PORT, DEFAULT_SECURE_PORT, type TransferOptions } from './send.js';
import { type StopNotice, sendStopNotice, writeStopNotice } from './stop-notice.js';

export { DEFAULT_MAX_DELTA_BASE, DEFAULT_MAX_TREE_BYTES } from './folder-sink.js';

export interface ReceiveLimits extends PackReaderLimits {
  /** Longest single-file name (default 4096 bytes). */
  readonly maxNameBytes?: number;
  /** Most files and directories a folder may create (default 1,000,000). */
  readonly maxEntries?: number;
  /** Deepest folder nesting (default 64). */
  readonly maxDepth?: number;
  /** Total size of trees and roots kept in memory (`DEFAULT_MAX_TREE_BYTES`, 64 MiB). */
  readonly maxTreeBytes?: number;
  /** Largest delta base or result loaded in memory (`DEFAULT_MAX_DELTA_BASE`, 64 MiB). */
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
  // The generic opener (record.ts, with its pure-JS AES-GCM default) loads only for others.
  const opener =
    primitives === nodePrimitives
      ? new StreamingRecordOpener(keys.receive)
      : new (await import('../record.js')).RecordOpener(keys.receive, primitives.aead);
  const limits = options.limits ?? {};
  // A single file's contents are inflated by node:zlib, off the main thread (deferFileData).
  const payload = new PayloadReader({
    sha1: primitives.sha1,
    limits,
    maxNameBytes: limits.maxNameBytes,
    deferFileData: true,
  });
  const sink = new SinkRouter({
    file: () => new FileSink(outDir, options, progress),
    folder: () => new FolderSink(outDir, options, primitives.sha1),
  });
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

/** Hands payload events to the sink the first one chose: a single file or a folder. */
class SinkRouter {
  readonly #create: { file: () => FileSink; folder: () => FolderSink };
  #sink: FileSink | FolderSink | undefined;

  constructor(create: { file: () => FileSink; folder: () => FolderSink }) {
    this.#create = create;
  }

  get kind(): ReceiveResult['kind'] | undefined {
    return this.#sink?.kind;
  }

  async handle(e: PayloadEvent): Promise<void> {
    switch (e.type) {
      case 'end':
        return;
      case 'file':
      case 'file-zlib':
      case 'file-data':
        if (e.type === 'file' && !this.#sink) this.#sink = this.#create.file();
        if (!(this.#sink instanceof FileSink)) throw misplaced(e.type);
        return this.#sink.handle(e);
      default:
        if (e.type === 'folder' && !this.#sink) this.#sink = this.#create.folder();
        if (!(this.#sink instanceof FolderSink)) throw misplaced(e.type);
        return this.#sink.handle(e);
    }
  }

  commit(): Promise<Saved> {
    if (!this.#sink) throw new BobError('TRUNCATED', 'the stream ended before any object');
    return this.#sink.commit();
  }

  async abort(): Promise<void> {
    await this.#sink?.abort();
  }
}

function misplaced(type: PayloadEvent['type']): BobError {
  return new BobError('BAD_PACK', `a ${type} event outside its kind of payload`);
}
