import { CloseCode, type Link, type LinkOptions, type TransportError } from '@peerwire/transport';
import {
  attachWebSocketServer,
  connectTcp,
  connectWebSocket,
  createWebServer,
  listenTcp,
  listenWebServer,
} from '@peerwire/transport/node';
import { toHex } from '@peerwire/wire';
import {
  type ContentAuthInit,
  type ContentBody,
  encodeContentBody,
  signContentAuth,
} from '../content-auth.js';
import type { ContentStore } from '../content-store.js';
import { DMSG_HEADER_LENGTH } from '../dmsg.js';
import { DattEngine } from '../engine.js';
import {
  type Clock,
  type DattEvent,
  type DattLimits,
  type DattOutput,
  type DattPolicy,
  type DattStats,
  DEFAULT_DATT_LIMITS,
  type DisconnectReason,
} from '../engine-types.js';
import { DattError, DattRequestError } from '../errors.js';
import { platformRandom, publicKeyOf, type RandomSource } from '../keys.js';
import type { PaymentRequest } from '../payment.js';
import { addressFromPublicKey } from '../payment-address.js';
import { dmsgFraming } from './framing.js';
import { nodeSha256d } from './hash.js';
import { LevelContentStore } from './level-store.js';
import { nodeCompact } from './secp256k1.js';

/** A payment the node is asked to make; return a raw transaction to pay, undefined to decline. */
export type Wallet = (
  request: PaymentRequest & { readonly peer: string; readonly purpose: 'get' | 'post' },
) => Uint8Array | undefined | Promise<Uint8Array | undefined>;

/** Options of `startDattNode`. */
export interface StartDattNodeOptions {
  /**
   * Directory of the node's data; the content store is LevelDB in `<dataDir>/content`. Required
   * unless `store` is given.
   */
  readonly dataDir?: string;
  /** Listen address (default `127.0.0.1`). */
  readonly host?: string;
  /** TCP port (0 = any free port); omit to not listen on TCP. */
  readonly tcpPort?: number;
  /** WebSocket port (0 = any free port); omit to not listen on WebSocket. */
  readonly wsPort?: number;
  /** Path of the WebSocket endpoint (default `/`); upgrades to other paths get 404. */
  readonly wsPath?: string;
  /**
   * Flow control of every connection (`@peerwire/transport` `LinkOptions`). The node's default
   * hard cap on unsent bytes is `DEFAULT_MAX_UNSENT_BYTES` (4 MiB): a peer that does not read is
   * cut off past it.
   */
  readonly link?: LinkOptions;
  /** How long `connect` may take (TCP, WebSocket upgrade); default `DEFAULT_CONNECT_TIMEOUT_MS` (10 s). */
  readonly connectTimeoutMs?: number;
  /** The node's secp256k1 key: it signs what `post` publishes. */
  readonly keys: { readonly privateKey: Uint8Array };
  readonly policy?: DattPolicy;
  readonly limits?: DattLimits;
  /** Pays `reqpayment`s of the peers this node gets from or posts to. Without it, payments are declined. */
  readonly wallet?: Wallet;
  /** Every engine event, for logs and metrics. */
  readonly onEvent?: (event: DattEvent) => void;
  /** Transport problems (bad frames, failed sends, handler errors), for logs. */
  readonly onTransportError?: (error: TransportError, peer: string | undefined) => void;
  /** Overrides for tests. */
  readonly clock?: Clock;
  readonly random?: RandomSource;
  /** Default: a `LevelContentStore` under `dataDir`. */
  readonly store?: ContentStore;
}

/** Options of `DattNode.post`. */
export interface PostOptions extends Omit<ContentAuthInit, 'content' | 'date'> {
  /** Peers to post to (default: every connected peer). */
  readonly peers?: readonly string[];
  /** Default: the clock's now. */
  readonly date?: number;
}

/** What `post` did. */
export interface PostResult {
  readonly hash: Uint8Array;
  readonly contentAuth: Uint8Array;
  /** One entry per peer posted to. */
  readonly peers: readonly {
    readonly peer: string;
    readonly ok: boolean;
    /** The paid transaction, when the peer asked for payment and acknowledged it. */
    readonly txid?: Uint8Array;
    readonly error?: DattRequestError;
  }[];
}

