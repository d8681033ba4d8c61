// A running Datt node: the sans-I/O engine driven by transport links, a content store, timers,
// and the application calls (connect, post, get) that wait for the engine's events.
import type { Link, LinkOptions, TransportError } from '@peerwire/transport';
import { connectTcp, connectWebSocket } from '@peerwire/transport/node';
import { CloseCode, toHex, wallClock } from '@peerwire/wire';
import { type ContentBody, encodeContentBody, signContentAuth } from '../content-auth.js';
import type { ContentStore } from '../content-store.js';
import { DMSG_HEADER_LENGTH } from '../dmsg.js';
import { DattEngine } from '../engine.js';
import {
  type Clock,
  type DattEvent,
  type DattOutput,
  type DattStats,
  DEFAULT_DATT_LIMITS,
  type ResolvedLimits,
} from '../engine-types.js';
import { DattError, DattRequestError } from '../errors.js';
import { platformRandom, publicKeyOf } from '../keys.js';
import { addressFromPublicKey } from '../payment-address.js';
import { closeCodeOf, FRAME_VIOLATIONS, remoteUrl, TRY_AGAIN_LATER } from './close-codes.js';
import { dmsgFraming } from './framing.js';
import { nodeSha256d } from './hash.js';
import { LevelContentStore } from './level-store.js';
import { type Listeners, listen } from './listen.js';
import type { PostOptions, PostResult, StartDattNodeOptions } from './options.js';
import { nodeCompact } from './secp256k1.js';
import { EventWaiters } from './waiters.js';

/** Default hard cap on the unsent bytes of one connection (4 MiB); past it the peer is cut off. */
export const DEFAULT_MAX_UNSENT_BYTES = 4 * 1024 * 1024;
/** Default time `connect` may take: 10 s. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

const URL_PATTERN = /^(tcp|wss?):\/\/(\[[^\]]+\]|[^:/]+):(\d+)(\/.*)?$/;

/**
 * A running Datt node (`startDattNode`): a content store, TCP and/or WebSocket listeners
 * (`@peerwire/transport`), and the sans-I/O engine driven by them, with `node:crypto` hashing
 * the DMsg checksums.
 */
export class DattNode {
  /** The ports actually bound. */
  readonly ports: { readonly tcp?: number; readonly ws?: number };
  readonly publicKey: Uint8Array;
  /** P2PKH address of the node key (the default payout address of its posts). */
  readonly address: Uint8Array;
  readonly engine: DattEngine;

  readonly #options: StartDattNodeOptions;
  readonly #clock: Clock;
  readonly #limits: ResolvedLimits;
  readonly #store: ContentStore;
  /** The store this node opened (and closes), when none was given. */
  readonly #ownStore: LevelContentStore | undefined;
  readonly #linkOptions: LinkOptions;
  readonly #framing: ReturnType<typeof dmsgFraming>;
  readonly #links = new Map<string, Link>();
  /** Resolves when each open link has closed (awaited by `close`). */
  readonly #openLinks = new Set<Promise<void>>();
  readonly #waiters = new EventWaiters();
  #listeners: Listeners | undefined;
  #timer: NodeJS.Timeout | undefined;
  #nextId = 0;
  #closed = false;

  /** Opens the store and the listeners; see `StartDattNodeOptions`. */
  static async start(options: StartDattNodeOptions): Promise<DattNode> {
    if (!options.store && options.dataDir === undefined) {
      throw new DattError('BAD_VALUE', 'startDattNode needs a dataDir (or a store of your own)');
    }
    const ownStore = options.store ? undefined : await LevelContentStore.open(options.dataDir!);
    const node = new DattNode(options, ownStore);
    const limits = node.#limits;
    try {
      node.#listeners = await listen(
        {
          host: options.host ?? '127.0.0.1',
          ...(options.tcpPort !== undefined ? { tcpPort: options.tcpPort } : {}),
          ...(options.wsPort !== undefined ? { wsPort: options.wsPort } : {}),
          ...(options.wsPath !== undefined ? { wsPath: options.wsPath } : {}),
          link: node.#linkOptions,
          framing: node.#framing,
          maxPayload: DMSG_HEADER_LENGTH + limits.maxDataLength,
          maxLinks: limits.maxPeers,
          onError: (error) => options.onTransportError?.(error, undefined),
        },
        (link, fallback) => node.#attach(link, false, fallback),
      );
    } catch (error) {
      await ownStore?.close();
      throw error;
    }
    Object.assign(node.ports, node.#listeners.ports);
    return node;
  }

