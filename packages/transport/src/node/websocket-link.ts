import type { Duplex } from 'node:stream';
import WebSocket from 'ws';
import { CloseCode, checkCloseCode } from '../close-codes.js';
import { TransportError } from '../errors.js';
import type { RemoteInfo } from '../link.js';
import { BaseLink } from '../link-base.js';
import type { ResolvedLinkOptions } from '../options.js';

const WS_OPEN = 1;
/** Largest frame header `ws` adds to a binary message (2 + 8 length + 4 mask). */
const FRAME_OVERHEAD = 14;

/**
 * `ws`'s `WebSocket` with one change: when `ws` closes a connection on its own because of a
 * limit or a protocol error, it sends a close code with no reason; this subclass adds a reason
 * text naming the rule, as the Spot spec asks (§11).
 */
export class PeerwireWebSocket extends WebSocket {
  /** The size limit named in 1009 reasons; set by the link. */
  maxPayloadForReason = 0;

  override close(code?: number, data?: string | Buffer): void {
    if (code !== undefined && data === undefined)
      data = wsCloseReason(code, this.maxPayloadForReason);
    super.close(code, data);
  }
}

function wsCloseReason(code: number, maxPayload: number): string {
  switch (code) {
    case CloseCode.MessageTooBig:
      return maxPayload > 0 ? `message exceeds the ${maxPayload}-byte limit` : 'message too big';
    case CloseCode.InvalidData:
      return 'invalid UTF-8 in a text message or close reason';
    case CloseCode.PolicyViolation:
      return 'too many message fragments';
    case CloseCode.ProtocolError:
      return 'WebSocket protocol error';
    default:
      return '';
  }
}

/** Close code and error code for an error `ws` raised while reading (`WS_ERR_*`). */
function classifyWsError(code: string): [number, 'TOO_LARGE' | 'PROTOCOL'] {
  switch (code) {
    case 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH':
    case 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH':
      return [CloseCode.MessageTooBig, 'TOO_LARGE'];
    case 'WS_ERR_INVALID_UTF8':
      return [CloseCode.InvalidData, 'PROTOCOL'];
    case 'WS_ERR_TOO_MANY_BUFFERED_PARTS':
      return [CloseCode.PolicyViolation, 'PROTOCOL'];
    default:
      return [CloseCode.ProtocolError, 'PROTOCOL'];
  }
}

export interface WebSocketLinkSettings {
  readonly limits: ResolvedLinkOptions;
  readonly maxPayload: number;
  readonly closeOnText: boolean;
}

/** A `Link` over a `ws` WebSocket (server or client side). */
export class NodeWebSocketLink extends BaseLink {
  readonly #ws: PeerwireWebSocket;
  /** The socket under the WebSocket (from the upgrade), corked while a tick's sends pile up. */
  readonly #socket: Duplex;
  #corked = false;
  readonly #closeOnText: boolean;
  readonly #maxPayload: number;

  constructor(
    ws: PeerwireWebSocket,
    socket: Duplex,
    remote: RemoteInfo | undefined,
    settings: WebSocketLinkSettings,
  ) {
    super('websocket', remote, settings.limits);
    this.#ws = ws;
    this.#socket = socket;
    this.#closeOnText = settings.closeOnText;
    this.#maxPayload = settings.maxPayload;
    ws.maxPayloadForReason = settings.maxPayload;
    ws.on('message', this.#onMessage);
    ws.on('close', this.#onClose);
    ws.on('error', this.#onError);
  }

  override get isOpen(): boolean {
    return super.isOpen && this.#ws.readyState === WS_OPEN;
  }

  get bufferedAmount(): number {
    return this.#ws.bufferedAmount;
  }

  send(data: Uint8Array): boolean {
    if (!this.isOpen) return false;
    if (!this.#corked) {
      // Sends made in the same tick leave in one writev when the tick ends (ws's own
      // cork/uncork per frame nests inside this one).
      this.#corked = true;
      this.#socket.cork();
      process.nextTick(this.#uncork);
    }
    if (this.needsWriteCallback(data.length + FRAME_OVERHEAD)) this.#ws.send(data, this.#onWritten);
    else this.#ws.send(data);
    return this.afterSend();
  }

  override close(code: number = CloseCode.Normal, reason = ''): void {
    if (this.#ws.readyState !== WS_OPEN) {
      // ws is already closing (the peer's close frame arrived, or ws hit a limit): that close,
      // reported by the coming 'close' event, is the one that counts.
      checkCloseCode(code);
      return;
    }
    super.close(code, reason);
  }

  protected closeTransport(code: number, reason: string): void {
    if (this.#ws.readyState === WS_OPEN) this.#ws.close(code, reason);
  }

  protected abortTransport(): void {
    this.#ws.terminate();
  }

  readonly #uncork = (): void => {
    this.#corked = false;
    this.#socket.uncork();
  };

  readonly #onWritten = (): void => {
    this.checkDrain();
  };

  readonly #onMessage = (data: WebSocket.RawData, isBinary: boolean): void => {
    if (!isBinary) {
      if (this.#closeOnText) {
        this.fail(
          CloseCode.UnsupportedData,
          'text messages are not accepted',
          new TransportError('PROTOCOL', 'the peer sent a text message; only binary is accepted'),
        );
      } else {
        this.ignore(Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength);
      }
      return;
    }
    // binaryType is 'nodebuffer': one Buffer per message, shown as a plain Uint8Array view.
    const buf = data as Buffer;
    this.deliver(new Uint8Array(buf.buffer, buf.byteOffset, buf.length));
  };

  readonly #onError = (error: Error & { code?: string }): void => {
    const code = typeof error.code === 'string' ? error.code : '';
    if (code.startsWith('WS_ERR_')) {
      // ws has already started the close (with the reason PeerwireWebSocket adds).
      const [closeCode, errorCode] = classifyWsError(code);
      const detail =
        errorCode === 'TOO_LARGE'
          ? `a message exceeds maxPayload (${this.#maxPayload} bytes)`
          : error.message;
      this.failing(
        closeCode,
        wsCloseReason(closeCode, this.#maxPayload),
        new TransportError(errorCode, `${this.id}: ${detail}`, { cause: error }),
      );
      return;
    }
    this.lost(
      { code: CloseCode.Abnormal, reason: error.message, local: false },
      new TransportError('CONNECTION', `${this.id}: ${error.message}`, { cause: error }),
    );
  };

  readonly #onClose = (code: number, reason: Buffer): void => {
    this.closed({ code, reason: reason.toString(), local: false });
  };
}