/** A running Datt node. */
export interface DattNode {
  /** The ports actually bound. */
  readonly ports: { readonly tcp?: number; readonly ws?: number };
  readonly stats: DattStats;
  readonly publicKey: Uint8Array;
  /** P2PKH address of the node key (the default payout address of its posts). */
  readonly address: Uint8Array;
  readonly engine: DattEngine;
  /** Dials `tcp://host:port` or `ws://host:port[/path]`; resolves with the peer id once ready. */
  connect(url: string): Promise<string>;
  /** Signs content with the node key, stores it, and posts it to peers. */
  post(content: Uint8Array | Omit<ContentBody, 'type'>, options?: PostOptions): Promise<PostResult>;
  /** ContentAuth bytes by hash: from the local store, else from the peers in turn. */
  get(hash: Uint8Array, options?: { readonly peers?: readonly string[] }): Promise<Uint8Array>;
  /** Peers that finished the init exchange. */
  peers(): string[];
  /** Disconnects a peer. */
  disconnect(peer: string): void;
  close(): Promise<void>;
}

type Waiter = {
  resolve: (e: DattEvent) => void;
};

/** Default hard cap on the unsent bytes of one connection (4 MiB); past it the peer is cut off. */
export const DEFAULT_MAX_UNSENT_BYTES = 4 * 1024 * 1024;
/** Default time `connect` may take: 10 s. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** The close code a peer is sent (WebSocket) or shown locally (TCP) for each disconnect reason. */
function closeCodeOf(reason: DisconnectReason): number {
  switch (reason) {
    case 'BAD_FRAME':
    case 'BAD_MESSAGE':
    case 'UNKNOWN_COMMAND':
    case 'PROTOCOL':
      return CloseCode.ProtocolError;
    case 'BAD_SIGNATURE':
    case 'FLOODING':
    case 'HANDSHAKE_TIMEOUT':
      return CloseCode.PolicyViolation;
    default:
      return CloseCode.Normal;
  }
}

/** Close codes with which the transport itself refuses what a peer sent: counted as `BAD_FRAME`. */
const FRAME_VIOLATIONS: ReadonlySet<number> = new Set([
  CloseCode.ProtocolError,
  CloseCode.UnsupportedData,
  CloseCode.InvalidData,
  CloseCode.MessageTooBig,
]);

/** WebSocket close code 1013 (try again later): the node already has `maxPeers` peers. */
const TRY_AGAIN_LATER = 1013;

/** `scheme://address:port` of a link's peer (IPv6 in brackets). */
function remoteUrl(link: Link, fallback: string): string {
  const r = link.remote;
  if (!r) return fallback;
  const host = r.family === 'IPv6' ? `[${r.address}]` : r.address;
  return `${link.kind === 'tcp' ? 'tcp' : 'ws'}://${host}:${r.port}`;
}

/**
 * Starts a Datt node: a LevelDB content store in `dataDir`, TCP and/or WebSocket listeners
 * (`@peerwire/transport`: DMsg-framed TCP, one DMsg per binary WebSocket message), and the
 * sans-I/O engine driven by them, with `node:crypto` hashing the DMsg checksums.
 */
