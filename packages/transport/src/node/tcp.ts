import { connect, createServer, type Socket } from 'node:net';
import { DecodeError, type Framer } from '@peerwire/wire';
import { CloseCode } from '../close-codes.js';
import { TransportError } from '../errors.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, type Link, type LinkOptions } from '../link.js';
import { BaseLink } from '../link-base.js';
import { intOption, type ResolvedLinkOptions, resolveLinkOptions } from '../options.js';
import { type BufferFraming, encodeToBuffer, type Framing } from './framing.js';
import { DEFAULT_MAX_LINKS } from './limits.js';
import { remoteOf } from './remote-info.js';

export interface TcpLinkOptions extends LinkOptions {
  /** Disable Nagle's algorithm (messages leave at once). Default true. */
  readonly noDelay?: boolean;
}

export interface ListenTcpOptions extends TcpLinkOptions {
  /** Default: all interfaces. */
  readonly host?: string;
  /** 0 picks a free port (see the resolved `port`). */
  readonly port: number;
  readonly framing: Framing;
  /** Most links open at once; further connections are closed at once. Default 50,000. */
  readonly maxLinks?: number;
  /** Told when `onLink` throws (that link is closed with 1011, the server carries on). */
  readonly onError?: (error: TransportError) => void;
}

export interface TcpServerHandle {
  /** Stops listening, closes every link (1001) and resolves when all are closed. */
  close(): Promise<void>;
  readonly port: number;
  readonly linkCount: number;
}

export interface ConnectTcpOptions extends TcpLinkOptions {
  readonly host: string;
  readonly port: number;
  readonly framing: Framing;
  /** Default 10 s. */
  readonly timeoutMs?: number;
}

/**
 * A `Link` over a TCP socket and a `Framing`. TCP carries no close code: `close(code, reason)`
 * reports them in the local `close` event; the peer sees the connection end (code 1000 when it
 * ended cleanly, 1006 when it broke). A frame that breaks the framing closes the link (1009 for
 * an oversized length, 1002 otherwise).
 */
class TcpLink extends BaseLink {
  readonly #socket: Socket;
  readonly #framing: Framing;
  readonly #framer: Framer;
  readonly #encode: (message: Uint8Array) => Uint8Array;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;
  #corked = false;

  constructor(socket: Socket, framing: Framing, limits: ResolvedLinkOptions, noDelay: boolean) {
    super('tcp', remoteOf(socket), limits);
    this.#socket = socket;
    this.#framing = framing;
    this.#framer = framing.createFramer();
    const builtin = (framing as Partial<BufferFraming>)[encodeToBuffer];
    this.#encode = builtin ?? ((message) => framing.encode(message));
    socket.setNoDelay(noDelay);
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
  }

  get bufferedAmount(): number {
    return this.#socket.writableLength;
  }

  send(data: Uint8Array): boolean {
    if (!this.isOpen) return false;
    const frame = this.#encode(data);
    if (!this.#corked) {
      // Sends made in the same tick leave in one writev when the tick ends.
      this.#corked = true;
      this.#socket.cork();
      process.nextTick(this.#uncork);
    }
    if (this.needsWriteCallback(frame.length)) this.#socket.write(frame, this.#onWritten);
    else this.#socket.write(frame);
    return this.afterSend();
  }

  protected closeTransport(): void {
    this.#socket.end();
    this.#closeTimer = setTimeout(this.#cut, this.limits.closeTimeoutMs);
  }

  protected abortTransport(): void {
    this.#socket.destroy();
  }

  readonly #uncork = (): void => {
    this.#corked = false;
    this.#socket.uncork();
  };

  readonly #cut = (): void => {
    this.#socket.destroy();
  };

  readonly #onWritten = (): void => {
    this.checkDrain();
  };

  readonly #onData = (chunk: Buffer): void => {
    if (!this.isOpen) return;
    let frames: Uint8Array[];
    try {
      frames = this.#framer.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
    } catch (error) {
      const tooBig = error instanceof DecodeError && error.code === 'BODY_TOO_LARGE';
      const detail = error instanceof Error ? error.message : String(error);
      this.fail(
        tooBig ? CloseCode.MessageTooBig : CloseCode.ProtocolError,
        tooBig
          ? `frame exceeds the ${this.#framing.maxFrameLength}-byte limit`
          : `bad ${this.#framing.name} frame`,
        new TransportError(tooBig ? 'TOO_LARGE' : 'PROTOCOL', `${this.id}: ${detail}`, {
          cause: error,
        }),
      );
      return;
    }
    for (let i = 0; i < frames.length; i++) this.deliver(frames[i]!);
  };

  readonly #onEnd = (): void => {
    const held = this.#framer.buffered;
    if (held === 0 || !this.isOpen) {
      this.lost({ code: CloseCode.Normal, reason: 'the peer closed the connection', local: false });
      return;
    }
    this.lost(
      {
        code: CloseCode.Abnormal,
        reason: 'the peer closed the connection inside a frame',
        local: false,
      },
      new TransportError(
        'PROTOCOL',
        `${this.id}: the connection ended inside a ${this.#framing.name} frame (${held} bytes held)`,
      ),
    );
  };

  readonly #onError = (error: Error): void => {
    this.lost(
      { code: CloseCode.Abnormal, reason: error.message, local: false },
      new TransportError('CONNECTION', `${this.id}: ${error.message}`, { cause: error }),
    );
  };

  readonly #onClose = (): void => {
    if (this.#closeTimer !== undefined) clearTimeout(this.#closeTimer);
    this.closed({ code: CloseCode.Abnormal, reason: 'connection lost', local: false });
  };
}

