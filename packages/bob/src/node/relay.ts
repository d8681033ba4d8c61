import { createServer, type Server, type Socket } from 'node:net';
import {
  BobRelay,
  type BobRelayEvent,
  type BobRelayLimits,
  type BobRelayStats,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_LIFETIME_MS,
  DEFAULT_REGISTER_TIMEOUT_MS,
} from '../relay.js';
import {
  type ConnectionId,
  DEFAULT_SECURE_IDENTIFY_TIMEOUT_MS,
  DEFAULT_SECURE_PAIR_TIMEOUT_MS,
  normalizeAddress,
  type RelayAction,
} from '../secure-room.js';
import { DEFAULT_HANDSHAKE_PORT, DEFAULT_SECURE_PORT } from './send.js';

/** Default time a closing connection gets to flush before it is destroyed (5 s). */
export const DEFAULT_CLOSE_GRACE_MS = 5000;

/** Shortest interval between two checks of the relay core's timers (10 ms). */
export const MIN_TICK_INTERVAL_MS = 10;
/** Longest interval between two checks of the relay core's timers (1 s). */
export const MAX_TICK_INTERVAL_MS = 1000;

/**
 * How often the relay core's timers are checked by default: a quarter of the shortest timer
 * limit (each unset one at its default), between {@link MIN_TICK_INTERVAL_MS} and
 * {@link MAX_TICK_INTERVAL_MS}, so no timer fires more than a quarter of its length late.
 */
export function tickIntervalFor(limits: BobRelayLimits): number {
  const shortest = Math.min(
    limits.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    limits.maxLifetimeMs ?? DEFAULT_MAX_LIFETIME_MS,
    limits.secureIdentifyTimeoutMs ?? DEFAULT_SECURE_IDENTIFY_TIMEOUT_MS,
    limits.securePairTimeoutMs ?? DEFAULT_SECURE_PAIR_TIMEOUT_MS,
    limits.registerTimeoutMs ?? DEFAULT_REGISTER_TIMEOUT_MS,
  );
  return Math.max(MIN_TICK_INTERVAL_MS, Math.min(MAX_TICK_INTERVAL_MS, shortest / 4));
}

export interface BobRelayOptions {
  /** Address to listen on (default `0.0.0.0`, like bob). */
  readonly host?: string;
  /** Handshake port (default 9000; 0 picks a free one). */
  readonly port?: number;
  /** Secure-room port (default 9001; 0 picks a free one). */
  readonly securePort?: number;
  readonly limits?: BobRelayLimits;
  /** See {@link DEFAULT_CLOSE_GRACE_MS}: a peer that never reads cannot hold a socket open. */
  readonly closeGraceMs?: number;
  /** How often the core's timers are checked (ms; default {@link tickIntervalFor} the limits). */
  readonly tickIntervalMs?: number;
  /** Everything the relay does, for logs and metrics. */
  readonly onEvent?: (event: BobRelayEvent) => void;
}

export interface BobRelayServerStats extends BobRelayStats {
  /** Bytes copied through secure-room pipes, both directions. */
  readonly bytesPiped: number;
  /** Pipes currently open. */
  readonly activePipes: number;
}

export interface RunningBobRelay {
  readonly ports: { readonly handshake: number; readonly secure: number };
  readonly stats: BobRelayServerStats;
  /**
   * Stops listening and closes the handshake and unpaired connections at once. Transfers under
   * way (open pipes) get `graceMs` (default 0) to finish before they are cut.
   */
  close(options?: { readonly graceMs?: number }): Promise<void>;
}

/**
 * Serves the bob relay over TCP: the handshake port runs the `BobRelay` core, the secure port
 * pairs connections and then pipes raw bytes with backpressure (`socket.pipe`-style pause and
 * resume), writing `ff ff ff ff` to both sides when either ends, as bob does.
 */
