import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { CloseCode } from '../close-codes.js';
import { TransportError } from '../errors.js';
import { DEFAULT_MAX_PAYLOAD, type Link, type LinkOptions, type RemoteInfo } from '../link.js';
import { intOption, resolveLinkOptions } from '../options.js';
import { DEFAULT_MAX_LINKS } from './limits.js';
import { remoteOf } from './remote-info.js';
import type { WebServer } from './web-server.js';
import {
  NodeWebSocketLink,
  PeerwireWebSocket,
  type WebSocketLinkSettings,
} from './websocket-link.js';

/** What `acceptConnection` returns to refuse an upgrade: an HTTP status (4xx/5xx) and a short text. */
export interface Refusal {
  readonly status: number;
  readonly reason: string;
}

export interface WebSocketServerOptions extends LinkOptions {
  /** The path served, e.g. `/_websocket` (query strings are ignored). Upgrades to other paths get 404. */
  readonly path: string;
  /** Largest message accepted, in bytes; a larger one closes the link with 1009 and a reason. Default 1 MiB. */
  readonly maxPayload?: number;
  /**
   * Called before the upgrade is accepted (per-IP limits, bans, ...). Return `true` to accept, or
   * a refusal that is answered as an HTTP response. A throw is answered with 500.
   */
  readonly acceptConnection?: (remote: RemoteInfo, req: IncomingMessage) => true | Refusal;
  /** Text messages: ignored (default, as Spot does) or answered by closing with 1003. */
  readonly onTextMessage?: 'ignore' | 'close';
  /** Most links open at once on this path; more are refused with 503. Default 50,000. */
  readonly maxLinks?: number;
  /** Told when `onLink` or `acceptConnection` throws (the connection is closed or refused, the server carries on). */
  readonly onError?: (error: TransportError) => void;
}

export interface WebSocketServerHandle {
  /** Stops accepting on this path, closes every link with 1001 and resolves when all are closed. */
  close(): Promise<void>;
  /** Links open now. */
  readonly linkCount: number;
}

interface Route {
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

/** Every path served on one HTTP server, dispatched by one 'upgrade' listener. */
interface RouteTable {
  readonly routes: Map<string, Route>;
  readonly listener: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
}

const tables = new WeakMap<WebServer, RouteTable>();

function ignore(): void {}

/** Answers an upgrade request with an HTTP error and closes the socket. */
function refuse(socket: Duplex, status: number, reason: string, timeoutMs: number): void {
  socket.on('error', ignore);
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const code = Number.isInteger(status) && status >= 400 && status <= 599 ? status : 403;
  const body = `${reason}\n`;
  const timer = setTimeout(() => socket.destroy(), timeoutMs);
  socket.end(
    `HTTP/1.1 ${code} ${STATUS_CODES[code] ?? 'Error'}\r\nConnection: close\r\n` +
      `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    () => {
      clearTimeout(timer);
      socket.destroy();
    },
  );
}

function pathOf(url: string | undefined): string {
  if (url === undefined) return '/';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

function report(onError: ((e: TransportError) => void) | undefined, error: TransportError): void {
  try {
    onError?.(error);
  } catch {
    // nowhere further to report
  }
}

/**
 * Serves WebSocket connections on `path` of an HTTP(S) server (see `createWebServer`). Each
 * accepted connection becomes a `Link` handed to `onLink` (attach handlers there). Several paths
 * may be attached to one server; upgrades to any other path are answered 404.
 * permessage-deflate is off.
 */
export function attachWebSocketServer(
  server: WebServer,
  options: WebSocketServerOptions,
  onLink: (link: Link, req: IncomingMessage) => void,
): WebSocketServerHandle {
  const { path } = options;
  if (typeof path !== 'string' || !path.startsWith('/') || path.includes('?')) {
    throw new TransportError(
      'BAD_OPTION',
      `path must start with / and hold no query, got ${String(path)}`,
    );
  }
  const limits = resolveLinkOptions(options);
  const maxPayload = intOption('maxPayload', options.maxPayload, DEFAULT_MAX_PAYLOAD);
  const maxLinks = intOption('maxLinks', options.maxLinks, DEFAULT_MAX_LINKS);
  const settings: WebSocketLinkSettings = {
    limits,
    maxPayload,
    closeOnText: options.onTextMessage === 'close',
  };
  const { acceptConnection, onError } = options;

  let table = tables.get(server);
  if (table?.routes.has(path)) {
    throw new TransportError('LIMIT', `path ${path} is already served on this server`);
  }
  if (table === undefined) {
    const routes = new Map<string, Route>();
    const listener = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
      const route = routes.get(pathOf(req.url));
      if (route === undefined)
        refuse(socket, 404, 'no WebSocket endpoint at this path', limits.closeTimeoutMs);
      else route.upgrade(req, socket, head);
    };
    table = { routes, listener };
    tables.set(server, table);
    server.on('upgrade', listener);
  }

  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    maxPayload,
    closeTimeout: limits.closeTimeoutMs,
    WebSocket: PeerwireWebSocket,
  } as ConstructorParameters<typeof WebSocketServer<typeof PeerwireWebSocket>>[0]);
  const links = new Set<NodeWebSocketLink>();
  let closing = false;

  table.routes.set(path, {
    upgrade(req, socket, head) {
      if (closing) return refuse(socket, 503, 'server shutting down', limits.closeTimeoutMs);
      if (links.size >= maxLinks)
        return refuse(socket, 503, 'too many connections', limits.closeTimeoutMs);
      const remote = remoteOf(socket as Duplex & { remoteAddress?: string; remotePort?: number });
      if (remote === undefined) {
        socket.destroy();
        return;
      }
      if (acceptConnection) {
        let verdict: true | Refusal;
        try {
          verdict = acceptConnection(remote, req);
        } catch (cause) {
          report(
            onError,
            new TransportError('HANDLER_FAILED', `acceptConnection threw: ${String(cause)}`, {
              cause,
            }),
          );
          return refuse(socket, 500, 'internal error', limits.closeTimeoutMs);
        }
        if (verdict !== true) {
          return refuse(
            socket,
            verdict?.status ?? 403,
            String(verdict?.reason ?? 'refused'),
            limits.closeTimeoutMs,
          );
        }
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        const link = new NodeWebSocketLink(ws as PeerwireWebSocket, socket, remote, settings);
        links.add(link);
        link.on('close', () => links.delete(link));
        try {
          onLink(link, req);
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
    },
  });

  return {
    get linkCount() {
      return links.size;
    },
    async close() {
      if (!closing) {
        closing = true;
        const current = tables.get(server);
        if (current) {
          current.routes.delete(path);
          if (current.routes.size === 0) {
            server.removeListener('upgrade', current.listener);
            tables.delete(server);
          }
        }
      }
      await Promise.all(
        [...links].map(
          (link) =>
            new Promise<void>((resolve) => {
              link.on('close', () => resolve());
              link.close(CloseCode.GoingAway, 'server shutting down');
            }),
        ),
      );
    },
  };
}
