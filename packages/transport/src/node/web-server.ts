import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { TransportError } from '../errors.js';
import { intOption } from '../options.js';

export interface WebServerOptions {
  /** Serve HTTPS (and wss:) with this PEM certificate chain and private key. */
  readonly tls?: { readonly cert: string | Uint8Array; readonly key: string | Uint8Array };
  /** How long a client may take to send its request headers (upgrade requests included). Default 20 s. */
  readonly headersTimeoutMs?: number;
}

/** Default `headersTimeoutMs`. */
export const DEFAULT_HEADERS_TIMEOUT_MS = 20_000;

export type WebServer = http.Server | https.Server;
export type RequestHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

function pem(value: string | Uint8Array): string | Buffer {
  return typeof value === 'string'
    ? value
    : Buffer.from(value.buffer, value.byteOffset, value.length);
}

const notFound: RequestHandler = (_req, res) => {
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
  res.end('not found\n');
};

/**
 * An HTTP server, or an HTTPS server when `tls` is given; the same API either way. Requests go
 * to `handler` (default: 404); attach WebSocket endpoints with `attachWebSocketServer`. A
 * certificate or key that does not load throws `TransportError` `TLS`.
 */
export function createWebServer(
  options: WebServerOptions = {},
  handler: RequestHandler = notFound,
): WebServer {
  const headersTimeout = intOption(
    'headersTimeoutMs',
    options.headersTimeoutMs,
    DEFAULT_HEADERS_TIMEOUT_MS,
  );
  const common = { headersTimeout, requestTimeout: Math.max(headersTimeout, 60_000) };
  if (!options.tls) return http.createServer(common, handler);
  try {
    return https.createServer(
      { ...common, cert: pem(options.tls.cert), key: pem(options.tls.key) },
      handler,
    );
  } catch (cause) {
    throw new TransportError(
      'TLS',
      `the TLS certificate or key does not load (expected PEM): ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}

function keepRunning(): void {}

/**
 * Starts `server` listening and resolves with the bound port (useful with `port: 0`). Rejects
 * with `LISTEN_FAILED` (address in use, permission, ...). Later server errors (accept
 * failures) no longer crash the process; attach an `error` listener to log them.
 */
export function listenWebServer(
  server: WebServer,
  options: { readonly port: number; readonly host?: string },
): Promise<{ readonly port: number }> {
  return new Promise((resolve, reject) => {
    const onError = (cause: Error): void => {
      reject(
        new TransportError(
          'LISTEN_FAILED',
          `cannot listen on ${options.host ?? '*'}:${options.port}: ${cause.message}`,
          { cause },
        ),
      );
    };
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.removeListener('error', onError);
      // An 'error' after listening (accept failing with EMFILE, ...) would crash the process if
      // nobody listened; the server keeps running, so keep a listener. Add your own to log them.
      server.on('error', keepRunning);
      resolve({ port: (server.address() as AddressInfo).port });
    });
  });
}