export async function startBobRelay(options: BobRelayOptions = {}): Promise<RunningBobRelay> {
  const relay = new BobRelay({ limits: options.limits, onEvent: options.onEvent });
  const sockets = new Map<ConnectionId, Socket>();
  const piped = new Set<ConnectionId>();
  let nextConn = 1;
  let bytesPiped = 0;
  let activePipes = 0;
  const now = () => Date.now();

  const apply = (actions: RelayAction[]) => {
    for (const a of actions) {
      if (a.type === 'send') {
        const s = sockets.get(a.conn);
        if (s && !s.destroyed && s.writable) s.write(a.bytes);
      } else if (a.type === 'close') {
        const s = sockets.get(a.conn);
        if (s) {
          s.end();
          // Do not wait forever for a peer that never reads.
          setTimeout(() => s.destroy(), options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS).unref();
        }
      } else {
        startPipe(a.a, a.b);
      }
    }
  };

  const startPipe = (a: ConnectionId, b: ConnectionId) => {
    const sa = sockets.get(a);
    const sb = sockets.get(b);
    if (!sa || !sb) return;
    piped.add(a);
    piped.add(b);
    activePipes++;
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      activePipes--;
      apply(relay.secureDisconnect(a, now()));
    };
    for (const [from, to] of [
      [sa, sb],
      [sb, sa],
    ] as const) {
      from.removeAllListeners('data');
      from.on('data', (chunk: Buffer) => {
        bytesPiped += chunk.length;
        if (!to.write(chunk)) from.pause();
      });
      to.on('drain', () => from.resume());
      from.on('end', end);
      from.on('close', end);
    }
  };

  const handshake = createServer((socket) => {
    const conn = nextConn++;
    sockets.set(conn, socket);
    const address = normalizeAddress(socket.remoteAddress ?? '');
    socket.setNoDelay(true);
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => apply(relay.receive(conn, chunk, now())));
    socket.on('close', () => {
      sockets.delete(conn);
      apply(relay.disconnect(conn, now()));
    });
    apply(relay.connect(conn, { identity: `${address}:${socket.remotePort}`, address }, now()));
  });

  const secure = createServer({ allowHalfOpen: true }, (socket) => {
    const conn = nextConn++;
    sockets.set(conn, socket);
    socket.setNoDelay(true);
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => apply(relay.secureReceive(conn, chunk, now())));
    socket.on('end', () => {
      if (!piped.has(conn)) apply(relay.secureDisconnect(conn, now()));
    });
    socket.on('close', () => {
      sockets.delete(conn);
      piped.delete(conn);
      apply(relay.secureDisconnect(conn, now()));
    });
    apply(relay.secureConnect(conn, socket.remoteAddress ?? '', now()));
  });

  const ticker = setInterval(
    () => apply(relay.tick(now())),
    options.tickIntervalMs ?? tickIntervalFor(options.limits ?? {}),
  );
  ticker.unref();

  const listen = (server: Server, port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, options.host ?? '0.0.0.0', () => {
        server.off('error', reject);
        const address = server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  let handshakePort: number;
  let securePort: number;
  try {
    handshakePort = await listen(handshake, options.port ?? DEFAULT_HANDSHAKE_PORT);
    securePort = await listen(secure, options.securePort ?? DEFAULT_SECURE_PORT);
  } catch (error) {
    clearInterval(ticker);
    handshake.close();
    secure.close();
    throw error;
  }

  return {
    ports: { handshake: handshakePort, secure: securePort },
    get stats() {
      return { ...relay.stats, bytesPiped, activePipes };
    },
    async close(closeOptions = {}) {
      const closing = [handshake, secure].map(
        (server) => new Promise<void>((resolve) => server.close(() => resolve())),
      );
      for (const [conn, s] of sockets) if (!piped.has(conn)) s.destroy();
      const deadline = Date.now() + (closeOptions.graceMs ?? 0);
      while (activePipes > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, Math.min(50, Math.max(1, deadline - Date.now()))));
      }
      clearInterval(ticker);
      for (const s of sockets.values()) s.destroy();
      await Promise.all(closing);
    },
  };
}
