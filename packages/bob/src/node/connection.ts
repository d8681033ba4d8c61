import { connect, type Socket } from 'node:net';
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
export function connectTcp(host: string, port: number, signal?: AbortSignal): Promise<Socket> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(aborted());
      return;
    }
    const socket = connect({ host, port });
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

/**
 * Pulls chunks from a socket one at a time (backpressure: nothing is read ahead of the
 * consumer), with a pushback buffer for bytes read too early.
 */
export class SocketReader {
  readonly socket: Socket;
  readonly #iterator: AsyncIterator<Buffer>;
  #pending: Uint8Array[] = [];

  constructor(socket: Socket) {
    this.socket = socket;
    this.#iterator = socket[Symbol.asyncIterator]();
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
  async readExactly(n: number): Promise<Uint8Array | null> {
    const parts: Uint8Array[] = [];
    let have = 0;
    while (have < n) {
      const chunk = await this.read();
      if (!chunk) return null;
      const need = n - have;
      if (chunk.length > need) {
        this.unread(chunk.subarray(need));
        parts.push(chunk.subarray(0, need));
        have = n;
      } else {
        parts.push(chunk);
        have += chunk.length;
      }
    }
    const out = new Uint8Array(n);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

/** How long a finished peer waits for the relay to close the secure room (`drainToEnd`). */
export const CLOSE_GRACE_MS = 2000;

/**
 * Reads and discards until the other end closes, the connection fails, or `ms` pass. A socket
 * destroyed with unread bytes sends a TCP reset, and OCaml bob's relay dies of an uncaught
 * ECONNRESET; so a peer that is done waits for the relay's own close before destroying.
 */
export async function drainToEnd(reader: SocketReader, ms = CLOSE_GRACE_MS): Promise<void> {
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
