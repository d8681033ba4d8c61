import { CloseCode, checkCloseCode, truncateReason } from './close-codes.js';
import { TransportError } from './errors.js';
import type { Link, LinkCloseInfo, LinkEvents, LinkKind, RemoteInfo } from './link.js';
import type { ResolvedLinkOptions } from './options.js';

const OPEN = 0;
const CLOSING = 1;
const CLOSED = 2;

let lastId = 0;

type HandlerLists = { [E in keyof LinkEvents]: readonly LinkEvents[E][] };

/**
 * The behaviour every adapter shares: handler lists, exactly-once close, the high/low-water mark
 * bookkeeping, held messages, and isolation of handler errors. An adapter implements the
 * transport calls (`send`, `bufferedAmount`, `closeTransport`, `abortTransport`) and reports
 * what its socket does through the protected methods.
 *
 * Handler lists are copied on change, never on emit, so the hot paths (`deliver`, `send`)
 * allocate nothing of their own.
 */
export abstract class BaseLink implements Link {
  readonly id: string;
  readonly kind: LinkKind;
  readonly remote: RemoteInfo | undefined;
  protected readonly limits: ResolvedLinkOptions;
  /** `send` returned `false` and `drain` has not fired since. */
  protected congested = false;
  #state = OPEN;
  #info: LinkCloseInfo | undefined;
  #handlers: HandlerLists = { message: [], close: [], drain: [], error: [], ignored: [] };
  #held: Uint8Array[] | undefined;
  #flushScheduled = false;

  constructor(kind: LinkKind, remote: RemoteInfo | undefined, limits: ResolvedLinkOptions) {
    this.id = `${kind}-${++lastId}`;
    this.kind = kind;
    this.remote = remote;
    this.limits = limits;
  }

  get isOpen(): boolean {
    return this.#state === OPEN;
  }

  abstract get bufferedAmount(): number;
  abstract send(data: Uint8Array): boolean;
  /** Starts a graceful close (closing handshake, flush); must lead to `closed()` within the close timeout. */
  protected abstract closeTransport(code: number, reason: string): void;
  /** Cuts the connection now; must lead to `closed()`. */
  protected abstract abortTransport(): void;

