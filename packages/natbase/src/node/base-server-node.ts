import { type Link, TransportError } from '@peerwire/transport';
import { listenTcp, type TcpServerHandle } from '@peerwire/transport/node';
import { type Endpoint, formatEndpoint } from '../codec/address.js';
import type { RandomSource } from '../codec/identity.js';
import type { Ed25519Verify } from '../codec/signature.js';
import { NatbaseError } from '../errors.js';
import type { BaseServerLimits } from '../limits.js';
import { BaseServer } from '../server/base-server.js';
import type {
  BaseServerAction,
  BaseServerEvent,
  BaseServerStats,
  ConnectionId,
} from '../server/types.js';
import { type BoundDatagram, bindDatagram, closeDatagram } from './datagram.js';
import { opensslEd25519Verify } from './openssl-ed25519.js';
import { pooledRandom } from './pooled-random.js';
import { rawStream } from './raw-stream.js';
import { endpointOf, monotonicNow, socketAddress, TimerSlot } from './sockets.js';

/** Default TCP port of a peerwire base: unprivileged (the reference clients use 443, spec §16). */
export const DEFAULT_BASE_TCP_PORT = 5443;
/** Default UDP port of the primary base address [pw]. */
export const DEFAULT_BASE_UDP_PORT = 5443;

export interface ListenBaseServerOptions {
  /** Where the TCP port listens (default host `0.0.0.0`, port `DEFAULT_BASE_TCP_PORT`; 0 = free). */
  readonly tcp?: { readonly host?: string; readonly port?: number };
  /**
   * The UDP addresses to bind, **primary first** (1 to 5). Each needs a concrete host (not
   * `0.0.0.0`) unless `advertise` names it, since STATE tells clients where to send and clients
   * take only datagrams from the primary address as the base's (spec §6). Port 0 = free.
   */
  readonly udp: readonly { readonly host: string; readonly port?: number }[];
  /** The addresses STATE advertises, one per `udp` entry (default: the bound addresses). */
  readonly advertise?: readonly Endpoint[];
  readonly limits?: Partial<BaseServerLimits>;
  readonly onEvent?: (event: BaseServerEvent) => void;
  /** Random bytes (default `pooledRandom()`, node:crypto). */
  readonly random?: RandomSource;
  /** Ed25519 verification (default `opensslEd25519Verify()`, node:crypto). */
  readonly verify?: Ed25519Verify;
  /** Told about socket-level errors (a failed send, a link handler that threw). */
  readonly onError?: (error: Error) => void;
}

export interface BaseServerHandle {
  /** The TCP port (useful with port 0). */
  readonly tcpPort: number;
  /** The advertised UDP addresses, primary first. */
  readonly udpAddresses: readonly Endpoint[];
  /** The sans-I/O core (stats, `deviceOf`, `observedAddressOf`, ...). */
  readonly core: BaseServer;
  readonly stats: BaseServerStats;
  /** Stops listening, closes every connection and socket. */
  close(): Promise<void>;
}

/**
 * Runs the base server of spec §7 on one TCP port and one or more UDP addresses: it feeds the
 * sans-I/O `BaseServer` with TCP bytes (on `@peerwire/transport` links, unframed: the core frames),
 * UDP datagrams (node:dgram), the monotonic clock and node:crypto randomness, and carries out
 * its sends, closes and timer requests. Replies to UDP leave from the socket of the primary
 * address, as the client requires.
 */
