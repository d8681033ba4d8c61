import { CloseCode, type Link } from '@peerwire/transport';
import { connectTcp, listenTcp, type TcpServerHandle } from '@peerwire/transport/node';
import { formatAddress } from '../address.js';
import { PtpchatNode } from '../engine.js';
import { PtpchatError } from '../errors.js';
import type { PeerHandle, PtpchatOutput } from '../types.js';
import {
  type PtpchatLinkEvent,
  type PtpchatNodeIoLimits,
  resolveIoLimits,
  type StartPtpchatNodeOptions,
} from './options.js';
import { pooledRandom } from './random-pool.js';
import { ptpchatStream } from './stream-framing.js';
import { PtpchatUdpSocket } from './udp-socket.js';

/** A ptpchat node on real sockets, from `startPtpchatNode`. */
export interface RunningPtpchatNode {
  /** The engine: user actions (`createChannel`, `join`, `sendMessage`, `connect`, ...) and views. */
  readonly node: PtpchatNode;
  /** The TCP listener's port, when listening. */
  readonly tcpPort?: number;
  /** The UDP socket's port, when bound (advertised in HELLO as `udp_port`). */
  readonly udpPort?: number;
  /** The adapter's limits in force. */
  readonly io: PtpchatNodeIoLimits;
  /** TCP links open now (accepted and dialled). */
  readonly tcpLinks: number;
  /** Messages not queued because their link was congested (`io.writeQueueHighBytes`). */
  readonly writeDrops: number;
  /** Remote UDP addresses tracked now, and datagrams dropped so far. */
  readonly udpRemotes: number;
  readonly udpDropped: number;
  /** Opens a TCP link to a neighbour; resolves with its link id (the engine's peer handle). Rejects `DIAL_FAILED`, `CLOSED`. */
  dial(host: string, port: number): Promise<string>;
  /** Closes one link (no-op for an unknown id). */
  disconnect(peer: PeerHandle): void;
  /** Stops listening, closes every link and the UDP socket, cancels the timer. Idempotent. */
  close(): Promise<void>;
}

const MAX_TIMEOUT_MS = 2 ** 31 - 1;

function remoteText(link: Link): string | undefined {
  const r = link.remote;
  return r ? formatAddress({ ip: r.address, port: r.port }) : undefined;
}

/**
 * Starts a ptpchat node on `@peerwire/transport`: a TCP listener and dialer for neighbour links
 * (the spec's §1.1 framing, done by the engine), a UDP socket for rendezvous and punched paths,
 * the wall clock and `crypto.randomBytes`. Every engine action is carried out here (send,
 * datagram, close, timer); every output is also passed to `onOutput`.
 */
export async function startPtpchatNode(
  options: StartPtpchatNodeOptions,
): Promise<RunningPtpchatNode> {
  const io = resolveIoLimits(options.io);
  const host = new NodeHost(options, io);
  try {
    await host.start();
  } catch (error) {
    await host.close();
    throw error;
  }
  return host.handle();
}

/** Owns the sockets of one running node and carries out its engine's actions. */
class NodeHost {
  readonly #options: StartPtpchatNodeOptions;
  readonly #io: PtpchatNodeIoLimits;
  readonly #links = new Map<PeerHandle, Link>();
  /** Congested links (a send returned false, no drain since) and their stall timers. */
  readonly #stalled = new Map<PeerHandle, ReturnType<typeof setTimeout>>();
  #writeDrops = 0;
  readonly #framing;
  readonly #linkOptions;
  #node: PtpchatNode | undefined;
  #server: TcpServerHandle | undefined;
  #udp: PtpchatUdpSocket | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = 0;
  #closing: Promise<void> | undefined;

