import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type WebSocket from 'ws';
import { TransportError } from '../errors.js';
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_MAX_PAYLOAD,
  type Link,
  type LinkOptions,
  type RemoteInfo,
} from '../link.js';
import { intOption, resolveLinkOptions } from '../options.js';
import { remoteOf } from './remote-info.js';
import {
  NodeWebSocketLink,
  PeerwireWebSocket,
  type WebSocketLinkSettings,
} from './websocket-link.js';

/** Longest part of an HTTP refusal's body kept in the error message (characters). */
export const REFUSAL_TEXT_MAX = 200;
/** How long the client waits for an HTTP refusal's body before reporting without it (ms). */
export const REFUSAL_BODY_WAIT_MS = 1000;

export interface ConnectWebSocketOptions extends LinkOptions {
  /** Largest message accepted, in bytes; a larger one closes the link with 1009. Default 1 MiB. */
  readonly maxPayload?: number;
  /** How long connecting (TCP, TLS and the HTTP upgrade) may take. Default 10 s. */
  readonly timeoutMs?: number;
  /** For `wss:`: trusted CA (PEM), whether to verify the server (default true), and the SNI name. */
  readonly tls?: {
    readonly ca?: string | Uint8Array;
    readonly rejectUnauthorized?: boolean;
    readonly servername?: string;
  };
  /** Extra request headers. No `Origin` is sent unless given here (like the Go client). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Text messages: ignored (default) or answered by closing with 1003. */
  readonly onTextMessage?: 'ignore' | 'close';
}

/** OpenSSL and Node error codes that mean the TLS layer failed, not the network. */
function isTlsError(error: Error & { code?: unknown }): boolean {
  const code = typeof error.code === 'string' ? error.code : '';
  return /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/.test(code);
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

/**
 * Opens a WebSocket (`ws:` or `wss:`) with the `ws` library and resolves with a `Link` once the
 * upgrade is done. Rejects with `TransportError`: `BAD_URL`, `CONNECT_FAILED` (with `httpStatus`
 * when the server answered without upgrading), `TLS` or `TIMEOUT`.
 */
export function connectWebSocket(
  url: string,
  options: ConnectWebSocketOptions = {},
): Promise<Link> {
  return new Promise<Link>((resolve, reject) => {
    let settings: WebSocketLinkSettings;
    let timeoutMs: number;
    try {
      checkUrl(url);
      settings = {
        limits: resolveLinkOptions(options),
        maxPayload: intOption('maxPayload', options.maxPayload, DEFAULT_MAX_PAYLOAD),
        closeOnText: options.onTextMessage === 'close',
      };
      timeoutMs = intOption('timeoutMs', options.timeoutMs, DEFAULT_CONNECT_TIMEOUT_MS);
    } catch (error) {
      reject(error);
      return;
    }
    const tls = options.tls ?? {};
    const clientOptions: WebSocket.ClientOptions & { closeTimeout: number } = {
      perMessageDeflate: false,
      followRedirects: false,
      maxPayload: settings.maxPayload,
      closeTimeout: settings.limits.closeTimeoutMs,
      ...(options.headers ? { headers: { ...options.headers } } : {}),
      ...(tls.ca !== undefined
        ? { ca: typeof tls.ca === 'string' ? tls.ca : Buffer.from(tls.ca) }
        : {}),
      ...(tls.rejectUnauthorized !== undefined
        ? { rejectUnauthorized: tls.rejectUnauthorized }
        : {}),
      ...(tls.servername !== undefined ? { servername: tls.servername } : {}),
    };
    let ws: PeerwireWebSocket;
    try {
      ws = new PeerwireWebSocket(url, clientOptions);
    } catch (cause) {
      reject(
        new TransportError('BAD_URL', `cannot connect to ${url}: ${String(cause)}`, { cause }),
      );
      return;
    }

    let settled = false;
    let remote: RemoteInfo | undefined;
    let socket: Socket | undefined;
    const fail = (error: TransportError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(error);
      ws.terminate();
    };
    const timer = setTimeout(() => {
      fail(new TransportError('TIMEOUT', `connecting to ${url} took over ${timeoutMs} ms`));
    }, timeoutMs);
    const onError = (error: Error): void => {
      if (isTlsError(error)) {
        fail(
          new TransportError('TLS', `TLS with ${url} failed: ${error.message}`, { cause: error }),
        );
      } else {
        fail(
          new TransportError('CONNECT_FAILED', `cannot connect to ${url}: ${error.message}`, {
            cause: error,
          }),
        );
      }
    };
    ws.on('error', onError); // stays until the link's own listener is attached
    ws.on('unexpected-response', (req: ClientRequest, res: IncomingMessage) => {
      // The refusal's body says why (a relay answers e.g. 503 "too many connections from …"):
      // read a little of it, briefly, and put it in the message.
      const status = res.statusCode ?? 0;
      let body = '';
      const finish = (): void => {
        clearTimeout(bodyTimer);
        const reason = body.replace(/\s+/g, ' ').trim().slice(0, REFUSAL_TEXT_MAX);
        fail(
          new TransportError(
            'CONNECT_FAILED',
            `${url} refused the connection: HTTP ${status}${reason ? ` ${reason}` : ''}`,
            { httpStatus: status, httpBody: reason },
          ),
        );
        req.destroy();
      };
      const bodyTimer = setTimeout(finish, REFUSAL_BODY_WAIT_MS);
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
        if (body.length >= REFUSAL_TEXT_MAX) finish();
      });
      res.on('end', finish);
      res.on('error', finish);
    });
    ws.on('upgrade', (res: IncomingMessage) => {
      socket = res.socket as Socket;
      remote = remoteOf(socket);
    });
    ws.once('open', () => {
      if (settled) return;
      if (socket === undefined) {
        fail(new TransportError('CONNECT_FAILED', `${url} opened without an upgrade socket`));
        return;
      }
      settled = true;
      clearTimeout(timer);
      const link = new NodeWebSocketLink(ws, socket, remote, settings);
      ws.removeListener('error', onError);
      resolve(link);
    });
  });
}