export async function startDattNode(options: StartDattNodeOptions): Promise<DattNode> {
  const host = options.host ?? '127.0.0.1';
  const clock = options.clock ?? { now: () => Date.now() };
  const random = options.random ?? platformRandom;
  const limits = { ...DEFAULT_DATT_LIMITS, ...options.limits };
  const publicKey = publicKeyOf(options.keys.privateKey);
  if (!options.store && options.dataDir === undefined) {
    throw new DattError('BAD_VALUE', 'startDattNode needs a dataDir (or a store of your own)');
  }
  const ownStore = options.store ? undefined : await LevelContentStore.open(options.dataDir!);
  const store = options.store ?? ownStore!;
  const links = new Map<string, Link>();
  /** Resolves when each open link has closed (awaited by `close`). */
  const openLinks = new Set<Promise<void>>();
  const waiters = new Map<string, Waiter[]>();
  let timer: NodeJS.Timeout | undefined;
  let nextId = 0;
  let closed = false;

  const waitFor = (key: string): Promise<DattEvent> =>
    new Promise((resolve) => {
      const list = waiters.get(key) ?? [];
      list.push({ resolve });
      waiters.set(key, list);
    });
  const wake = (key: string, event: DattEvent) => {
    const list = waiters.get(key);
    if (!list) return;
    waiters.delete(key);
    for (const w of list) w.resolve(event);
  };

  const onOutput = (out: DattOutput) => {
    switch (out.type) {
      case 'send':
        links.get(out.peer)?.send(out.bytes);
        return;
      case 'close':
        // The link's close event then removes the peer from the engine.
        links.get(out.peer)?.close(closeCodeOf(out.reason), out.message);
        return;
      case 'timer':
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => engine.tick(), Math.max(0, out.at - clock.now()));
        timer.unref();
        return;
      case 'event':
        route(out.event);
        options.onEvent?.(out.event);
        return;
    }
  };

  const route = (event: DattEvent) => {
    switch (event.type) {
      case 'peer-ready':
        wake(`ready:${event.peer}`, event);
        return;
      case 'peer-closed':
        wake(`ready:${event.peer}`, event);
        return;
      case 'content-received':
        if (event.requested) wake(`get:${event.peer}:${toHex(event.hash)}`, event);
        return;
      case 'post-result':
        wake(`post:${event.peer}:${toHex(event.hash)}`, event);
        return;
      case 'request-failed':
        wake(`${event.purpose}:${event.peer}:${toHex(event.hash)}`, event);
        return;
      case 'payment-requested':
        void pay(event);
        return;
      default:
        return;
    }
  };

  const pay = async (event: Extract<DattEvent, { type: 'payment-requested' }>) => {
    let tx: Uint8Array | undefined;
    try {
      tx = await options.wallet?.({ ...event.request, peer: event.peer, purpose: event.purpose });
    } catch {
      tx = undefined;
    }
    try {
      if (tx) engine.pay(event.peer, event.request.ref, tx);
      else engine.declinePayment(event.peer, event.request.ref);
    } catch {
      // The peer went away meanwhile; its requests already failed with CLOSED.
    }
  };

  const engine = new DattEngine({
    store,
    clock,
    random,
    output: onOutput,
    limits: options.limits,
    policy: options.policy,
    sha256d: nodeSha256d,
    compact: nodeCompact,
  });

  /** Registers a new link with the engine; returns its peer id, or undefined when the engine is full. */
  const attach = (link: Link, outbound: boolean, fallbackRemote: string): string | undefined => {
    const id = `${remoteUrl(link, fallbackRemote)}#${++nextId}`;
    links.set(id, link);
    let violation: TransportError | undefined;
    link.on('message', (bytes) => engine.receive(id, bytes));
    link.on('error', (error) => {
      violation = error;
      options.onTransportError?.(error, id);
    });
    const gone = new Promise<void>((resolve) => {
      link.on('close', (info) => {
        links.delete(id);
        // The transport refused what the peer sent (bad DMsg header, oversized or text
        // message): count it like the engine's own bad frames.
        if (info.local && FRAME_VIOLATIONS.has(info.code)) {
          engine.close(id, 'BAD_FRAME', violation?.message ?? info.reason);
        }
        engine.removePeer(id);
        resolve();
      });
    });
    openLinks.add(gone);
    void gone.then(() => openLinks.delete(gone));
    try {
      engine.addPeer(id, { outbound, framing: 'message' });
    } catch {
      link.close(TRY_AGAIN_LATER, 'too many peers');
      return undefined;
    }
    return id;
  };

  const framing = dmsgFraming({ maxDataLength: limits.maxDataLength });
  const maxPayload = DMSG_HEADER_LENGTH + limits.maxDataLength;
  const linkOptions: LinkOptions = {
    // The transport wants the hard cap at or above the high-water mark.
    maxBufferedAmount: Math.max(DEFAULT_MAX_UNSENT_BYTES, options.link?.highWaterMark ?? 0),
    ...options.link,
  };
  const reportListenerError = (error: TransportError) =>
    options.onTransportError?.(error, undefined);
  const stoppers: (() => Promise<void>)[] = [];
  const ports: { tcp?: number; ws?: number } = {};
  try {
    if (options.tcpPort !== undefined) {
      const server = await listenTcp(
        {
          ...linkOptions,
          host,
          port: options.tcpPort,
          framing,
          maxLinks: limits.maxPeers,
          onError: reportListenerError,
        },
        (link) => attach(link, false, 'tcp://unknown'),
      );
      stoppers.push(() => server.close());
      ports.tcp = server.port;
    }
    if (options.wsPort !== undefined) {
      const web = createWebServer();
      const endpoint = attachWebSocketServer(
        web,
        {
          ...linkOptions,
          path: options.wsPath ?? '/',
          maxPayload,
          onTextMessage: 'close',
          maxLinks: limits.maxPeers,
          onError: reportListenerError,
        },
        (link) => attach(link, false, 'ws://unknown'),
      );
      stoppers.push(async () => {
        await endpoint.close();
        await new Promise<void>((done) => {
          web.close(() => done());
          web.closeAllConnections();
        });
      });
      ports.ws = (await listenWebServer(web, { port: options.wsPort, host })).port;
    }
  } catch (error) {
    await Promise.all(stoppers.map((stop) => stop()));
    await ownStore?.close();
    throw error;
  }

  const targets = (given: readonly string[] | undefined): string[] => {
    const list = given ? [...given] : engine.readyPeers();
    return list;
  };

  const node: DattNode = {
    ports,
    stats: engine.stats,
    publicKey,
    address: addressFromPublicKey(publicKey),
    engine,

    async connect(url) {
      if (closed) throw new DattRequestError('SHUT_DOWN', 'the node is closed');
      const m = /^(tcp|wss?):\/\/(\[[^\]]+\]|[^:/]+):(\d+)(\/.*)?$/.exec(url);
      if (!m) {
        throw new DattRequestError(
          'BAD_URL',
          `${JSON.stringify(url)} is not tcp://host:port or ws://host:port/path`,
        );
      }
      const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
      let link: Link;
      try {
        link =
          m[1] === 'tcp'
            ? await connectTcp({
                ...linkOptions,
                host: m[2]!.replace(/^\[|\]$/g, ''),
                port: Number(m[3]),
                framing,
                timeoutMs,
              })
            : await connectWebSocket(url, {
                ...linkOptions,
                maxPayload,
                onTextMessage: 'close',
                timeoutMs,
              });
      } catch (cause) {
        const why = cause instanceof Error ? cause.message : String(cause);
        const code = (cause as { code?: string }).code === 'TIMEOUT' ? 'TIMEOUT' : 'CLOSED';
        throw new DattRequestError(code, `could not connect to ${url}: ${why}`, { cause });
      }
      if (closed) {
        link.close(CloseCode.GoingAway, 'node shutting down');
        throw new DattRequestError('SHUT_DOWN', 'the node is closed');
      }
      const id = attach(link, true, url);
      if (id === undefined) {
        throw new DattRequestError(
          'CLOSED',
          `not connecting to ${url}: this node already has limits.maxPeers (${limits.maxPeers}) peers`,
        );
      }
      const event = await waitFor(`ready:${id}`);
      if (event.type !== 'peer-ready') {
        throw new DattRequestError(
          'CLOSED',
          `${url} closed the connection during the init exchange`,
        );
      }
      return id;
    },

    async post(content, postOptions = {}) {
      const bytes = content instanceof Uint8Array ? content : encodeContentBody(content);
      const { peers: given, date, ...rest } = postOptions;
      const signed = signContentAuth(
        { ...rest, content: bytes, date: date ?? clock.now() },
        options.keys.privateKey,
        nodeCompact,
      );
      await engine.publish(signed.hash, signed.bytes);
      const results = await Promise.all(
        targets(given).map(async (peer) => {
          const key = `post:${peer}:${toHex(signed.hash)}`;
          const done = waitFor(key);
          try {
            engine.postContent(peer, signed.hash, signed.bytes);
          } catch {
            wake(key, {
              type: 'request-failed',
              peer,
              hash: signed.hash,
              purpose: 'post',
              reason: 'CLOSED',
            });
          }
          const event = await done;
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
    },

    async get(hash, getOptions = {}) {
      const local = await store.get(hash);
      if (local) return local;
      const peers = targets(getOptions.peers);
      if (peers.length === 0) throw new DattRequestError('NO_PEER', 'no connected peer to ask');
      let last: DattRequestError | undefined;
      for (const peer of peers) {
        const key = `get:${peer}:${toHex(hash)}`;
        const done = waitFor(key);
        try {
          engine.requestContent(peer, hash);
        } catch {
          wake(key, { type: 'request-failed', peer, hash, purpose: 'get', reason: 'CLOSED' });
        }
        const event = await done;
        if (event.type === 'content-received') return event.contentAuth;
        const reason = event.type === 'request-failed' ? event.reason : 'CLOSED';
        last = new DattRequestError(
          reason,
          `getting ${toHex(hash)} from ${peer} failed: ${reason}`,
        );
      }
      if (last?.code === 'NOT_FOUND') {
        throw new DattRequestError('NOT_FOUND', `no peer has content ${toHex(hash)}`);
      }
      throw last!;
    },

    peers: () => engine.readyPeers(),

    disconnect(peer) {
      engine.close(peer);
    },

    async close() {
      if (closed) return;
      closed = true;
      if (timer) clearTimeout(timer);
      for (const [id, link] of [...links]) {
        link.close(CloseCode.GoingAway, 'node shutting down');
        engine.close(id, 'LOCAL', 'node shutting down');
      }
      await Promise.all(stoppers.map((stop) => stop()));
      await Promise.all(openLinks);
      await engine.idle();
      await ownStore?.close();
    },
  };
  return node;
}