  constructor(options: StartPtpchatNodeOptions, io: PtpchatNodeIoLimits) {
    this.#options = options;
    this.#io = io;
    this.#framing = ptpchatStream(options.limits?.maxFrameLength ?? 99_999);
    this.#linkOptions = {
      framing: this.#framing,
      maxBufferedAmount: io.maxWriteQueueBytes,
      highWaterMark: io.writeQueueHighBytes,
      lowWaterMark: io.writeQueueHighBytes >>> 2,
      noDelay: true,
    };
  }

  async start(): Promise<void> {
    const o = this.#options;
    if (o.udp !== false) {
      this.#udp = await PtpchatUdpSocket.bind(o.udp ?? {}, this.#io, {
        datagram: (from, bytes) => this.#node?.receiveDatagram(from, bytes, Date.now()),
        error: (error) => this.#linkEvent({ type: 'error', error }),
      });
    }
    const random = o.random ?? pooledRandom();
    this.#node = new PtpchatNode({
      nodeId: o.nodeId,
      identity: o.identity,
      random,
      output: (out) => this.#output(out),
      ...(o.nodeType !== undefined ? { nodeType: o.nodeType } : {}),
      ...(o.version !== undefined ? { version: o.version } : {}),
      ...(this.#udp ? { udpPort: this.#udp.port } : {}),
      ...(o.limits !== undefined ? { limits: o.limits } : {}),
      ...(o.pins !== undefined ? { pins: o.pins } : {}),
      ...(o.closedChannels !== undefined ? { closedChannels: o.closedChannels } : {}),
      ...(o.backend !== undefined ? { backend: o.backend } : {}),
    });
    // Start the engine's clock (HELLO and ROUTING periods) and its first timer request.
    this.#node.timer(Date.now());
    if (o.listen) {
      try {
        this.#server = await listenTcp(
          {
            ...this.#linkOptions,
            ...(o.listen.host !== undefined ? { host: o.listen.host } : {}),
            port: o.listen.port ?? 0,
            maxLinks: this.#io.maxTcpLinks,
            onError: (error) => this.#linkEvent({ type: 'error', error }),
          },
          (link) => this.#attach(link, false),
        );
      } catch (cause) {
        throw new PtpchatError('LISTEN_FAILED', (cause as Error).message, { cause });
      }
    }
  }

  handle(): RunningPtpchatNode {
    const self = this;
    return {
      node: this.#node!,
      ...(this.#server ? { tcpPort: this.#server.port } : {}),
      ...(this.#udp ? { udpPort: this.#udp.port } : {}),
      io: this.#io,
      get tcpLinks() {
        return self.#links.size;
      },
      get writeDrops() {
        return self.#writeDrops;
      },
      get udpRemotes() {
        return self.#udp?.remotes ?? 0;
      },
      get udpDropped() {
        return self.#udp?.dropped ?? 0;
      },
      dial: (host, port) => this.dial(host, port),
      disconnect: (peer) => this.#links.get(peer)?.close(CloseCode.Normal, 'disconnect'),
      close: () => this.close(),
    };
  }

  async dial(host: string, port: number): Promise<string> {
    if (this.#closing) throw new PtpchatError('CLOSED', 'this node is closed');
    if (this.#links.size >= this.#io.maxTcpLinks) {
      throw new PtpchatError(
        'LIMIT_EXCEEDED',
        `already ${this.#links.size} TCP links (maxTcpLinks)`,
      );
    }
    let link: Link;
    try {
      link = await connectTcp({
        ...this.#linkOptions,
        host,
        port,
        timeoutMs: this.#io.dialTimeoutMs,
      });
    } catch (cause) {
      throw new PtpchatError('DIAL_FAILED', (cause as Error).message, { cause });
    }
    if (this.#closing) {
      link.close(CloseCode.GoingAway, 'node closed');
      throw new PtpchatError('CLOSED', 'this node closed while dialling');
    }
    this.#attach(link, true);
    return link.id;
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutDown();
    return this.#closing;
  }

  async #shutDown(): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const dialled = [...this.#links.values()].map(
      (link) =>
        new Promise<void>((done) => {
          link.on('close', () => done());
          link.close(CloseCode.GoingAway, 'node closed');
        }),
    );
    await Promise.all([this.#server?.close(), this.#udp?.close(), ...dialled]);
    await this.#node?.idle();
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  // ------------------------------------------------------------------ links

  #attach(link: Link, outbound: boolean): void {
    const node = this.#node!;
    const peer = link.id;
    if (this.#closing) {
      link.close(CloseCode.GoingAway, 'node closed');
      return;
    }
    if (!outbound && this.#links.size >= this.#io.maxTcpLinks) {
      link.close(CloseCode.PolicyViolation, `too many links (maxTcpLinks ${this.#io.maxTcpLinks})`);
      return;
    }
    this.#links.set(peer, link);
    const remoteAddress = remoteText(link);
    link.on('message', (chunk) => node.receiveBytes(peer, chunk, Date.now()));
    link.on('error', (error) => this.#linkEvent({ type: 'error', peer, error }));
    link.on('drain', () => this.#unstall(peer));
    link.on('close', (info) => {
      this.#links.delete(peer);
      this.#unstall(peer);
      node.peerDisconnected(peer, Date.now());
      this.#linkEvent({ type: 'closed', peer, ...info });
    });
    this.#linkEvent({
      type: 'open',
      peer,
      outbound,
      ...(remoteAddress !== undefined ? { remoteAddress } : {}),
    });
    node.peerConnected(
      peer,
      { transport: 'tcp', outbound, ...(remoteAddress !== undefined ? { remoteAddress } : {}) },
      Date.now(),
    );
  }

  // ------------------------------------------------------------------ engine actions

  #output(out: PtpchatOutput): void {
    switch (out.type) {
      case 'send': {
        const link = this.#links.get(out.peer);
        if (link === undefined) break;
        if (this.#stalled.has(out.peer)) {
          this.#writeDrops++;
          break;
        }
        try {
          if (!link.send(out.bytes) && link.isOpen) this.#stall(out.peer, link);
        } catch (error) {
          this.#linkEvent({ type: 'error', peer: out.peer, error: error as Error });
        }
        break;
      }
      case 'datagram':
        this.#udp?.send(out.address, out.bytes);
        break;
      case 'close':
        this.#links.get(out.peer)?.close(CloseCode.PolicyViolation, out.reason);
        break;
      case 'timer':
        this.#setTimer(out.at);
        break;
      default:
        break;
    }
    const onOutput = this.#options.onOutput;
    if (onOutput === undefined) return;
    try {
      onOutput(out);
    } catch (error) {
      this.#linkEvent({ type: 'error', error: error as Error });
    }
  }

  /** The link is congested: drop what comes for it until it drains; close it if it never does. */
  #stall(peer: PeerHandle, link: Link): void {
    const timer = setTimeout(() => {
      this.#stalled.delete(peer);
      // The engine hears of it now; the socket may take closeTimeoutMs to be cut.
      this.#node?.peerDisconnected(peer, Date.now());
      link.close(
        CloseCode.PolicyViolation,
        `write queue stalled for ${this.#io.writeStallTimeoutMs} ms: the peer is not reading`,
      );
    }, this.#io.writeStallTimeoutMs);
    timer.unref();
    this.#stalled.set(peer, timer);
  }

  #unstall(peer: PeerHandle): void {
    const timer = this.#stalled.get(peer);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.#stalled.delete(peer);
  }

  #setTimer(at: number): void {
    if (this.#closing) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerAt = at;
    const delay = Math.min(MAX_TIMEOUT_MS, Math.max(0, at - Date.now()));
    this.#timer = setTimeout(this.#fire, delay);
    this.#timer.unref();
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    if (this.#closing) return;
    const now = Date.now();
    // Timers run on the monotonic clock; the wall clock may lag it by a millisecond or so, and
    // the engine only asks again once its due time has passed: so wait out the difference.
    if (now < this.#timerAt) this.#setTimer(this.#timerAt);
    else this.#node?.timer(now);
  };

  #linkEvent(event: PtpchatLinkEvent): void {
    try {
      this.#options.onLink?.(event);
    } catch {
      // an event handler that throws has nowhere left to report to
    }
  }
}