export async function listenBaseServer(
  options: ListenBaseServerOptions,
): Promise<BaseServerHandle> {
  if (options.udp.length < 1 || options.udp.length > 5) {
    throw new NatbaseError('BAD_VALUE', 'a base has 1 to 5 UDP addresses (STATE, spec §6)');
  }
  if (options.advertise && options.advertise.length !== options.udp.length) {
    throw new NatbaseError('BAD_VALUE', 'advertise needs one address per udp entry');
  }
  const onError = options.onError ?? (() => {});
  const bound: BoundDatagram[] = [];
  try {
    for (const u of options.udp)
      bound.push(await bindDatagram(u.host, u.port ?? DEFAULT_BASE_UDP_PORT));
  } catch (error) {
    await Promise.all(bound.map((b) => closeDatagram(b.socket)));
    throw error;
  }
  let advertised: Endpoint[];
  try {
    advertised = bound.map((b, i) => {
      const a = options.advertise?.[i];
      if (a) return { ip: a.ip.slice(), port: a.port };
      if (b.address === '0.0.0.0' || b.address === '::') {
        throw new NatbaseError(
          'BAD_VALUE',
          `UDP ${b.address}:${b.port} is a wildcard: set advertise`,
        );
      }
      return endpointOf(b.address, b.port);
    });
  } catch (error) {
    await Promise.all(bound.map((b) => closeDatagram(b.socket)));
    throw error;
  }
  const verify = options.verify ?? opensslEd25519Verify();
  const core = new BaseServer({
    udpAddresses: advertised,
    random: options.random ?? pooledRandom(),
    limits: options.limits,
    onEvent: options.onEvent,
    verify,
  });
  /** Advertised address key → the socket that sends from it. */
  const bySource = new Map<string, BoundDatagram>();
  for (const [i, a] of advertised.entries()) bySource.set(formatEndpoint(a), bound[i]!);
  const links = new Map<ConnectionId, Link>();
  let nextConn = 1;
  let closed = false;
  const timer = new TimerSlot(() => run(core.timer(monotonicNow())));

  function run(actions: readonly BaseServerAction[]): void {
    for (const a of actions) {
      if (a.type === 'send') {
        if (a.transport === 'tcp') {
          const link = links.get(a.conn);
          if (!link) continue;
          link.send(a.bytes);
          core.tcpBacklog(a.conn, link.bufferedAmount);
        } else {
          const out = bySource.get(formatEndpoint(a.from)) ?? bound[0]!;
          const to = socketAddress(a.to, out.family);
          if (to === undefined) continue;
          out.socket.send(a.bytes, a.to.port, to);
        }
      } else if (a.type === 'close') {
        links.get(a.conn)?.close(1000, 'closed by the base');
      } else if (!closed) {
        timer.set(a.at, monotonicNow());
      }
    }
  }

  bound.forEach((b, i) => {
    const local = advertised[i]!;
    b.socket.on('message', (msg: Buffer, rinfo) => {
      let remote: Endpoint;
      try {
        remote = endpointOf(rinfo.address, rinfo.port);
      } catch {
        return;
      }
      const bytes = new Uint8Array(msg.buffer, msg.byteOffset, msg.length);
      run(core.udpData(local, remote, bytes, monotonicNow()));
    });
    b.socket.on('error', (error) => onError(error));
  });

  let tcp: TcpServerHandle;
  try {
    tcp = await listenTcp(
      {
        host: options.tcp?.host ?? '0.0.0.0',
        port: options.tcp?.port ?? DEFAULT_BASE_TCP_PORT,
        framing: rawStream(),
        maxLinks: core.limits.maxConnections,
        onError,
      },
      (link) => {
        const conn = nextConn++;
        const r = link.remote;
        let remote: Endpoint;
        try {
          remote = endpointOf(r?.address ?? '0.0.0.0', r?.port ?? 0);
        } catch {
          link.close(1008, 'unknown remote');
          return;
        }
        links.set(conn, link);
        link.on('message', (data) => {
          run(core.tcpData(conn, data, monotonicNow()));
          core.tcpBacklog(conn, link.bufferedAmount);
        });
        link.on('drain', () => core.tcpBacklog(conn, link.bufferedAmount));
        link.on('error', (error) => onError(error));
        link.on('close', () => {
          links.delete(conn);
          run(core.tcpClosed(conn, monotonicNow()));
        });
        run(core.tcpOpen(conn, remote, monotonicNow()));
      },
    );
  } catch (error) {
    await Promise.all(bound.map((b) => closeDatagram(b.socket)));
    throw error instanceof TransportError
      ? error
      : new TransportError('LISTEN_FAILED', String(error), { cause: error });
  }

  return {
    tcpPort: tcp.port,
    udpAddresses: advertised,
    core,
    get stats() {
      return core.stats;
    },
    async close() {
      if (closed) return;
      closed = true;
      timer.clear();
      await tcp.close();
      await Promise.all(bound.map((b) => closeDatagram(b.socket)));
    },
  };
}
