import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { basename, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createDeflate, deflateSync, type ZlibOptions } from 'node:zlib';
import { bytesEqual, utf8Encode } from '@peerwire/wire';
import type { CompressionProbeOptions } from '../compression-decision.js';
import { BobError } from '../errors.js';
import { ObjectType, objectHeader } from '../git-object.js';
import { PackWriter, planFolderPack } from '../pack-writer.js';
import { generatePassword } from '../password.js';
import type { Primitives } from '../primitives.js';
import type { RecordSealer } from '../record.js';
import { recordKeys } from '../record-format.js';
import { BobServer } from '../server.js';
import { generateSecret, type RandomSource } from '../spoke.js';
import { bobZlibLevel } from '../zlib.js';
import { loadAdler32 } from './adler32.js';
import { probeFileLevel } from './compression-probe.js';
import { type Address, aborted, parseAddress, writeAll } from './connection.js';
import { scanFolder } from './folder.js';
import { type HandshakeNotice, pairThroughRelay } from './handshake.js';
import { nodePrimitives, nodeRandom } from './primitives.js';
import { type Progress, ProgressReporter } from './progress.js';
import {
  DEFAULT_RECORD_BATCH_BYTES,
  DEFAULT_SPARE_BATCHES,
  RecordBatcher,
} from './record-batcher.js';
import { noticeError, type ReceiverOutcome, watchReceiver } from './stop-notice.js';
import { type Adler32, DEFAULT_STORED_BLOCKS_PER_PIECE, storedFile } from './stored-file.js';

/** bob's ports (spec §12). */
export const DEFAULT_HANDSHAKE_PORT = 9000;
export const DEFAULT_SECURE_PORT = 9001;
/** Bytes read from a file at once, and the zlib output chunk size (1 MiB). */
const READ_CHUNK = 1 << 20;
/**
 * Bytes the sender lets queue on the socket before it waits for a drain (4 MiB): several record
 * batches, so the socket never runs dry while the next batch is sealed.
 */
const SEND_WINDOW = 2 << 20;
/** How long the sender waits for the receiver's close marker after the last byte (default 60 s). */
export const DEFAULT_FINISH_TIMEOUT_MS = 60_000;

export interface TransferOptions {
  /** The relay's handshake port: `"host:port"`, `"host"` (port 9000) or `{ host, port }`. */
  readonly relay: Address;
  /** The relay's secure port (default 9001), on the same host. */
  readonly securePort?: number;
  readonly onProgress?: (progress: Progress) => void;
  readonly signal?: AbortSignal;
  /** Crypto and hashing (default `node:crypto`). */
  readonly primitives?: Primitives;
  /** CSPRNG (default `node:crypto`). */
  readonly random?: RandomSource;
  /** Give up if no partner completes the handshake in this time (default: the relay decides). */
  readonly handshakeTimeoutMs?: number;
}

export interface SendOptions extends TransferOptions {
  /** The shared password; generated (CSPRNG, bob style) when absent and reported by `onEvent`. */
  readonly password?: string;
  /**
   * When true (default), zlib level 4 for each file whose samples compress (see
   * `compressionProbe`), stored blocks (level 0) for the others; when false
   * (`--no-compression`), level 0 for everything.
   */
  readonly compression?: boolean;
  /** How each file's samples decide whether compression pays (`DEFAULT_PROBE_SAMPLE_BYTES`, ...). */
  readonly compressionProbe?: CompressionProbeOptions;
  /** The payload's MIME type (`--mime-type`): `video/*`, `audio/*` and `image/*` are not compressed. */
  readonly mimeType?: string;
  readonly onEvent?: (event: SendEvent) => void;
  /** See {@link DEFAULT_FINISH_TIMEOUT_MS}. */
  readonly finishTimeoutMs?: number;
  /** Buffer sizes of the data path (defaults: see each constant). */
  readonly io?: {
    /** Stored blocks read per PACK piece ({@link DEFAULT_STORED_BLOCKS_PER_PIECE}). */
    readonly storedBlocksPerPiece?: number;
    /** Written record batches kept for reuse ({@link DEFAULT_SPARE_BATCHES}). */
    readonly spareBatches?: number;
  };
}

