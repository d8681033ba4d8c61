import { createSocket, type RemoteInfo as DgramRemoteInfo, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { CloseCode } from '../close-codes.js';
import { TransportError } from '../errors.js';
import type { Link, LinkOptions } from '../link.js';
import { BaseLink } from '../link-base.js';
import { intOption, type ResolvedLinkOptions, resolveLinkOptions } from '../options.js';
import { DEFAULT_MAX_DATAGRAM, DEFAULT_MAX_LINKS } from './limits.js';
import { toRemoteInfo } from './remote-info.js';

export interface BindUdpOptions extends LinkOptions {
  /** Address to bind. Default: all interfaces (`0.0.0.0` for udp4, `::` for udp6). */
  readonly host?: string;
  /** Default 0 (a free port; see `port` of the endpoint). */
  readonly port?: number;
  /** Default `udp6` when `host` is an IPv6 address, else `udp4`. */
  readonly type?: 'udp4' | 'udp6';
  /** Largest datagram sent or accepted, in bytes. Larger ones are refused (`send` throws `TOO_LARGE`) or dropped. Default 65,507. */
  readonly maxDatagram?: number;
  /** Most links at once; datagrams from further new remotes are dropped. Default 50,000. */
  readonly maxLinks?: number;
  /** Told when a `link` handler throws (that link is closed with 1011, the endpoint carries on). */
  readonly onError?: (error: TransportError) => void;
}

/** One UDP socket; a `Link` per remote address. */
export interface UdpEndpoint {
  readonly port: number;
  readonly address: string;
  /** Links open now. */
  readonly linkCount: number;
  /** Datagrams dropped: oversized, from a new remote with no `link` handler, or past `maxLinks`. */
  readonly droppedDatagrams: number;
  /** The link to `remote` (an IP literal and a port), created if needed. Throws `BAD_OPTION`, `LIMIT` or `CLOSED`. */
  link(remote: { readonly address: string; readonly port: number }): Link;
  /** Fires for the first datagram from a new remote, before that datagram's `message` event. */
  on(event: 'link', handler: (link: Link) => void): () => void;
  /** Closes every link (1001, local) and the socket. */
  close(): Promise<void>;
}

/**
 * A `Link` to one remote over a shared UDP socket. Each datagram is one message. There is no
 * connection: `close` only forgets the remote locally (the `close` event is always `local`).
 * `bufferedAmount` is the socket's send queue, shared by every link of the endpoint.
 */
class UdpLink extends BaseLink {
  readonly #endpoint: UdpEndpointImpl;
  readonly #socket: Socket;
  /** The address as the socket reports and needs it (not normalised). */
  readonly #address: string;
  readonly #port: number;
  readonly key: string;

  constructor(endpoint: UdpEndpointImpl, address: string, port: number, key: string) {
    super('udp', toRemoteInfo(address, port), endpoint.limits);
    this.#endpoint = endpoint;
    this.#socket = endpoint.socket;
    this.#address = address;
    this.#port = port;
    this.key = key;
  }

  get bufferedAmount(): number {
    return this.#socket.getSendQueueSize();
  }

  send(data: Uint8Array): boolean {
    if (!this.isOpen) return false;
    if (data.length > this.#endpoint.maxDatagram) {
      throw new TransportError(
        'TOO_LARGE',
        `a ${data.length}-byte datagram exceeds maxDatagram (${this.#endpoint.maxDatagram})`,
      );
    }
    if (this.needsWriteCallback(data.length)) {
      this.#socket.send(data, this.#port, this.#address, this.#onSent);
    } else {
      // No callback: a datagram that fails to leave is lost, as UDP datagrams may be.
      this.#socket.send(data, this.#port, this.#address);
    }
    return this.afterSend();
  }

  /** Called by the endpoint for each datagram from this remote. */
  receive(data: Uint8Array): void {
    this.deliver(data);
  }

  /** Called by the endpoint when it closes. */
  shutDown(): void {
    this.fail(CloseCode.GoingAway, 'endpoint closed');
  }

  protected closeTransport(): void {
    this.#endpoint.forget(this);
    queueMicrotask(this.#finish);
  }

  protected abortTransport(): void {
    this.closeTransport();
  }

  readonly #finish = (): void => {
    this.closed({ code: CloseCode.Normal, reason: '', local: true });
  };

  readonly #onSent = (error: Error | null): void => {
    if (error) this.#sendFailed(error);
    this.checkDrain();
  };

  #sendFailed(error: Error): void {
    // A datagram that could not be sent is lost, as UDP datagrams may be; the link stays open.
    this.report(
      new TransportError('CONNECTION', `${this.id}: send failed: ${error.message}`, {
        cause: error,
      }),
    );
  }
}

function keyOf(address: string, port: number): string {
  return `${address}|${port}`;
}

class UdpEndpointImpl implements UdpEndpoint {
  readonly socket: Socket;
  readonly limits: ResolvedLinkOptions;
  readonly maxDatagram: number;
  readonly #maxLinks: number;
  readonly #family: 4 | 6;
  readonly #onError: ((error: TransportError) => void) | undefined;
  readonly #links = new Map<string, UdpLink>();
  #linkHandlers: readonly ((link: Link) => void)[] = [];
  #dropped = 0;
  #closed = false;

