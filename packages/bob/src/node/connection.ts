import { connect, type OnReadOpts, type Socket } from 'node:net';
import { BobError } from '../errors.js';

/** `"host:port"` or `{ host, port }`; a bare host gets `defaultPort` (bob: 9000). */
export type Address = string | { readonly host: string; readonly port: number };

/** Parses `host`, `host:port`, `[v6]:port` or `{ host, port }`. */
export function parseAddress(
  address: Address,
  defaultPort: number,
): { host: string; port: number } {
  if (typeof address !== 'string') return { host: address.host, port: address.port };
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(address);
  if (bracket) return { host: bracket[1]!, port: bracket[2] ? Number(bracket[2]) : defaultPort };
  const colons = address.split(':').length - 1;
  if (colons === 1) {
    const [host, port] = address.split(':') as [string, string];
    if (!/^\d+$/.test(port) || Number(port) > 65535) {
      throw new BobError(
        'CONNECTION_FAILED',
        `invalid relay address ${JSON.stringify(address)}: bad port`,
      );
    }
    return { host, port: Number(port) };
  }
  return { host: address, port: defaultPort }; // a host name, IPv4, or a bare IPv6 address
}

/** Opens a TCP connection; failures become `CONNECTION_FAILED` naming the address. */
export function connectBobTcp(
  host: string,
  port: number,
  signal?: AbortSignal,
  onread?: OnReadOpts,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(aborted());
      return;
    }
    const socket = connect(onread ? { host, port, onread } : { host, port });
    const onAbort = () => {
      socket.destroy();
      reject(aborted());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => {
      signal?.removeEventListener('abort', onAbort);
      socket.setNoDelay(true);
      resolve(socket);
    });
    socket.once('error', (cause) => {
      signal?.removeEventListener('abort', onAbort);
      reject(
        new BobError(
          'CONNECTION_FAILED',
          `cannot connect to ${host}:${port}: ${(cause as Error).message}`,
          {
            cause,
          },
        ),
      );
    });
  });
}

export function aborted(): BobError {
  return new BobError('ABORTED', 'the transfer was cancelled');
}

/** Default size of the one buffer a {@link BorrowedReader} reads the socket into (256 KiB). */
export const DEFAULT_READ_BUFFER_BYTES = 256 * 1024;
/** Bytes a {@link BorrowedReader} copies aside for a busy consumer before it pauses the socket. */
export const DEFAULT_READ_QUEUE_BYTES = 1 << 20;

/** What the transfer code reads a socket through: chunks in order, with a pushback. */
export interface ChunkReader {
  readonly socket: Socket;
  /** The next chunk, or `null` at end of stream. Connection errors reject as `CONNECTION_FAILED`. */
  read(): Promise<Uint8Array | null>;
  /** Puts bytes back in front of the stream (copied when they may be overwritten). */
  unread(bytes: Uint8Array): void;
  /** Exactly `n` bytes (a copy), or `null` if the stream ends first. */
  readExactly(n: number): Promise<Uint8Array | null>;
  /** Bytes received and not read yet. */
  readonly buffered: number;
}

/**
 * Pulls chunks from a socket one at a time (backpressure: nothing is read ahead of the
 * consumer), with a pushback buffer for bytes read too early.
 */
export class SocketReader implements ChunkReader {
  readonly socket: Socket;
  readonly #iterator: AsyncIterator<Buffer>;
  #pending: Uint8Array[] = [];

  constructor(socket: Socket) {
    this.socket = socket;
    this.#iterator = socket[Symbol.asyncIterator]();
  }

  get buffered(): number {
    let n = this.socket.readableLength;
    for (const p of this.#pending) n += p.length;
    return n;
  }

  /** The next chunk, or `null` at end of stream. Connection errors reject as `CONNECTION_FAILED`. */
  async read(): Promise<Uint8Array | null> {
    const pending = this.#pending.shift();
    if (pending) return pending;
    try {
      const r = await this.#iterator.next();
      return r.done ? null : new Uint8Array(r.value.buffer, r.value.byteOffset, r.value.length);
    } catch (cause) {
      if (cause instanceof BobError) throw cause;
      throw new BobError('CONNECTION_FAILED', `the connection broke: ${(cause as Error).message}`, {
        cause,
      });
    }
  }

  /** Puts bytes back in front of the stream. */
  unread(bytes: Uint8Array): void {
    if (bytes.length > 0) this.#pending.unshift(bytes);
  }

  /** Exactly `n` bytes, or `null` if the stream ends first. */
  readExactly(n: number): Promise<Uint8Array | null> {
    return readExactly(this, n);
  }
}

/**
 * A socket read through one reused buffer (`net.connect`'s `onread`): no allocation per read,
 * and reads as large as the buffer. A chunk handed out by `read()` is a view of that buffer,
 * **valid only until the consumer next awaits**: use it (decrypt, copy) synchronously. Bytes
 * that arrive while nobody waits are copied aside, up to `queueBytes`; then the socket pauses.
 */
export class BorrowedReader implements ChunkReader {
  readonly socket: Socket;
  readonly #queueLimit: number;
  #queue: Uint8Array[] = [];
  #queued = 0;
  #paused = false;
  #waiter: { resolve(c: Uint8Array | null): void; reject(e: unknown): void } | undefined;
  #ended = false;
  #failure: BobError | undefined;