export type SendEvent =
  | { readonly type: 'password'; readonly password: string }
  /** An entry of the folder that is not sent: a symbolic link or a special file. */
  | { readonly type: 'skipped'; readonly path: string; readonly reason: 'symlink' | 'special' }
  | HandshakeNotice
  | {
      readonly type: 'sending';
      readonly kind: 'file' | 'folder';
      readonly name: string;
      readonly bytes: number;
      readonly objects: number;
    };

export interface SendResult {
  readonly password: string;
  readonly peerIdentity: string;
  readonly kind: 'file' | 'folder';
  readonly name: string;
  /** File contents sent (sum of file sizes for a folder). */
  readonly bytes: number;
  /** PACK bytes sent, trailer included. */
  readonly packBytes: number;
  /** Files sent zlib-compressed and files sent in stored blocks (the per-file decision). */
  readonly files: { readonly compressed: number; readonly stored: number };
  /**
   * Whether the receiver closed the stream properly after the last byte. bob has no
   * acknowledgement (spec §8.4): this only says the receiver did not vanish.
   */
  readonly confirmed: boolean;
}

type PackPiece = Uint8Array;

/**
 * Sends a file or a folder to the receiver that knows the password (bob's `send`): handshake
 * on the relay's handshake port, pairing in the secure room, then the PACK stream in AES-GCM
 * records. Streams from disk with backpressure: memory stays bounded whatever the size.
 */
