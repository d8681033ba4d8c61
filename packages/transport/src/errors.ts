import { PeerwireError } from '@peerwire/wire';

/** Why a transport operation failed. Callers branch on these; messages are for humans. */
export type TransportErrorCode =
  /** A connection could not be established (refused, unreachable, HTTP refusal of the upgrade). */
  | 'CONNECT_FAILED'
  /** A connection attempt took longer than its `timeoutMs`. */
  | 'TIMEOUT'
  /** The link, server or endpoint was closed before the operation could complete. */
  | 'CLOSED'
  /** A message is larger than the limit that applies to it (frame, payload or datagram). */
  | 'TOO_LARGE'
  /** TLS failed: a certificate or key that does not load, or a peer certificate that does not verify. */
  | 'TLS'
  /** The peer broke the framing or WebSocket protocol (bad frame header, text where binary is required, ...). */
  | 'PROTOCOL'
  /** The underlying socket failed after it was open (reset, broken pipe, ...). */
  | 'CONNECTION'
  /** A `message`, `drain`, `close` or `link` handler threw; the error is the `cause`. */
  | 'HANDLER_FAILED'
  /** More than `maxBufferedAmount` bytes waited to be sent: the peer does not read. */
  | 'SEND_BUFFER_FULL'
  /** Too many messages arrived before a `message` handler was attached (`maxHeldMessages`). */
  | 'HELD_MESSAGES_FULL'
  /** An option is out of range or of the wrong type; the message names it. */
  | 'BAD_OPTION'
  /** A URL that cannot be parsed or has the wrong scheme. */
  | 'BAD_URL'
  /** A close code a WebSocket may not send (outside 1000–4999, or one of the reserved 1004, 1005, 1006, 1015). */
  | 'BAD_CLOSE_CODE'
  /** A server or endpoint could not listen or bind (address in use, permission, ...). */
  | 'LISTEN_FAILED'
  /** A configured limit refused the operation (`maxLinks`, a path already served, ...). */
  | 'LIMIT'
  /** The platform lacks what the adapter needs (no global `WebSocket`, ...). */
  | 'UNSUPPORTED';

/** Every error `@peerwire/transport` throws, rejects with or reports through `error` events. */
export class TransportError extends PeerwireError {
  declare readonly code: TransportErrorCode;
  /** For `CONNECT_FAILED` caused by an HTTP answer other than 101: its status code. */
  readonly httpStatus: number | undefined;
  /** For such an answer: the start of its body (the server's reason), whitespace collapsed. */
  readonly httpBody: string | undefined;

  constructor(
    code: TransportErrorCode,
    message: string,
    options?: { cause?: unknown; httpStatus?: number; httpBody?: string },
  ) {
    super(code, message, options);
    this.httpStatus = options?.httpStatus;
    this.httpBody = options?.httpBody;
  }
}