  private constructor(socket: Socket, queueBytes: number) {
    this.socket = socket;
    this.#queueLimit = queueBytes;
    socket.on('end', () => this.#finish());
    socket.on('close', () => this.#finish());
    socket.on('error', (cause: Error) => {
      this.#failure ??= new BobError(
        'CONNECTION_FAILED',
        `the connection broke: ${cause.message}`,
        {
          cause,
        },
      );
      this.#finish();
    });
  }

  /** Connects to `host:port` with a reused read buffer of `bufferBytes`. */
  static async connect(
    host: string,
    port: number,
    signal?: AbortSignal,
    options: { bufferBytes?: number; queueBytes?: number } = {},
  ): Promise<BorrowedReader> {
    let reader: BorrowedReader | undefined;
    const early: Uint8Array[] = [];
    const socket = await connectBobTcp(host, port, signal, {
      buffer: Buffer.allocUnsafe(options.bufferBytes ?? DEFAULT_READ_BUFFER_BYTES),
      callback: (n: number, buf: Uint8Array) => {
        const view = buf.subarray(0, n);
        if (reader) return reader.#arrived(view);
        early.push(new Uint8Array(view)); // before the constructor ran (not expected)
        return true;
      },
    });
    reader = new BorrowedReader(socket, options.queueBytes ?? DEFAULT_READ_QUEUE_BYTES);
    for (const c of early) reader.#arrived(c);
    return reader;
  }

  get buffered(): number {
    return this.#queued;
  }

  #arrived(view: Uint8Array): boolean {
    const waiter = this.#waiter;
    if (waiter && this.#queue.length === 0) {
      this.#waiter = undefined;
      waiter.resolve(view); // consumed before the next read callback can overwrite it
      return true;
    }
    this.#queue.push(new Uint8Array(view));
    this.#queued += view.length;
    if (this.#queued >= this.#queueLimit) {
      this.#paused = true;
      return false; // pauses the socket until read() drains the queue
    }
    return true;
  }

  #finish(): void {
    this.#ended = true;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    if (!waiter) return;
    if (this.#failure) waiter.reject(this.#failure);
    else waiter.resolve(null);
  }

  read(): Promise<Uint8Array | null> {
    const next = this.#queue.shift();
    if (next) {
      this.#queued -= next.length;
      if (this.#paused && this.#queued < this.#queueLimit / 2) {
        this.#paused = false;
        this.socket.resume();
      }
      return Promise.resolve(next);
    }
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#ended) return Promise.resolve(null);
    if (this.#waiter) return Promise.reject(new Error('BorrowedReader: one read at a time'));
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  unread(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    const copy = new Uint8Array(bytes); // it may be a view of the read buffer
    this.#queue.unshift(copy);
    this.#queued += copy.length;
  }

  readExactly(n: number): Promise<Uint8Array | null> {
    return readExactly(this, n);
  }
}

/** Exactly `n` bytes from `reader` (a copy), or `null` if the stream ends first. */
async function readExactly(reader: ChunkReader, n: number): Promise<Uint8Array | null> {
  const out = new Uint8Array(n);
  let have = 0;
  while (have < n) {
    const chunk = await reader.read();
    if (!chunk) return null;
    const need = n - have;
    if (chunk.length > need) reader.unread(chunk.subarray(need));
    const used = chunk.subarray(0, Math.min(need, chunk.length));
    out.set(used, have); // copied at once: a borrowed chunk is only valid until the next await
    have += used.length;
  }
  return out;
}

/** How long a finished peer waits for the relay to close the secure room (`drainToEnd`). */
export const CLOSE_GRACE_MS = 2000;

/**
 * Reads and discards until the other end closes, the connection fails, or `ms` pass. A socket
 * destroyed with unread bytes sends a TCP reset, and OCaml bob's relay dies of an uncaught
 * ECONNRESET; so a peer that is done waits for the relay's own close before destroying.
 */
export async function drainToEnd(reader: ChunkReader, ms = CLOSE_GRACE_MS): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<null>((r) => {
    timer = setTimeout(() => r(null), ms);
    timer.unref();
  });
  try {
    while (await Promise.race([reader.read().catch(() => null), deadline])) {}
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Default bytes a writer may queue on a socket or file before waiting for it to drain. Node's
 * own 16 KiB mark would make every 32 KiB record wait for the event loop; 1 MiB keeps the
 * pipe full while memory stays bounded.
 */
export const WRITE_WINDOW = 1 << 20;

/**
 * Writes; waits for the socket to drain once more than `window` bytes are queued (backpressure).
 * `written` is called with `bytes` once the socket no longer needs them (reuse the memory then).
 */
export async function writeAll(
  socket: Socket,
  bytes: Uint8Array,
  window = WRITE_WINDOW,
  written?: (bytes: Uint8Array) => void,
): Promise<void> {
  if (socket.destroyed) throw new BobError('CONNECTION_FAILED', 'the connection is closed');
  if (written) socket.write(bytes, (error) => (error ? undefined : written(bytes)));
  else socket.write(bytes);
  if (socket.writableLength <= window) return;
  await new Promise<void>((resolve, reject) => {
    const done = (error?: Error) => {
      socket.off('drain', onDrain);
      socket.off('close', onClose);
      socket.off('error', onError);
      if (error) reject(error);
      else resolve();
    };
    const onDrain = () => done();
    const onClose = () =>
      done(new BobError('CONNECTION_FAILED', 'the connection closed while sending'));
    const onError = (cause: Error) =>
      done(new BobError('CONNECTION_FAILED', `the connection broke: ${cause.message}`, { cause }));
    socket.on('drain', onDrain);
    socket.on('close', onClose);
    socket.on('error', onError);
  });
}

/** Latin1 bytes of an identity (one byte per character, as on the wire). */
export function identityBytes(identity: string): Uint8Array {
  return Uint8Array.from(identity, (c) => c.charCodeAt(0) & 0xff);
}