  private constructor(options: StartDattNodeOptions, ownStore: LevelContentStore | undefined) {
    this.#options = options;
    this.#clock = options.clock ?? wallClock;
    this.#limits = { ...DEFAULT_DATT_LIMITS, ...options.limits };
    this.#ownStore = ownStore;
    this.#store = options.store ?? ownStore!;
    this.ports = {};
    this.publicKey = publicKeyOf(options.keys.privateKey);
    this.address = addressFromPublicKey(this.publicKey);
    this.#framing = dmsgFraming({ maxDataLength: this.#limits.maxDataLength });
    this.#linkOptions = {
      // The transport wants the hard cap at or above the high-water mark.
      maxBufferedAmount: Math.max(DEFAULT_MAX_UNSENT_BYTES, options.link?.highWaterMark ?? 0),
      ...options.link,
    };
    this.engine = new DattEngine({
      store: this.#store,
      clock: this.#clock,
      random: options.random ?? platformRandom,
      output: (out) => this.#output(out),
      limits: options.limits,
      policy: options.policy,
      sha256d: nodeSha256d,
      compact: nodeCompact,
    });
  }

  get stats(): DattStats {
    return this.engine.stats;
  }

  /** Dials `tcp://host:port` or `ws://host:port[/path]`; resolves with the peer id once ready. */
  async connect(url: string): Promise<string> {
    if (this.#closed) throw new DattRequestError('SHUT_DOWN', 'the node is closed');
    const m = URL_PATTERN.exec(url);
    if (!m) {
      throw new DattRequestError(
        'BAD_URL',
        `${JSON.stringify(url)} is not tcp://host:port or ws://host:port/path`,
      );
    }
    const timeoutMs = this.#options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    let link: Link;
    try {
      link =
        m[1] === 'tcp'
          ? await connectTcp({
              ...this.#linkOptions,
              host: m[2]!.replace(/^\[|\]$/g, ''),
              port: Number(m[3]),
              framing: this.#framing,
              timeoutMs,
            })
          : await connectWebSocket(url, {
              ...this.#linkOptions,
              maxPayload: DMSG_HEADER_LENGTH + this.#limits.maxDataLength,
              onTextMessage: 'close',
              timeoutMs,
            });
    } catch (cause) {
      const why = cause instanceof Error ? cause.message : String(cause);
      const code = (cause as { code?: string }).code === 'TIMEOUT' ? 'TIMEOUT' : 'CLOSED';
      throw new DattRequestError(code, `could not connect to ${url}: ${why}`, { cause });
    }
    if (this.#closed) {
      link.close(CloseCode.GoingAway, 'node shutting down');
      throw new DattRequestError('SHUT_DOWN', 'the node is closed');
    }
    const id = this.#attach(link, true, url);
    if (id === undefined) {
      throw new DattRequestError(
        'CLOSED',
        `not connecting to ${url}: this node already has limits.maxPeers (${this.#limits.maxPeers}) peers`,
      );
    }
    const event = await this.#waiters.wait(`ready:${id}`);
    if (event.type !== 'peer-ready') {
      throw new DattRequestError('CLOSED', `${url} closed the connection during the init exchange`);
    }
    return id;
  }

  /** Signs content with the node key, stores it, and posts it to peers. */
  async post(
    content: Uint8Array | Omit<ContentBody, 'type'>,
    options: PostOptions = {},
  ): Promise<PostResult> {
    const bytes = content instanceof Uint8Array ? content : encodeContentBody(content);
    const { peers: given, date, ...rest } = options;
    const signed = signContentAuth(
      { ...rest, content: bytes, date: date ?? this.#clock.now() },
      this.#options.keys.privateKey,
      nodeCompact,
    );
    await this.engine.publish(signed.hash, signed.bytes);
    const results = await Promise.all(
      (given ? [...given] : this.engine.readyPeers()).map(async (peer) => {
        const event = await this.#request(
          `post:${peer}:${toHex(signed.hash)}`,
          peer,
          signed.hash,
          'post',
          () => this.engine.postContent(peer, signed.hash, signed.bytes),
        );
        if (event.type === 'post-result') {
          return event.txid ? { peer, ok: true, txid: event.txid } : { peer, ok: true };
        }
        const reason = event.type === 'request-failed' ? event.reason : 'CLOSED';
        return {
          peer,
          ok: false,
          error: new DattRequestError(reason, `posting to ${peer} failed: ${reason}`),
        };
      }),
    );
    return { hash: signed.hash, contentAuth: signed.bytes, peers: results };
  }

  /** ContentAuth bytes by hash: from the local store, else from the peers in turn. */
  async get(
    hash: Uint8Array,
    options: { readonly peers?: readonly string[] } = {},
  ): Promise<Uint8Array> {
    const local = await this.#store.get(hash);
    if (local) return local;
    const peers = options.peers ? [...options.peers] : this.engine.readyPeers();
    if (peers.length === 0) throw new DattRequestError('NO_PEER', 'no connected peer to ask');
    let last: DattRequestError | undefined;
    for (const peer of peers) {
      const event = await this.#request(`get:${peer}:${toHex(hash)}`, peer, hash, 'get', () =>
        this.engine.requestContent(peer, hash),
      );
      if (event.type === 'content-received') return event.contentAuth;
      const reason = event.type === 'request-failed' ? event.reason : 'CLOSED';
      last = new DattRequestError(reason, `getting ${toHex(hash)} from ${peer} failed: ${reason}`);
    }
    if (last?.code === 'NOT_FOUND') {
      throw new DattRequestError('NOT_FOUND', `no peer has content ${toHex(hash)}`);
    }
    throw last!;
  }

  /** Peers that finished the init exchange. */
  peers(): string[] {
    return this.engine.readyPeers();
  }

  /** Disconnects a peer. */
  disconnect(peer: string): void {
    this.engine.close(peer);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    for (const [id, link] of [...this.#links]) {
      link.close(CloseCode.GoingAway, 'node shutting down');
      this.engine.close(id, 'LOCAL', 'node shutting down');
    }
    await this.#listeners?.close();
    await Promise.all(this.#openLinks);
    await this.engine.idle();
    await this.#ownStore?.close();
  }

  /** Starts an engine request and waits for its outcome event (a failure to start is `CLOSED`). */
  #request(
    key: string,
    peer: string,
    hash: Uint8Array,
    purpose: 'get' | 'post',
    start: () => void,
  ): Promise<DattEvent> {
    const done = this.#waiters.wait(key);
    try {
      start();
    } catch {
      this.#waiters.wake(key, { type: 'request-failed', peer, hash, purpose, reason: 'CLOSED' });
    }
    return done;
  }

  #output(out: DattOutput): void {
    switch (out.type) {
      case 'send':
        this.#links.get(out.peer)?.send(out.bytes);
        return;
      case 'close':
        // The link's close event then removes the peer from the engine.
        this.#links.get(out.peer)?.close(closeCodeOf(out.reason), out.message);
        return;
      case 'timer':
        if (this.#timer) clearTimeout(this.#timer);
        this.#timer = setTimeout(() => this.engine.tick(), Math.max(0, out.at - this.#clock.now()));
        this.#timer.unref();
        return;
      case 'event':
        this.#route(out.event);
        this.#options.onEvent?.(out.event);
        return;
    }
  }

  #route(event: DattEvent): void {
    switch (event.type) {
      case 'peer-ready':
      case 'peer-closed':
        this.#waiters.wake(`ready:${event.peer}`, event);
        return;
      case 'content-received':
        if (event.requested) this.#waiters.wake(`get:${event.peer}:${toHex(event.hash)}`, event);
        return;
      case 'post-result':
        this.#waiters.wake(`post:${event.peer}:${toHex(event.hash)}`, event);
        return;
      case 'request-failed':
        this.#waiters.wake(`${event.purpose}:${event.peer}:${toHex(event.hash)}`, event);
        return;
      case 'payment-requested':
        void this.#pay(event);
        return;
      default:
        return;
    }
  }

  async #pay(event: Extract<DattEvent, { type: 'payment-requested' }>): Promise<void> {
    let tx: Uint8Array | undefined;
    try {
      tx = await this.#options.wallet?.({
        ...event.request,
        peer: event.peer,
        purpose: event.purpose,
      });
    } catch {
      tx = undefined;
    }
    try {
      if (tx) this.engine.pay(event.peer, event.request.ref, tx);
      else this.engine.declinePayment(event.peer, event.request.ref);
    } catch {
      // The peer went away meanwhile; its requests already failed with CLOSED.
    }
  }

  /** Registers a new link with the engine; returns its peer id, or undefined when the engine is full. */
  #attach(link: Link, outbound: boolean, fallbackRemote: string): string | undefined {
    const id = `${remoteUrl(link, fallbackRemote)}#${++this.#nextId}`;
    this.#links.set(id, link);
    let violation: TransportError | undefined;
    link.on('message', (bytes) => this.engine.receive(id, bytes));
    link.on('error', (error) => {
      violation = error;
      this.#options.onTransportError?.(error, id);
    });
    const gone = new Promise<void>((resolve) => {
      link.on('close', (info) => {
        this.#links.delete(id);
        // The transport refused what the peer sent (bad DMsg header, oversized or text
        // message): count it like the engine's own bad frames.
        if (info.local && FRAME_VIOLATIONS.has(info.code)) {
          this.engine.close(id, 'BAD_FRAME', violation?.message ?? info.reason);
        }
        this.engine.removePeer(id);
        resolve();
      });
    });
    this.#openLinks.add(gone);
    void gone.then(() => this.#openLinks.delete(gone));
    try {
      this.engine.addPeer(id, { outbound, framing: 'message' });
    } catch {
      link.close(TRY_AGAIN_LATER, 'too many peers');
      return undefined;
    }
    return id;
  }
}