  constructor(socket: Socket, options: BindUdpOptions, limits: ResolvedLinkOptions, family: 4 | 6) {
    this.socket = socket;
    this.limits = limits;
    this.#family = family;
    this.maxDatagram = intOption(
      'maxDatagram',
      options.maxDatagram,
      DEFAULT_MAX_DATAGRAM,
      1,
      65_535,
    );
    this.#maxLinks = intOption('maxLinks', options.maxLinks, DEFAULT_MAX_LINKS);
    this.#onError = options.onError;
    socket.on('message', this.#onMessage);
  }

  get port(): number {
    return this.socket.address().port;
  }

  get address(): string {
    return this.socket.address().address;
  }

  get linkCount(): number {
    return this.#links.size;
  }

  get droppedDatagrams(): number {
    return this.#dropped;
  }

  link(remote: { readonly address: string; readonly port: number }): Link {
    if (this.#closed) throw new TransportError('CLOSED', 'this UDP endpoint is closed');
    const { address, port } = remote;
    const family = isIP(address);
    if (family === 0) {
      throw new TransportError(
        'BAD_OPTION',
        `remote address must be an IP literal, got ${JSON.stringify(address)}`,
      );
    }
    if (family !== this.#family) {
      throw new TransportError(
        'BAD_OPTION',
        `a udp${this.#family} endpoint cannot reach the IPv${family} address ${address}`,
      );
    }
    intOption('port', port, 0, 1, 65535);
    const key = keyOf(address, port);
    const existing = this.#links.get(key);
    if (existing) return existing;
    if (this.#links.size >= this.#maxLinks) {
      throw new TransportError(
        'LIMIT',
        `this endpoint already has maxLinks (${this.#maxLinks}) links`,
      );
    }
    const link = new UdpLink(this, address, port, key);
    this.#links.set(key, link);
    return link;
  }

  on(event: 'link', handler: (link: Link) => void): () => void {
    if (event !== 'link')
      throw new TransportError('BAD_OPTION', `unknown endpoint event ${JSON.stringify(event)}`);
    this.#linkHandlers = [...this.#linkHandlers, handler];
    return () => {
      this.#linkHandlers = this.#linkHandlers.filter((h) => h !== handler);
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const links = [...this.#links.values()];
    await Promise.all(
      links.map(
        (link) =>
          new Promise<void>((done) => {
            link.on('close', () => done());
            link.shutDown();
          }),
      ),
    );
    await new Promise<void>((done) => this.socket.close(() => done()));
  }

  forget(link: UdpLink): void {
    if (this.#links.get(link.key) === link) this.#links.delete(link.key);
  }

  readonly #onMessage = (msg: Buffer, rinfo: DgramRemoteInfo): void => {
    if (msg.length > this.maxDatagram || this.#closed) {
      this.#dropped++;
      return;
    }
    const data = new Uint8Array(msg.buffer, msg.byteOffset, msg.length);
    const key = keyOf(rinfo.address, rinfo.port);
    const link = this.#links.get(key);
    if (link !== undefined) {
      link.receive(data);
      return;
    }
    const handlers = this.#linkHandlers;
    if (handlers.length === 0 || this.#links.size >= this.#maxLinks) {
      this.#dropped++;
      return;
    }
    const created = new UdpLink(this, rinfo.address, rinfo.port, key);
    this.#links.set(key, created);
    for (let i = 0; i < handlers.length; i++) {
      try {
        handlers[i]!(created);
      } catch (cause) {
        try {
          this.#onError?.(
            new TransportError(
              'HANDLER_FAILED',
              `a link handler threw for ${created.id}: ${String(cause)}`,
              { cause },
            ),
          );
        } catch {
          // nowhere further to report
        }
        created.close(CloseCode.InternalError, 'internal error');
        return;
      }
    }
    created.receive(data);
  };
}

/** Binds a UDP socket and resolves with an endpoint that hands out one `Link` per remote. */
export function bindUdp(options: BindUdpOptions = {}): Promise<UdpEndpoint> {
  return new Promise<UdpEndpoint>((resolve, reject) => {
    let limits: ResolvedLinkOptions;
    let port: number;
    try {
      limits = resolveLinkOptions(options);
      port = intOption('port', options.port, 0, 0, 65535);
    } catch (error) {
      reject(error);
      return;
    }
    const type =
      options.type ?? (options.host !== undefined && isIP(options.host) === 6 ? 'udp6' : 'udp4');
    const socket = createSocket({ type });
    const onBindError = (cause: Error): void => {
      socket.close();
      reject(
        new TransportError(
          'LISTEN_FAILED',
          `cannot bind UDP ${options.host ?? '*'}:${port}: ${cause.message}`,
          { cause },
        ),
      );
    };
    socket.once('error', onBindError);
    socket.bind(port, options.host, () => {
      socket.removeListener('error', onBindError);
      let endpoint: UdpEndpointImpl;
      try {
        endpoint = new UdpEndpointImpl(socket, options, limits, type === 'udp6' ? 6 : 4);
      } catch (error) {
        socket.close();
        reject(error);
        return;
      }
      socket.on('error', (cause: Error) => {
        // Socket-level errors after binding are rare (the socket keeps working); tell onError.
        try {
          options.onError?.(
            new TransportError('CONNECTION', `UDP socket error: ${cause.message}`, { cause }),
          );
        } catch {
          // nowhere further to report
        }
      });
      resolve(endpoint);
    });
  });
}
