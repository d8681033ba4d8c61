// TEMPORARY transport adapter: TCP (node:net) and WebSocket (ws) connections as `Link`s for the
// Datt engine. It will be replaced by `@peerwire/transport` once that package exists; keep it
// thin and keep everything socket-related in this one file.
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import { DMSG_HEADER_LENGTH } from '../dmsg.js';
import type { Framing } from '../engine.js';

/** One connection, as the node sees it. Handlers are set once, right after creation. */
export interface Link {
  readonly framing: Framing;
  /** `tcp://host:port` or `ws://host:port` of the other side. */
  readonly remote: string;
  send(bytes: Uint8Array): void;
  close(): void;
  onData(handler: (bytes: Uint8Array) => void): void;
  /** Called once when the connection is gone; `error` if it failed. */
  onClose(handler: (error?: Error) => void): void;
}

/** A listening server. */
export interface Listener {
  readonly port: number;
  close(): Promise<void>;
}

/** Queued but unsent bytes above which a slow reader is cut off (default 4 MiB). */
export const DEFAULT_MAX_WRITE_BUFFER = 4 * 1024 * 1024;

function tcpLink(socket: Socket, maxWriteBuffer: number): Link {
  socket.setNoDelay(true);
  let onClose: (error?: Error) => void = () => {};
  let failure: Error | undefined;
  socket.on('error', (error) => {
    failure = error;
  });
  socket.on('close', () => onClose(failure));
  return {
    framing: 'stream',
    remote: `tcp://${socket.remoteAddress}:${socket.remotePort}`,
    send(bytes) {
      if (socket.destroyed) return;
      if (socket.writableLength > maxWriteBuffer) {
        socket.destroy(new Error('peer does not read: write buffer limit reached'));
        return;
      }
      socket.write(bytes);
    },
    close() {
      socket.end();
      socket.destroySoon();
    },
    onData(handler) {
      socket.on('data', (chunk: Buffer) => handler(chunk));
    },
    onClose(handler) {
      onClose = handler;
    },
  };
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
}

function wsLink(ws: WebSocket, remote: string, maxWriteBuffer: number): Link {
  let onClose: (error?: Error) => void = () => {};
  let failure: Error | undefined;
  ws.on('error', (error) => {
    failure = error;
  });
  ws.on('close', () => onClose(failure));
  return {
    framing: 'message',
    remote,
    send(bytes) {
      if (ws.readyState !== WebSocket.OPEN) return;
      if (ws.bufferedAmount > maxWriteBuffer) {
        ws.terminate();
        return;
      }
      ws.send(bytes, { binary: true });
    },
    close() {
      ws.close();
    },
    onData(handler) {
      ws.on('message', (data, isBinary) => {
        // A text message is not a DMsg: hand over bytes that fail the magic check.
        handler(isBinary ? toBytes(data) : new Uint8Array(0));
      });
    },
    onClose(handler) {
      onClose = handler;
    },
  };
}

/** Options common to listeners and dialers. */
export interface LinkOptions {
  /** Largest DMsg data size: WebSocket messages above header + this are refused by `ws`. */
  readonly maxDataLength: number;
  readonly maxWriteBuffer?: number;
}

export function listenTcp(
  host: string,
  port: number,
  options: LinkOptions,
  onLink: (link: Link) => void,
): Promise<Listener> {
  const server: Server = createServer((socket) =>
    onLink(tcpLink(socket, options.maxWriteBuffer ?? DEFAULT_MAX_WRITE_BUFFER)),
  );
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolve({
        port: typeof address === 'object' && address ? address.port : port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
          }),
      });
    });
  });
}

export function dialTcp(host: string, port: number, options: LinkOptions): Promise<Link> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host, port });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(tcpLink(socket, options.maxWriteBuffer ?? DEFAULT_MAX_WRITE_BUFFER));
    });
  });
}

export function listenWs(
  host: string,
  port: number,
  options: LinkOptions,
  onLink: (link: Link) => void,
): Promise<Listener> {
  const wss = new WebSocketServer({
    host,
    port,
    maxPayload: DMSG_HEADER_LENGTH + options.maxDataLength,
  });
  wss.on('connection', (ws, request) => {
    const remote = `ws://${request.socket.remoteAddress}:${request.socket.remotePort}`;
    onLink(wsLink(ws, remote, options.maxWriteBuffer ?? DEFAULT_MAX_WRITE_BUFFER));
  });
  return new Promise((resolve, reject) => {
    wss.once('error', reject);
    wss.once('listening', () => {
      wss.off('error', reject);
      const address = wss.address();
      resolve({
        port: typeof address === 'object' && address ? address.port : port,
        close: () =>
          new Promise<void>((done) => {
            for (const client of wss.clients) client.terminate();
            wss.close(() => done());
          }),
      });
    });
  });
}

export function dialWs(url: string, options: LinkOptions): Promise<Link> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { maxPayload: DMSG_HEADER_LENGTH + options.maxDataLength });
    ws.binaryType = 'nodebuffer';
    ws.once('error', reject);
    ws.once('open', () => {
      ws.off('error', reject);
      resolve(wsLink(ws, url, options.maxWriteBuffer ?? DEFAULT_MAX_WRITE_BUFFER));
    });
  });
}