function report(onError: ((e: TransportError) => void) | undefined, error: TransportError): void {
  try {
    onError?.(error);
  } catch {
    // nowhere further to report
  }
}

function keepRunning(): void {}

/** Accepts TCP connections; each becomes a framed `Link` handed to `onLink`. */
export function listenTcp(
  options: ListenTcpOptions,
  onLink: (link: Link) => void,
): Promise<TcpServerHandle> {
  return new Promise<TcpServerHandle>((resolve, reject) => {
    let limits: ResolvedLinkOptions;
    let maxLinks: number;
    try {
      limits = resolveLinkOptions(options);
      maxLinks = intOption('maxLinks', options.maxLinks, DEFAULT_MAX_LINKS);
      intOption('port', options.port, 0, 0, 65535);
    } catch (error) {
      reject(error);
      return;
    }
    const { framing, onError } = options;
    const noDelay = options.noDelay ?? true;
    const links = new Set<TcpLink>();
    let closing = false;
    const server = createServer((socket) => {
      if (closing || links.size >= maxLinks) {
        socket.on('error', keepRunning);
        socket.destroy();
        return;
      }
      const link = new TcpLink(socket, framing, limits, noDelay);
      links.add(link);
      link.on('close', () => links.delete(link));
      try {
        onLink(link);
      } catch (cause) {
        report(
          onError,
          new TransportError('HANDLER_FAILED', `onLink threw for ${link.id}: ${String(cause)}`, {
            cause,
          }),
        );
        link.close(CloseCode.InternalError, 'internal error');
      }
    });
    const onListenError = (cause: Error): void => {
      reject(
        new TransportError(
          'LISTEN_FAILED',
          `cannot listen on ${options.host ?? '*'}:${options.port}: ${cause.message}`,
          { cause },
        ),
      );
    };
    server.once('error', onListenError);
    server.listen({ port: options.port, host: options.host }, () => {
      server.removeListener('error', onListenError);
      server.on('error', keepRunning); // accept errors (EMFILE, ...) must not crash the process
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : options.port;
      resolve({
        port,
        get linkCount() {
          return links.size;
        },
        async close() {
          closing = true;
          const stopped = new Promise<void>((done) => server.close(() => done()));
          await Promise.all(
            [...links].map(
              (link) =>
                new Promise<void>((done) => {
                  link.on('close', () => done());
                  link.close(CloseCode.GoingAway, 'server shutting down');
                }),
            ),
          );
          await stopped;
        },
      });
    });
  });
}

/** Connects to a TCP server and resolves with a framed `Link`. */
export function connectTcp(options: ConnectTcpOptions): Promise<Link> {
  return new Promise<Link>((resolve, reject) => {
    let limits: ResolvedLinkOptions;
    let timeoutMs: number;
    try {
      limits = resolveLinkOptions(options);
      timeoutMs = intOption('timeoutMs', options.timeoutMs, DEFAULT_CONNECT_TIMEOUT_MS);
      intOption('port', options.port, 0, 1, 65535);
    } catch (error) {
      reject(error);
      return;
    }
    const where = `${options.host}:${options.port}`;
    const socket = connect({ host: options.host, port: options.port });
    const onError = (cause: Error): void => {
      clearTimeout(timer);
      reject(
        new TransportError('CONNECT_FAILED', `cannot connect to ${where}: ${cause.message}`, {
          cause,
        }),
      );
    };
    const timer = setTimeout(() => {
      socket.removeListener('error', onError);
      socket.on('error', keepRunning);
      socket.destroy();
      reject(new TransportError('TIMEOUT', `connecting to ${where} took over ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('error', onError);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeListener('error', onError);
      resolve(new TcpLink(socket, options.framing, limits, options.noDelay ?? true));
    });
  });
}