  close(code: number = CloseCode.Normal, reason = ''): void {
    checkCloseCode(code);
    if (this.#state !== OPEN) return;
    const text = truncateReason(reason);
    this.#state = CLOSING;
    this.#info = { code, reason: text, local: true };
    this.closeTransport(code, text);
  }

  on<E extends keyof LinkEvents>(event: E, handler: LinkEvents[E]): () => void {
    const lists = this.#handlers as unknown as Record<keyof LinkEvents, readonly unknown[]>;
    if (!(event in lists)) {
      throw new TransportError('BAD_OPTION', `unknown link event ${JSON.stringify(event)}`);
    }
    let active = true;
    if (event === 'close' && this.#state === CLOSED) {
      const info = this.#info!;
      queueMicrotask(() => {
        if (active) this.#call('close', handler as LinkEvents['close'], info);
      });
    } else if (this.#state !== CLOSED) {
      lists[event] = [...lists[event], handler];
      if (event === 'message' && this.#held !== undefined) this.#scheduleFlush();
    }
    return () => {
      if (!active) return;
      active = false;
      lists[event] = lists[event].filter((h) => h !== handler);
    };
  }

  // ---- for adapters ---------------------------------------------------------------------------

  /** Hands one received message to the handlers (or holds it while there are none). */
  protected deliver(data: Uint8Array): void {
    if (this.#state !== OPEN) return;
    if (this.#held !== undefined || this.#handlers.message.length === 0) {
      this.#hold(data);
      return;
    }
    this.#dispatch(data);
  }

  /** Call after queueing a message: applies the high-water mark and the hard cap. */
  protected afterSend(): boolean {
    const amount = this.bufferedAmount;
    if (amount < this.limits.highWaterMark) return true;
    if (amount > this.limits.maxBufferedAmount) {
      this.abort(
        CloseCode.PolicyViolation,
        'send buffer overflow: the peer is not reading',
        new TransportError(
          'SEND_BUFFER_FULL',
          `${amount} bytes wait to be sent to a peer that does not read (maxBufferedAmount ${this.limits.maxBufferedAmount})`,
        ),
      );
      return false;
    }
    this.congested = true;
    return false;
  }

  /**
   * Whether a send of `size` more bytes should ask the socket for a completion callback: only
   * near or above the high-water mark, so that `drain` has something to fire from.
   */
  protected needsWriteCallback(size: number): boolean {
    return this.congested || this.bufferedAmount + size >= this.limits.highWaterMark;
  }

  /** Call when the socket has handed bytes to the kernel: fires `drain` when it is due. */
  protected checkDrain(): void {
    if (!this.congested || this.#state !== OPEN) return;
    if (this.bufferedAmount > this.limits.lowWaterMark) return;
    this.congested = false;
    const handlers = this.#handlers.drain;
    for (let i = 0; i < handlers.length; i++) {
      if (!this.#call('drain', handlers[i]!)) return;
    }
  }

  /** Reports an error for logs without changing the link's state. */
  protected report(error: TransportError): void {
    const handlers = this.#handlers.error;
    for (let i = 0; i < handlers.length; i++) {
      try {
        handlers[i]!(error);
      } catch {
        // An error handler that throws has nowhere left to report to.
      }
    }
  }

  /** Reports a received message that is not delivered (its size) to the `ignored` handlers. */
  protected ignore(bytes: number): void {
    if (this.#state !== OPEN) return;
    const handlers = this.#handlers.ignored;
    for (let i = 0; i < handlers.length; i++) {
      if (!this.#call('ignored', handlers[i]!, bytes)) return;
    }
  }

  /** A local failure: records the close as local, reports `error`, and closes gracefully. */
  protected fail(code: number, reason: string, error?: TransportError): void {
    if (error) this.report(error);
    if (this.#state !== OPEN) return;
    this.#state = CLOSING;
    this.#info = { code, reason, local: true };
    this.closeTransport(code, reason);
  }

  /** Like `fail`, but cuts the connection at once. */
  protected abort(code: number, reason: string, error?: TransportError): void {
    if (error) this.report(error);
    if (this.#state === CLOSED) return;
    if (this.#state === OPEN) {
      this.#state = CLOSING;
      this.#info = { code, reason, local: true };
    }
    this.abortTransport();
  }

  /** The transport is closing by itself because of a local check (ws's own limits). */
  protected failing(code: number, reason: string, error?: TransportError): void {
    if (error) this.report(error);
    if (this.#state !== OPEN) return;
    this.#state = CLOSING;
    this.#info = { code, reason, local: true };
  }

  /** The peer closed, or the connection was lost: records that (unless this side closed first). */
  protected lost(info: LinkCloseInfo, error?: TransportError): void {
    if (error) this.report(error);
    if (this.#state !== OPEN) return;
    this.#state = CLOSING;
    this.#info = info;
  }

  /** The connection is gone: emits `close` exactly once, with the recorded cause or `fallback`. */
  protected closed(fallback: LinkCloseInfo): void {
    if (this.#state === CLOSED) return;
    this.#state = CLOSED;
    const info = this.#info ?? fallback;
    this.#info = info;
    this.#held = undefined;
    this.congested = false;
    const handlers = this.#handlers.close;
    for (let i = 0; i < handlers.length; i++) this.#call('close', handlers[i]!, info);
    this.#handlers = { message: [], close: [], drain: [], error: [], ignored: [] };
  }

  // ---- private --------------------------------------------------------------------------------

  #dispatch(data: Uint8Array): void {
    const handlers = this.#handlers.message;
    for (let i = 0; i < handlers.length; i++) {
      try {
        handlers[i]!(data);
      } catch (error) {
        this.#handlerFailed('message', error);
        return;
      }
    }
  }

  #hold(data: Uint8Array): void {
    this.#held ??= [];
    // Once a handler is attached the held messages are about to be flushed: no limit then.
    if (this.#handlers.message.length === 0 && this.#held.length >= this.limits.maxHeldMessages) {
      this.fail(
        CloseCode.PolicyViolation,
        'too many messages before a message handler was attached',
        new TransportError(
          'HELD_MESSAGES_FULL',
          `${this.#held.length} messages arrived before any message handler was attached (maxHeldMessages); attach one in the link callback or right after connecting`,
        ),
      );
      return;
    }
    this.#held.push(data);
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    queueMicrotask(this.#flushHeld);
  }

  readonly #flushHeld = (): void => {
    this.#flushScheduled = false;
    const held = this.#held;
    if (held === undefined) return;
    while (held.length > 0 && this.#state === OPEN && this.#handlers.message.length > 0) {
      this.#dispatch(held.shift()!);
    }
    if (held.length === 0 && this.#held === held) this.#held = undefined;
  };

  /** Calls a handler, isolating what it throws. Returns false if it threw. */
  #call<E extends 'close' | 'drain' | 'ignored'>(
    event: E,
    handler: LinkEvents[E],
    ...args: Parameters<LinkEvents[E]>
  ): boolean {
    try {
      (handler as (...a: unknown[]) => void)(...args);
      return true;
    } catch (error) {
      this.#handlerFailed(event, error);
      return false;
    }
  }

  #handlerFailed(event: keyof LinkEvents, cause: unknown): void {
    const detail = cause instanceof Error ? cause.message : String(cause);
    this.report(
      new TransportError('HANDLER_FAILED', `a ${event} handler of ${this.id} threw: ${detail}`, {
        cause,
      }),
    );
    if (event !== 'close') this.fail(CloseCode.InternalError, 'internal error');
  }
}