export async function sendPath(path: string, options: SendOptions): Promise<SendResult> {
  const primitives = options.primitives ?? nodePrimitives;
  const random = options.random ?? nodeRandom;
  const level = bobZlibLevel(options);
  const signal = options.signal;
  const full = resolve(path);
  const info = await stat(full).catch((cause: unknown) => {
    throw new BobError('NOT_FOUND', `${path} does not exist`, { cause });
  });
  if (!info.isFile() && !info.isDirectory())
    throw new BobError('NOT_FOUND', `${path} is neither a file nor a folder`);
  const name = basename(full);
  const progress = new ProgressReporter(options.onProgress);
  const files = { compressed: 0, stored: 0 };
  const fileLevel = async (source: string, size: number) => {
    const chosen = await probeFileLevel(source, size, level, options.compressionProbe);
    if (chosen === 0) files.stored++;
    else files.compressed++;
    return chosen;
  };

  // Level 0: stored blocks written here, straight from disk (no zlib pass, no copy); else zlib.
  let adler32: (() => Adler32) | undefined;
  const fileStream = (
    source: string,
    size: number,
    fileLevel: number,
    hash: { update(data: Uint8Array): void } | undefined,
  ): AsyncGenerator<Uint8Array> => {
    const onRaw = (n: number) => progress.add(n);
    if (fileLevel === 0 && adler32)
      return storedFile(source, size, { onRaw, hash, signal, adler32 });
    return deflateFile(source, size, fileLevel, onRaw, hash, signal);
  };
  adler32 = await loadAdler32();

  // Like bob, prepare the payload before looking for the receiver.
  let pieces: () => AsyncGenerator<PackPiece>;
  let kind: 'file' | 'folder';
  let objects: number;
  let writer: PackWriter;
  if (info.isFile()) {
    kind = 'file';
    objects = 2;
    progress.total = info.size;
    writer = new PackWriter(2, { sha1: primitives.sha1 });
    const w = writer;
    const blobLevel = await fileLevel(full, info.size);
    pieces = async function* () {
      const nameBytes = utf8Encode(name);
      yield w.header();
      yield w.object(ObjectType.Tag, nameBytes.length);
      yield w.data(deflateSync(nameBytes, { level }));
      yield w.object(ObjectType.Blob, info.size);
      for await (const c of fileStream(full, info.size, blobLevel, undefined)) yield w.data(c);
      yield w.trailer();
    };
  } else {
    kind = 'folder';
    const scanned = await scanFolder(full, primitives.sha1, signal);
    for (const entry of scanned.skipped) options.onEvent?.({ type: 'skipped', ...entry });
    const plan = planFolderPack(name, scanned.root, { sha1: primitives.sha1 });
    objects = plan.objects.length;
    progress.total = scanned.bytes;
    writer = new PackWriter(objects, { sha1: primitives.sha1 });
    const w = writer;
    pieces = async function* () {
      yield w.header();
      for (const o of plan.objects) {
        yield w.object(o.type, o.size);
        if (o.type === 3) {
          const h = primitives.sha1();
          h.update(objectHeader(ObjectType.Blob, o.size));
          const blobLevel = await fileLevel(o.file.source, o.size);
          for await (const c of fileStream(o.file.source, o.size, blobLevel, h)) yield w.data(c);
          if (!bytesEqual(h.digest(), o.id)) {
            throw new BobError(
              'FILE_CHANGED',
              `${o.file.source} changed while the folder was being sent`,
            );
          }
        } else {
          yield w.data(deflateSync(o.content, { level }));
        }
      }
      yield w.trailer();
    };
  }

  const password = options.password ?? generatePassword(random);
  if (options.password === undefined) options.onEvent?.({ type: 'password', password });
  const secret = generateSecret(password, { salt: random(16) });
  const { host, port } = parseAddress(options.relay, DEFAULT_HANDSHAKE_PORT);
  progress.phase('handshake');
  const { result, socket, reader, release } = await pairThroughRelay(
    new BobServer({ secret, random }),
    { host, port, securePort: options.securePort ?? DEFAULT_SECURE_PORT },
    { signal, timeoutMs: options.handshakeTimeoutMs, onNotice: (n) => options.onEvent?.(n) },
  );
  // From here a Ctrl-C no longer destroys the socket at once (that could cut a record in the
  // middle): the loop stops before its next piece and ends on a record boundary with the close
  // marker (catch below). Only a socket that never drains is cut, after STOP_CUT_MS.
  release();
  const onAbort = () => setTimeout(() => socket.destroy(aborted()), STOP_CUT_MS).unref();
  signal?.addEventListener('abort', onAbort, { once: true });
  // The receiver's direction is read during the whole transfer: its close marker confirms the
  // end, and a receiver that stops early says why (stop-notice.ts).
  let outcome: ReceiverOutcome | undefined;
  const watching = watchReceiver(reader).then((o) => {
    outcome = o;
    return o;
  });
  let sealer: RecordBatcher | RecordSealer | undefined;
  /** The close marker is on its way: everything was sent. */
  let closing = false;
  try {
    const keys = recordKeys(result.sharedKeys, result.ciphers, 'sender');
    // node:crypto (the default): records sealed straight into ~1 MiB batches, one write each.
    // The generic sealer (record.ts) is loaded only for other primitives: it brings the
    // pure-JS AES-GCM default along.
    sealer =
      primitives === nodePrimitives
        ? new RecordBatcher(keys.send, DEFAULT_RECORD_BATCH_BYTES, options.io?.spareBatches)
        : new (await import('../record.js')).RecordSealer(keys.send, primitives.aead);
    options.onEvent?.({ type: 'sending', kind, name, bytes: progress.total ?? 0, objects });
    progress.phase('transfer');
    // A batch goes back to the batcher once the socket has handed it to the kernel.
    const batcher = sealer instanceof RecordBatcher ? sealer : undefined;
    const written = batcher ? (bytes: Uint8Array) => batcher.recycle(bytes) : undefined;
    const send = (bytes: Uint8Array) => writeAll(socket, bytes, SEND_WINDOW, written);
    for await (const piece of pieces()) {
      if (signal?.aborted) throw aborted();
      if (outcome?.type === 'notice') throw noticeError(outcome.notice);
      for (const bytes of sealer.write(piece)) await send(bytes);
      // Record boundaries where bob puts them: OCaml bob's receiver depends on them.
      for (const bytes of sealer.endRecord()) await send(bytes);
    }
    if (signal?.aborted) throw aborted();
    closing = true;
    for (const bytes of sealer.close()) await send(bytes);
    const finished = await Promise.race([
      watching,
      sleep(options.finishTimeoutMs ?? DEFAULT_FINISH_TIMEOUT_MS),
      new Promise<undefined>((stop) => signal?.addEventListener('abort', () => stop(undefined))),
    ]);
    if (signal?.aborted) throw aborted();
    if (finished?.type === 'notice') throw noticeError(finished.notice);
    if (finished?.type === 'broken' && finished.error instanceof BobError) throw finished.error;
    progress.phase('done');
    return {
      password,
      peerIdentity: result.peerIdentity,
      kind,
      name,
      bytes: progress.bytes,
      packBytes: writer.offset,
      files,
      confirmed: finished?.type === 'closed',
    };
  } catch (error) {
    if (signal?.aborted) {
      // Stopped here (Ctrl-C): end on a record boundary with our close marker, so the receiver
      // reads "the sender stopped", not a record cut in the middle.
      if (sealer) await endAtRecordBoundary(socket, closing ? [] : sealer.close());
      throw aborted();
    }
    if (error instanceof BobError && error.code === 'CONNECTION_FAILED') {
      // Writing failed: the receiver's direction tells whether it stopped on purpose.
      const why = await Promise.race([watching, sleep(STOP_NOTICE_WAIT_MS)]);
      if (why?.type === 'notice') throw noticeError(why.notice);
      throw new BobError(
        'INTERRUPTED',
        why?.type === 'closed'
          ? 'the receiver went away during the transfer (it stopped, or its connection was cut)'
          : `the transfer was interrupted: the connection to the receiver was cut (${error.message})`,
        { cause: error },
      );
    }
    throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    socket.destroy();
  }
}

