import { CloseCode } from './close-codes.js';
import { TransportError } from './errors.js';
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_MAX_PAYLOAD,
  type Link,
  type LinkOptions,
} from './link.js';
import { BaseLink } from './link-base.js';
import { intOption, type ResolvedLinkOptions, resolveLinkOptions } from './options.js';

/**
 * The part of the WHATWG `WebSocket` this adapter uses. A browser's `WebSocket` fits it, and so
 * does the `WebSocket` class of the `ws` package (handy in Node tests).
 */
export interface BrowserWebSocketLike {
  binaryType: string;
  readonly bufferedAmount: number;
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'error', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { readonly data: unknown }) => void): void;
  addEventListener(
    type: 'close',
    listener: (event: { readonly code: number; readonly reason: string }) => void,
  ): void;
  removeEventListener(type: 'open' | 'error', listener: () => void): void;
  removeEventListener(type: 'message', listener: (event: { readonly data: unknown }) => void): void;
  removeEventListener(
    type: 'close',
    listener: (event: { readonly code: number; readonly reason: string }) => void,
  ): void;
}

export type BrowserWebSocketConstructor = new (url: string) => BrowserWebSocketLike;

export interface BrowserWebSocketOptions extends LinkOptions {
  /** The `WebSocket` class to use. Default: `globalThis.WebSocket`. */
  readonly WebSocket?: BrowserWebSocketConstructor | undefined;
  /** How long the opening handshake may take. Default 10 s. */
  readonly timeoutMs?: number;
  /**
   * Largest message accepted, in bytes. Browsers cannot refuse a message before receiving it, so
   * this is checked on arrival; a larger one closes the link (1009). Default 1 MiB.
   */
  readonly maxPayload?: number;
  /** What a text message does: nothing (`'ignore'`, the default, as Spot requires) or close (1003). */
  readonly onTextMessage?: 'ignore' | 'close';
  /** Browsers have no `drain` event: while congested, `bufferedAmount` is polled this often. Default 20 ms. */
  readonly drainPollMs?: number;
}

/** Default `drainPollMs` of the browser adapter. */
export const DEFAULT_DRAIN_POLL_MS = 20;

const WS_OPEN = 1;

/** Close codes a browser lets a script send; any other code goes on the wire as 1000. */
function browserSendable(code: number): number {
  return code === CloseCode.Normal || (code >= 3000 && code <= 4999) ? code : CloseCode.Normal;
}

/**
 * Opens a WebSocket with the platform's (or an injected) `WebSocket` class and resolves with a
 * `Link` once it is open. `remote` is `undefined` (browsers do not expose the peer address).
 */
export function connectBrowserWebSocket(
  url: string,
  options: BrowserWebSocketOptions = {},
): Promise<Link> {
  return new Promise<Link>((resolve, reject) => {
    let limits: ResolvedLinkOptions;
    let timeoutMs: number;
    let maxPayload: number;
    let drainPollMs: number;
    try {
      limits = resolveLinkOptions(options);
      timeoutMs = intOption('timeoutMs', options.timeoutMs, DEFAULT_CONNECT_TIMEOUT_MS);
      maxPayload = intOption('maxPayload', options.maxPayload, DEFAULT_MAX_PAYLOAD);
      drainPollMs = intOption('drainPollMs', options.drainPollMs, DEFAULT_DRAIN_POLL_MS);
      checkUrl(url);
    } catch (error) {
      reject(error);
      return;
    }
    const Ctor =
      options.WebSocket ??
      (globalThis as { WebSocket?: BrowserWebSocketConstructor | undefined }).WebSocket;
    if (Ctor === undefined) {
      reject(
        new TransportError(
          'UNSUPPORTED',
          'no WebSocket class: this platform has no global WebSocket; pass one as options.WebSocket',
        ),
      );
      return;
    }
    let ws: BrowserWebSocketLike;
    try {
      ws = new Ctor(url);
      ws.binaryType = 'arraybuffer';
    } catch (cause) {
      reject(new TransportError('BAD_URL', `cannot open a WebSocket to ${url}`, { cause }));
      return;
    }

    let settled = false;
    const finish = (error?: TransportError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ws.removeEventListener('open', onOpen);
      ws.removeEventListener('close', onClose);
      if (error) {
        reject(error);
        return;
      }
      ws.removeEventListener('error', onError);
      resolve(new BrowserWebSocketLink(ws, limits, maxPayload, options.onTextMessage, drainPollMs));
    };
    const onOpen = (): void => finish();
    // Kept until the link takes over: an error event with no listener would throw in `ws`.
    const onError = (): void =>
      finish(new TransportError('CONNECT_FAILED', `WebSocket connection to ${url} failed`));
    const onClose = (event: { readonly code: number; readonly reason: string }): void =>
      finish(
        new TransportError(
          'CONNECT_FAILED',
          `WebSocket connection to ${url} closed before it opened (code ${event.code}${event.reason ? `: ${event.reason}` : ''})`,
        ),
      );
    const timer = setTimeout(() => {
      finish(
        new TransportError('TIMEOUT', `WebSocket connection to ${url} took over ${timeoutMs} ms`),
      );
      ws.close();
    }, timeoutMs);
    ws.addEventListener('open', onOpen);
    ws.addEventListener('error', onError);
    ws.addEventListener('close', onClose);
  });
}

function checkUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new TransportError('BAD_URL', `not a URL: ${JSON.stringify(url)}`, { cause });
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    throw new TransportError('BAD_URL', `a WebSocket URL starts with ws: or wss:, got ${url}`);
  }
}

class BrowserWebSocketLink extends BaseLink {
  readonly #ws: BrowserWebSocketLike;
  readonly #maxPayload: number;
  readonly #closeOnText: boolean;
  readonly #drainPollMs: number;
  #pollTimer: ReturnType<typeof setInterval> | undefined;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    ws: BrowserWebSocketLike,
    limits: ResolvedLinkOptions,
    maxPayload: number,
    onTextMessage: 'ignore' | 'close' | undefined,
    drainPollMs: number,
  ) {
    super('websocket', undefined, limits);
    this.#ws = ws;
    this.#maxPayload = maxPayload;
    this.#closeOnText = onTextMessage === 'close';
    this.#drainPollMs = drainPollMs;
    ws.addEventListener('message', this.#onMessage);
    ws.addEventListener('close', this.#onClose);
    ws.addEventListener('error', this.#onError);
  }

  get bufferedAmount(): number {
    return this.#ws.bufferedAmount;
  }

  send(data: Uint8Array): boolean {
    if (!this.isOpen || this.#ws.readyState !== WS_OPEN) return false;
    this.#ws.send(data);
    if (this.afterSend()) return true;
    if (this.congested && this.#pollTimer === undefined) {
      this.#pollTimer = setInterval(this.#poll, this.#drainPollMs);
    }
    return false;
  }

  protected closeTransport(code: number, reason: string): void {
    this.#stopPolling();
    this.#ws.close(browserSendable(code), reason);
    this.#closeTimer = setTimeout(this.#gone, this.limits.closeTimeoutMs);
  }

  protected abortTransport(): void {
    // A browser cannot cut a connection: start the close and stop listening now.
    this.#stopPolling();
    if (this.#ws.readyState === WS_OPEN) this.#ws.close(CloseCode.Normal);
    this.#gone();
  }

  readonly #poll = (): void => {
    this.checkDrain();
    if (!this.congested) this.#stopPolling();
  };

  #stopPolling(): void {
    if (this.#pollTimer !== undefined) clearInterval(this.#pollTimer);
    this.#pollTimer = undefined;
  }

  readonly #onMessage = (event: { readonly data: unknown }): void => {
    const data = event.data;
    if (typeof data === 'string') {
      if (this.#closeOnText) {
        this.fail(
          CloseCode.UnsupportedData,
          'text messages are not accepted',
          new TransportError('PROTOCOL', 'the peer sent a text message; only binary is accepted'),
        );
      } else {
        this.ignore(new TextEncoder().encode(data).length);
      }
      return;
    }
    let bytes: Uint8Array;
    if (data instanceof ArrayBuffer) bytes = new Uint8Array(data);
    else if (ArrayBuffer.isView(data))
      bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    else {
      this.fail(
        CloseCode.UnsupportedData,
        'unexpected message type',
        new TransportError('PROTOCOL', 'a message arrived as neither ArrayBuffer nor text'),
      );
      return;
    }
    if (bytes.length > this.#maxPayload) {
      this.fail(
        CloseCode.MessageTooBig,
        `message exceeds the ${this.#maxPayload}-byte limit`,
        new TransportError(
          'TOO_LARGE',
          `a ${bytes.length}-byte message exceeds maxPayload (${this.#maxPayload})`,
        ),
      );
      return;
    }
    this.deliver(bytes);
  };

  readonly #onError = (): void => {
    this.lost(
      { code: CloseCode.Abnormal, reason: 'connection error', local: false },
      new TransportError('CONNECTION', `the WebSocket of ${this.id} reported an error`),
    );
  };

  readonly #onClose = (event: { readonly code: number; readonly reason: string }): void => {
    this.#detach();
    this.closed({ code: event.code, reason: event.reason, local: false });
  };

  readonly #gone = (): void => {
    this.#detach();
    this.closed({ code: CloseCode.Abnormal, reason: 'close timed out', local: true });
  };

  #detach(): void {
    this.#stopPolling();
    if (this.#closeTimer !== undefined) clearTimeout(this.#closeTimer);
    this.#closeTimer = undefined;
    this.#ws.removeEventListener('message', this.#onMessage);
    this.#ws.removeEventListener('close', this.#onClose);
    // The error listener stays: an error event without a listener throws in some implementations.
  }
}
