import { isIP } from 'node:net';
import type { Link } from '@peerwire/transport';
import { bindUdp, type UdpEndpoint } from '@peerwire/transport/node';
import { formatAddress, parseAddress } from '../address.js';
import { PtpchatError } from '../errors.js';
import type { PtpchatNodeIoLimits } from './options.js';

export interface UdpSocketHandlers {
  /** One datagram from `from` (`ip:port`, `[ip6]:port`; IPv4-mapped IPv6 shown as IPv4). */
  readonly datagram: (from: string, bytes: Uint8Array) => void;
  readonly error: (error: Error) => void;
}

/**
 * The node's one UDP socket (CONNECT stages to the rendezvous node, punch probes, punched paths)
 * on `@peerwire/transport`'s endpoint. The engine names remotes by `ip:port` text; this maps them
 * to the endpoint's per-remote links, on a dual-stack socket IPv4 as `::ffff:a.b.c.d`, and
 * forgets a remote after `udpRemoteIdleMs` without a datagram either way.
 */
export class PtpchatUdpSocket {
  readonly #endpoint: UdpEndpoint;
  readonly #family: 4 | 6;
  readonly #dualStack: boolean;
  readonly #handlers: UdpSocketHandlers;
  readonly #lastActive = new Map<Link, number>();
  readonly #sweep: ReturnType<typeof setInterval>;
  readonly #idleMs: number;
  #unsendable = 0;

  private constructor(
    endpoint: UdpEndpoint,
    family: 4 | 6,
    dualStack: boolean,
    limits: PtpchatNodeIoLimits,
    handlers: UdpSocketHandlers,
  ) {
    this.#endpoint = endpoint;
    this.#family = family;
    this.#dualStack = dualStack;
    this.#handlers = handlers;
    this.#idleMs = limits.udpRemoteIdleMs;
    endpoint.on('link', (link) => this.#track(link));
    this.#sweep = setInterval(() => this.#forgetIdle(), Math.ceil(this.#idleMs / 2));
    this.#sweep.unref();
  }

  /** Binds `host`/`port` (default: dual-stack `::`, falling back to `0.0.0.0`; port 0 = free). */
  static async bind(
    where: { readonly host?: string; readonly port?: number },
    limits: PtpchatNodeIoLimits,
    handlers: UdpSocketHandlers,
  ): Promise<PtpchatUdpSocket> {
    const common = {
      port: where.port ?? 0,
      maxDatagram: limits.maxDatagramBytes,
      maxLinks: limits.maxUdpRemotes,
      onError: handlers.error,
    };
    const attempt = async (host: string): Promise<UdpEndpoint> => {
      try {
        return await bindUdp({ ...common, host, type: isIP(host) === 6 ? 'udp6' : 'udp4' });
      } catch (cause) {
        throw new PtpchatError(
          'UDP_BIND_FAILED',
          `cannot bind UDP ${host}:${common.port}: ${(cause as Error).message}`,
          { cause },
        );
      }
    };
    if (where.host !== undefined) {
      const family = isIP(where.host);
      if (family === 0) {
        throw new PtpchatError(
          'BAD_OPTION',
          `udp.host must be an IP literal, got ${JSON.stringify(where.host)}`,
        );
      }
      const endpoint = await attempt(where.host);
      return new PtpchatUdpSocket(endpoint, family as 4 | 6, where.host === '::', limits, handlers);
    }
    try {
      return new PtpchatUdpSocket(await attempt('::'), 6, true, limits, handlers);
    } catch {
      return new PtpchatUdpSocket(await attempt('0.0.0.0'), 4, false, limits, handlers);
    }
  }

  get port(): number {
    return this.#endpoint.port;
  }

  /** Remote addresses tracked now. */
  get remotes(): number {
    return this.#lastActive.size;
  }

  /** Datagrams dropped: too large, past `maxUdpRemotes`, or to an address this socket cannot reach. */
  get dropped(): number {
    return this.#endpoint.droppedDatagrams + this.#unsendable;
  }

  /** Sends one datagram to `ip:port` / `[ip6]:port`; false when it could not be sent. */
  send(address: string, bytes: Uint8Array): boolean {
    let link: Link;
    try {
      const { ip, port } = parseAddress(address);
      if (ip === undefined || port === undefined) throw new Error(`no IP and port in ${address}`);
      link = this.#endpoint.link({ address: this.#socketAddress(ip), port });
    } catch (error) {
      this.#unsendable++;
      this.#handlers.error(error as Error);
      return false;
    }
    if (!this.#lastActive.has(link)) this.#track(link);
    else this.#lastActive.set(link, Date.now());
    try {
      link.send(bytes);
      return true;
    } catch (error) {
      this.#unsendable++;
      this.#handlers.error(error as Error);
      return false;
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#sweep);
    await this.#endpoint.close();
  }

  #socketAddress(ip: string): string {
    const family = isIP(ip);
    if (family === this.#family) return ip;
    if (family === 4 && this.#dualStack) return `::ffff:${ip}`;
    throw new PtpchatError(
      'BAD_ADDRESS',
      `this node's IPv${this.#family} UDP socket cannot reach ${ip}`,
    );
  }

  #track(link: Link): void {
    this.#lastActive.set(link, Date.now());
    const remote = link.remote;
    const from = remote ? formatAddress({ ip: remote.address, port: remote.port }) : '';
    link.on('message', (bytes) => {
      this.#lastActive.set(link, Date.now());
      this.#handlers.datagram(from, bytes);
    });
    link.on('close', () => this.#lastActive.delete(link));
  }

  #forgetIdle(): void {
    const before = Date.now() - this.#idleMs;
    for (const [link, at] of this.#lastActive) if (at < before) link.close();
  }
}