/** How long a stopped sender waits for its last records and close marker to leave (1 s). */
const STOP_FLUSH_MS = 1000;
/** How long after a Ctrl-C a sender whose socket never drains cuts it (3 s). */
const STOP_CUT_MS = 3000;

/**
 * Writes the close marker after the whole records already queued, ends the socket and waits (at
 * most `STOP_FLUSH_MS`) for it all to leave; `socket.destroy()` alone could cut a record.
 */
async function endAtRecordBoundary(socket: Socket, last: Iterable<Uint8Array>): Promise<void> {
  if (socket.destroyed) return;
  for (const bytes of last) socket.write(bytes);
  await Promise.race([
    new Promise<void>((done) => {
      socket.once('finish', done);
      socket.once('close', done);
      socket.end();
    }),
    sleep(STOP_FLUSH_MS),
  ]);
}

/** How long a sender whose write failed waits for the receiver's stop notice (1 s). */
const STOP_NOTICE_WAIT_MS = 1000;

function sleep(ms: number): Promise<undefined> {
  return new Promise((r) => setTimeout(() => r(undefined), ms).unref());
}

/** Reads a file, exactly `size` bytes, through node:zlib (compression runs off the main thread). */
async function* deflateFile(
  path: string,
  size: number,
  level: number,
  onRaw: (n: number) => void,
  hash: { update(data: Uint8Array): void } | undefined,
  signal: AbortSignal | undefined,
): AsyncGenerator<Uint8Array> {
  if (size === 0) {
    yield deflateSync(new Uint8Array(0), { level });
    return;
  }
  let read = 0;
  // zlib works ahead of the record layer (a few chunks queue on both sides).
  const deflate = createDeflate({
    level,
    chunkSize: READ_CHUNK,
    writableHighWaterMark: 2 * READ_CHUNK,
    readableHighWaterMark: 2 * READ_CHUNK,
  } as ZlibOptions); // node:zlib passes stream options on to its Transform
  const feeding = pipeline(
    createReadStream(path, { start: 0, end: size - 1, highWaterMark: READ_CHUNK }),
    async function* (source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        if (signal?.aborted) throw aborted();
        read += chunk.length;
        hash?.update(chunk);
        onRaw(chunk.length);
        yield chunk;
      }
    },
    deflate,
  );
  feeding.catch(() => {}); // surfaced through the deflate stream below
  for await (const chunk of deflate) yield chunk as Buffer;
  await feeding;
  if (read !== size)
    throw new BobError('FILE_CHANGED', `${path} changed size while it was being sent`);
}
