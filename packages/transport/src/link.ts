import type { TransportError } from './errors.js';

/** Where the other end of a link is. IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are given as IPv4. */
export interface RemoteInfo {
  readonly address: string;
  readonly port: number;
  readonly family: 'IPv4' | 'IPv6';
}

/** How a link ended. */
export interface LinkCloseInfo {
  /** WebSocket close code (1000 normal, 1001 going away, 1006 lost, 1009 too big, ...); see `CloseCode`. */
  readonly code: number;
  /** Close reason text (at most 123 UTF-8 bytes); may be empty. */
  readonly reason: string;
  /** `true` when this side closed (by `close()` or because of a local limit or failure). */
  readonly local: boolean;
}

export interface LinkEvents {
  /** One complete message: a binary WebSocket message, a framed TCP frame or a UDP datagram. */
  message: (data: Uint8Array) => void;
  /** The link is closed; fires exactly once per handler (a handler added after the close gets it in a microtask). */
  close: (info: LinkCloseInfo) => void;
  /** `bufferedAmount` fell to the low-water mark or below after `send` had returned `false`. */
  drain: () => void;
  /** What went wrong, for logs. Informational: the link closes by itself when it must. */
  error: (error: TransportError) => void;
  /**
   * A message the link received but does not deliver (a WebSocket text message under
   * `onTextMessage: 'ignore'`), with its size in bytes: the host counts it against the same
   * budgets as delivered messages, so ignored messages cannot flood past them.
   */
  ignored: (bytes: number) => void;
}

export type LinkKind = 'websocket' | 'tcp' | 'udp';

/**
 * A message-oriented connection to one peer. Every adapter (WebSocket server and client, browser
 * WebSocket, framed TCP, UDP) gives this same shape.
 */
export interface Link {
  /** Unique in the process, e.g. `websocket-17`. */
  readonly id: string;
  readonly kind: LinkKind;
  /** The peer's address; `undefined` where the platform does not tell (browsers). */
  readonly remote: RemoteInfo | undefined;
  /** `true` until `close()` is called or the connection starts to go away. */
  readonly isOpen: boolean;
  /** Bytes accepted by `send()` and not yet handed to the kernel. */
  readonly bufferedAmount: number;
  /**
   * Queues one message. Returns `false` when `bufferedAmount` is at or above the high-water mark
   * (the caller should pause until `drain`); the message is queued all the same. Sending on a
   * closed link is a no-op that returns `false`. Throws `TransportError` `TOO_LARGE` for a
   * message the transport cannot carry (frame or datagram limit).
   */
  send(data: Uint8Array): boolean;
  /**
   * Closes the link. WebSocket sends `code` and `reason` to the peer; the other kinds report them
   * in the local `close` event only. The reason is cut to 123 UTF-8 bytes. Throws
   * `TransportError` `BAD_CLOSE_CODE` for a code a WebSocket may not send. Idempotent.
   */
  close(code?: number, reason?: string): void;
  /** Adds a handler; returns a function that removes it. */
  on<E extends keyof LinkEvents>(event: E, handler: LinkEvents[E]): () => void;
}

/** Flow-control and lifetime limits every adapter accepts. */
export interface LinkOptions {
  /** `send` returns `false` once `bufferedAmount` reaches this many bytes. Default 1 MiB. */
  readonly highWaterMark?: number;
  /** `drain` fires once `bufferedAmount` falls to this many bytes or below. Default 256 KiB. */
  readonly lowWaterMark?: number;
  /**
   * Hard cap on `bufferedAmount`: a send that takes it above this aborts the link (close code
   * 1008, error `SEND_BUFFER_FULL`), so a peer that never reads cannot exhaust memory. Default 8 MiB.
   */
  readonly maxBufferedAmount?: number;
  /** How long a local close may wait for the peer (closing handshake, flush) before the connection is cut. Default 5000 ms. */
  readonly closeTimeoutMs?: number;
  /**
   * Messages held while no `message` handler is attached (they are delivered, in order, once one
   * is). Past this count the link closes with 1008 and error `HELD_MESSAGES_FULL`. Default 1024.
   */
  readonly maxHeldMessages?: number;
}

/** Default `highWaterMark`: 1 MiB, one maximum-size Spot message. */
export const DEFAULT_HIGH_WATER_MARK = 1 << 20;
/** Default `lowWaterMark`: 256 KiB. */
export const DEFAULT_LOW_WATER_MARK = 256 << 10;
/** Default `maxBufferedAmount`: 8 MiB. */
export const DEFAULT_MAX_BUFFERED_AMOUNT = 8 << 20;
/** Default `closeTimeoutMs`: 5 s. */
export const DEFAULT_CLOSE_TIMEOUT_MS = 5_000;
/** Default `maxHeldMessages`: 1024. */
export const DEFAULT_MAX_HELD_MESSAGES = 1024;
/** Default connection timeout of every `connect…` function: 10 s. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** Default largest WebSocket message accepted: 1 MiB (the Spot limit). */
export const DEFAULT_MAX_PAYLOAD = 1 << 20;
