import { toHex } from '@peerwire/wire';
import type { CompactBackend, VerifyOptions } from './bsm.js';
import {
  type ContentAuth,
  decodeContentAuth,
  HASH_LENGTH,
  verifyContentAuth,
} from './content-auth.js';
import type { ContentStore } from './content-store.js';
import {
  DEFAULT_MAX_DMSG_DATA_LENGTH,
  type Dmsg,
  DmsgDecoder,
  type DmsgOptions,
  decodeDmsg,
} from './dmsg.js';
import { DattError, type DattRequestErrorCode } from './errors.js';
import type { HashFunction } from './hash.js';
import type { RandomSource } from './keys.js';
import {
  DATT_PROTOCOL_VERSION,
  type DattMessage,
  decodeMessageData,
  encodeMessage,
  type InitInfo,
  PING_NONCE_LENGTH,
  Services,
} from './messages.js';
import { type PaymentRequest, verifyPayment } from './payment.js';
import { ADDRESS_LENGTH, scriptPubKeyFor } from './payment-address.js';

/** The engine's view of time: milliseconds (any epoch; `Date.now` in production). */
export interface Clock {
  now(): number;
}

/**
 * How a connection delivers bytes: a byte stream (raw TCP bytes), or one whole DMsg per
 * `receive` (a WebSocket message, or a frame from `DmsgFramer` / the `./node` TCP framing).
 */
export type Framing = 'stream' | 'message';

/** Why a connection was closed. The first seven are counted as misbehaviour. */
export type DisconnectReason =
  /** A DMsg that does not decode: wrong magic, bad checksum, oversize, bad command name. */
  | 'BAD_FRAME'
  /** A known command whose data has the wrong layout. */
  | 'BAD_MESSAGE'
  /** Signed content whose signature, key or content hash does not verify. */
  | 'BAD_SIGNATURE'
  /** A command this node does not know (the reference disconnects too). */
  | 'UNKNOWN_COMMAND'
  /** A message out of order: anything before the init exchange, a second init, ... */
  | 'PROTOCOL'
  /** More unprocessed messages queued than `maxQueuedMessages`. */
  | 'FLOODING'
  /** No init / initack within `handshakeTimeoutMs`. */
  | 'HANDSHAKE_TIMEOUT'
  /** The local application closed it. */
  | 'LOCAL'
  /** The remote side or the transport closed it. */
  | 'REMOTE';

const MISBEHAVIOUR: ReadonlySet<DisconnectReason> = new Set([
  'BAD_FRAME',
  'BAD_MESSAGE',
  'BAD_SIGNATURE',
  'UNKNOWN_COMMAND',
  'PROTOCOL',
  'FLOODING',
  'HANDSHAKE_TIMEOUT',
]);

/** A price: fixed satoshis, or a function of the content (0n = free). */
export type Price = bigint | ((hash: Uint8Array, contentAuth: ContentAuth) => bigint);

/** What this node serves, accepts and charges. */
export interface DattPolicy {
  /** Answer `getdata` (service bit 1). Default true. */
  readonly serveContent?: boolean;
  /** Accept `postdata` (service bit 2). Default true. */
  readonly acceptPosts?: boolean;
  /** Satoshis asked before serving content. Default 0n (free). */
  readonly getPrice?: Price;
  /** Satoshis asked before storing posted content. Default 0n (free). */
  readonly postPrice?: Price;
  /** 21-byte address payments go to; required when a price can be non-zero. */
  readonly payTo?: Uint8Array;
  /** Keep content this node fetched with `requestContent` in its own store. Default true. */
  readonly storeFetched?: boolean;
  /** URIs sent in `init`/`initack` (where this node listens). Default none. */
  readonly advertise?: readonly string[];
}

/** Every limit of the engine. All have safe defaults. */
export interface DattLimits {
  /** Largest DMsg data accepted and sent (default 30000 bytes). */
  readonly maxDataLength?: number;
  /** Time a new connection has to complete init/initack (default 10 s). */
  readonly handshakeTimeoutMs?: number;
  /** Time a `requestContent`/`postContent` waits for its answer (default 30 s). */
  readonly requestTimeoutMs?: number;
  /** Time a payment request stays open for the payer (default 60 s). */
  readonly paymentTimeoutMs?: number;
  /** Open payment requests per peer; more `getdata`/`postdata` needing payment are ignored (default 16). */
  readonly maxPendingPaymentsPerPeer?: number;
  /** Bytes of posted content held while waiting for payment, per peer (default 256 KiB). */
  readonly maxPendingPostBytesPerPeer?: number;
  /** Transaction ids remembered to refuse a second use (default 100000; oldest forgotten first). */
  readonly maxSeenTxids?: number;
  /** Received messages queued for processing per peer before it is cut off as `FLOODING` (default 1024). */
  readonly maxQueuedMessages?: number;
  /** Connections the engine accepts at once; `addPeer` beyond it throws (default 10000). */
  readonly maxPeers?: number;
}

type ResolvedLimits = Required<DattLimits>;

export const DEFAULT_DATT_LIMITS: ResolvedLimits = {
  maxDataLength: DEFAULT_MAX_DMSG_DATA_LENGTH,
  handshakeTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  paymentTimeoutMs: 60_000,
  maxPendingPaymentsPerPeer: 16,
  maxPendingPostBytesPerPeer: 256 * 1024,
  maxSeenTxids: 100_000,
  maxQueuedMessages: 1024,
  maxPeers: 10_000,
};

/** What the engine hands out: bytes to send, connections to close, a wake-up time, events. */
export type DattOutput =
  | { readonly type: 'send'; readonly peer: string; readonly bytes: Uint8Array }
  | {
      readonly type: 'close';
      readonly peer: string;
      readonly reason: DisconnectReason;
      readonly message: string;
    }
  /** Call `tick()` at (or after) this clock time. Replaces any earlier timer request. */
  | { readonly type: 'timer'; readonly at: number }
  | { readonly type: 'event'; readonly event: DattEvent };

/** Why a client request (`requestContent`, `postContent`) failed. */
export type RequestFailure = Extract<
  DattRequestErrorCode,
  /** NOT_FOUND: the peer answered the barrier ping without the content (it does not have it). */
  /** PAYMENT_REJECTED: the peer answered the barrier ping after `sendpayment` without a `paymentack`. */
  'TIMEOUT' | 'CLOSED' | 'PAYMENT_DECLINED' | 'NOT_FOUND' | 'PAYMENT_REJECTED'
>;

/** Events, for applications and logs. */
export type DattEvent =
  | { readonly type: 'peer-ready'; readonly peer: string; readonly remote: InitInfo }
  | { readonly type: 'peer-closed'; readonly peer: string; readonly reason: DisconnectReason }
  | {
      readonly type: 'misbehaved';
      readonly peer: string;
      readonly reason: DisconnectReason;
      readonly message: string;
    }
  | { readonly type: 'content-stored'; readonly hash: Uint8Array; readonly peer?: string }
  | { readonly type: 'content-served'; readonly hash: Uint8Array; readonly peer: string }
  | {
      readonly type: 'content-received';
      readonly peer: string;
      readonly hash: Uint8Array;
      readonly contentAuth: Uint8Array;
      /** True when it answers our `requestContent`. */
      readonly requested: boolean;
    }
  | {
      readonly type: 'payment-requested';
      readonly peer: string;
      readonly request: PaymentRequest;
      readonly purpose: 'get' | 'post';
    }
  | {
      readonly type: 'payment-accepted';
      readonly peer: string;
      readonly ref: Uint8Array;
      readonly txid: Uint8Array;
      readonly value: bigint;
    }
  | {
      readonly type: 'payment-rejected';
      readonly peer: string;
      readonly ref: Uint8Array;
      readonly code: string;
      readonly message: string;
    }
  | {
      readonly type: 'post-result';
      readonly peer: string;
      readonly hash: Uint8Array;
      /** `txid` when the post was paid for and acknowledged. */
      readonly txid?: Uint8Array;
    }
  | {
      readonly type: 'request-failed';
      readonly peer: string;
      readonly hash: Uint8Array;
      readonly purpose: 'get' | 'post';
      readonly reason: RequestFailure;
    }
  | { readonly type: 'pong'; readonly peer: string; readonly rttMs: number }
  | { readonly type: 'store-failed'; readonly hash: Uint8Array; readonly message: string }
  | {
      readonly type: 'ignored';
      readonly peer: string;
      readonly command: string;
      readonly why: string;
    };

/** Counters, for metrics. */
export interface DattStats {
  peers: number;
  messagesIn: number;
  messagesOut: number;
  bytesIn: number;
  bytesOut: number;
  /** Connections closed for misbehaviour (sum of the misbehaviour reasons). */
  misbehaving: number;
  disconnects: Record<DisconnectReason, number>;
  contentStored: number;
  contentServed: number;
  paymentsRequested: number;
  paymentsAccepted: number;
  paymentsRejected: number;
  ignored: number;
}

/** Options of a `DattEngine`. */
export interface DattEngineOptions {
  readonly store: ContentStore;
  readonly clock: Clock;
  readonly random: RandomSource;
  /** Receives every output, in order. */
  readonly output: (output: DattOutput) => void;
  readonly policy?: DattPolicy;
  readonly limits?: DattLimits;
  /**
   * SHA-256d for DMsg checksums, the engine's hot path (default: the portable pure-JS one). In
   * Node, `startDattNode` passes `nodeSha256d` (`node:crypto`).
   */
  readonly sha256d?: HashFunction;
  /**
   * secp256k1 for ContentAuth signatures (default: the portable `nobleCompact`). In Node,
   * `startDattNode` passes `nodeCompact` (libsecp256k1 in WebAssembly).
   */
  readonly compact?: CompactBackend;
}

interface ServerPending {
  readonly purpose: 'get' | 'post';
  readonly ref: Uint8Array;
  readonly amount: bigint;
  readonly address: Uint8Array;
  readonly expiresAt: number;
  /** The posted ContentAuth, held until paid. */
  readonly contentAuth?: Uint8Array;
}

interface ClientPending {
  readonly purpose: 'get' | 'post';
  readonly hash: Uint8Array;
  expiresAt: number;
  /** Nonce of the barrier ping that follows our last request to this peer. */
  barrier: string;
  state: 'waiting' | 'paying' | 'paid';
  txid?: Uint8Array;
}

interface Peer {
  readonly id: string;
  readonly outbound: boolean;
  readonly framing: Framing;
  readonly decoder: DmsgDecoder | undefined;
  state: 'handshake' | 'ready' | 'closed';
  handshakeDeadline: number;
  remote: InitInfo | undefined;
  queue: Promise<void>;
  queued: number;
  pendingPostBytes: number;
  readonly server: Map<string, ServerPending>;
  readonly client: Map<string, ClientPending>;
  readonly pings: Map<string, number>;
}

/** Reads the state through a call, so that narrowing does not survive calls that close the peer. */
function isClosed(peer: Peer): boolean {
  return peer.state === 'closed';
}

function priceOf(price: Price | undefined, hash: Uint8Array, ca: ContentAuth): bigint {
  if (price === undefined) return 0n;
  return typeof price === 'bigint' ? price : price(hash, ca);
}

/**
 * The Datt node as a sans-I/O state machine. Feed it connections (`addPeer`, `receive`,
 * `removePeer`), the time (`tick` when a requested timer fires) and application requests
 * (`requestContent`, `postContent`, `pay`, `ping`); it hands out bytes to send, connections to
 * close, timer requests and events through `output`. It opens no socket and reads no clock or
 * randomness of its own. Content goes through the injected `ContentStore` (async), so messages of
 * one peer are processed strictly in order, one at a time; `idle()` waits for all of them.
 */
export class DattEngine {
  readonly stats: DattStats = {
    peers: 0,
    messagesIn: 0,
    messagesOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    misbehaving: 0,
    disconnects: {
      BAD_FRAME: 0,
      BAD_MESSAGE: 0,
      BAD_SIGNATURE: 0,
      UNKNOWN_COMMAND: 0,
      PROTOCOL: 0,
      FLOODING: 0,
      HANDSHAKE_TIMEOUT: 0,
      LOCAL: 0,
      REMOTE: 0,
    },
    contentStored: 0,
    contentServed: 0,
    paymentsRequested: 0,
    paymentsAccepted: 0,
    paymentsRejected: 0,
    ignored: 0,
  };
  readonly limits: ResolvedLimits;
  readonly #store: ContentStore;
  readonly #clock: Clock;
  readonly #random: RandomSource;
  readonly #out: (output: DattOutput) => void;
  readonly #policy: DattPolicy;
  readonly #dmsg: DmsgOptions;
  readonly #verify: VerifyOptions;
  readonly #peers = new Map<string, Peer>();
  readonly #seenTxids = new Set<string>();
  #timerAt: number | undefined;

  constructor(options: DattEngineOptions) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#random = options.random;
    this.#out = options.output;
    this.#policy = options.policy ?? {};
    this.limits = { ...DEFAULT_DATT_LIMITS, ...options.limits };
    this.#verify = { backend: options.compact };
    this.#dmsg = options.sha256d
      ? { maxDataLength: this.limits.maxDataLength, sha256d: options.sha256d }
      : { maxDataLength: this.limits.maxDataLength };
    const payTo = this.#policy.payTo;
    if (payTo !== undefined) {
      if (payTo.length !== ADDRESS_LENGTH) {
        throw new DattError('BAD_LENGTH', `policy.payTo must be a ${ADDRESS_LENGTH}-byte address`);
      }
      scriptPubKeyFor(payTo); // BAD_ADDRESS for versions no payment can be checked against
    }
    const priced = (p: Price | undefined) => p !== undefined && p !== 0n;
    if ((priced(this.#policy.getPrice) || priced(this.#policy.postPrice)) && !payTo) {
      throw new DattError(
        'BAD_VALUE',
        'a policy with a price needs payTo (the address to be paid)',
      );
    }
  }

  /** The services this node announces. */
  get services(): bigint {
    let s = 0n;
    if (this.#policy.serveContent !== false) s |= Services.SERVES_CONTENT;
    if (this.#policy.acceptPosts !== false) s |= Services.ACCEPTS_POSTS;
    return s;
  }

  /** Ids of the connected peers that finished the init exchange. */
  readyPeers(): string[] {
    return [...this.#peers.values()].filter((p) => p.state === 'ready').map((p) => p.id);
  }

  /** What the peer announced in its init/initack, once ready. */
  remoteInfo(peer: string): InitInfo | undefined {
    return this.#peers.get(peer)?.remote;
  }

  // ---- connections ------------------------------------------------------------------------

  /**
   * A new connection. `outbound` (we dialled) sends `init` at once; an inbound peer must send
   * `init` within `handshakeTimeoutMs`. Throws `TOO_LARGE` above `maxPeers` and `BAD_VALUE` for
   * a duplicate id.
   */
  addPeer(id: string, options: { readonly outbound: boolean; readonly framing: Framing }): void {
    if (this.#peers.has(id)) throw new DattError('BAD_VALUE', `peer ${id} is already connected`);
    if (this.#peers.size >= this.limits.maxPeers) {
      throw new DattError(
        'TOO_LARGE',
        `the engine already has ${this.limits.maxPeers} peers (maxPeers)`,
      );
    }
    const peer: Peer = {
      id,
      outbound: options.outbound,
      framing: options.framing,
      decoder: options.framing === 'stream' ? new DmsgDecoder(this.#dmsg) : undefined,
      state: 'handshake',
      handshakeDeadline: this.#clock.now() + this.limits.handshakeTimeoutMs,
      remote: undefined,
      queue: Promise.resolve(),
      queued: 0,
      pendingPostBytes: 0,
      server: new Map(),
      client: new Map(),
      pings: new Map(),
    };
    this.#peers.set(id, peer);
    this.stats.peers = this.#peers.size;
    if (peer.outbound) this.#send(peer, { type: 'init', ...this.#initInfo() });
    this.#schedule();
  }

  /**
   * Bytes from a peer: any chunk of the stream (`stream` framing) or exactly one DMsg (`message`
   * framing). A bad frame closes the peer (`BAD_FRAME`) at once; good messages are queued and
   * processed in order.
   */
  receive(id: string, bytes: Uint8Array): void {
    const peer = this.#peers.get(id);
    if (!peer || peer.state === 'closed') return;
    this.stats.bytesIn += bytes.length;
    let frames: Dmsg[];
    try {
      frames = peer.decoder ? peer.decoder.push(bytes) : [decodeDmsg(bytes, this.#dmsg)];
    } catch (error) {
      this.#misbehaved(peer, 'BAD_FRAME', error);
      return;
    }
    for (const frame of frames) {
      if (isClosed(peer)) return;
      let msg: DattMessage;
      try {
        msg = decodeMessageData(frame.cmd, frame.data);
      } catch (error) {
        const code = error instanceof DattError ? error.code : '';
        this.#misbehaved(
          peer,
          code === 'UNKNOWN_COMMAND' ? 'UNKNOWN_COMMAND' : 'BAD_MESSAGE',
          error,
        );
        return;
      }
      this.stats.messagesIn++;
      if (peer.queued >= this.limits.maxQueuedMessages) {
        this.#close(peer, 'FLOODING', `more than ${this.limits.maxQueuedMessages} messages queued`);
        return;
      }
      peer.queued++;
      peer.queue = peer.queue.then(async () => {
        peer.queued--;
        if (peer.state === 'closed') return;
        try {
          await this.#handle(peer, msg);
        } catch (error) {
          // A store failure or a bug in a handler must not take the engine down.
          this.#emit({
            type: 'ignored',
            peer: peer.id,
            command: msg.type,
            why: error instanceof Error ? error.message : String(error),
          });
        }
        this.#schedule();
      });
    }
  }

  /** The transport closed the connection (counted as `REMOTE` unless the engine closed it). */
  removePeer(id: string, reason: DisconnectReason = 'REMOTE'): void {
    const peer = this.#peers.get(id);
    if (!peer) return;
    if (peer.state !== 'closed') this.#finish(peer, reason);
    this.#peers.delete(id);
    this.stats.peers = this.#peers.size;
  }

  /** Closes a connection from the application side. */
  close(
    id: string,
    reason: DisconnectReason = 'LOCAL',
    message = 'closed by the application',
  ): void {
    const peer = this.#peers.get(id);
    if (peer && peer.state !== 'closed') this.#close(peer, reason, message);
  }

  /** Resolves when every queued message has been processed. */
  async idle(): Promise<void> {
    for (;;) {
      const tails = [...this.#peers.values()].map((p) => p.queue);
      await Promise.all(tails);
      if ([...this.#peers.values()].every((p, i) => p.queue === tails[i])) return;
    }
  }

  /** Expires handshakes, payment requests and client requests whose time has come. */
  tick(): void {
    const now = this.#clock.now();
    this.#timerAt = undefined;
    for (const peer of [...this.#peers.values()]) {
      if (peer.state === 'closed') continue;
      if (peer.state === 'handshake' && now >= peer.handshakeDeadline) {
        this.#close(
          peer,
          'HANDSHAKE_TIMEOUT',
          `no init exchange within ${this.limits.handshakeTimeoutMs} ms`,
        );
        continue;
      }
      for (const [key, p] of peer.server) {
        if (now >= p.expiresAt) this.#dropServerPending(peer, key, p);
      }
      for (const [key, c] of peer.client) {
        if (now >= c.expiresAt) this.#failClient(peer, key, c, 'TIMEOUT');
      }
    }
    this.#schedule();
  }

  // ---- client actions ---------------------------------------------------------------------

  /**
   * Asks `peer` for content by hash (`getdata`, then a barrier `ping`). Ends with a
   * `content-received` event (`requested: true`) or `request-failed` (`NOT_FOUND`, `TIMEOUT`,
   * `CLOSED`, ...); a `payment-requested` event in between asks the application to `pay` or
   * `declinePayment`.
   */
  requestContent(peer: string, hash: Uint8Array): void {
    this.#clientRequest(peer, 'get', hash, { type: 'getdata', hash });
  }

  /**
   * Offers signed content to `peer` (`postdata`, then a barrier `ping`). Ends with `post-result`
   * (accepted without payment, or paid and acknowledged) or `request-failed`.
   */
  postContent(peer: string, hash: Uint8Array, contentAuth: Uint8Array): void {
    this.#clientRequest(peer, 'post', hash, { type: 'postdata', hash, contentAuth });
  }

  /** Answers a `payment-requested` event with a raw Bitcoin transaction (`sendpayment`). */
  pay(peerId: string, ref: Uint8Array, transaction: Uint8Array): void {
    const peer = this.#readyPeer(peerId);
    const pending = peer.client.get(toHex(ref));
    this.#send(peer, { type: 'sendpayment', ref, transaction });
    if (pending) {
      pending.state = 'paid';
      pending.barrier = this.#sendPing(peer);
      pending.expiresAt = this.#clock.now() + this.limits.requestTimeoutMs;
      this.#schedule();
    }
  }

  /** Gives up a request whose payment the application will not make (`request-failed`). */
  declinePayment(peerId: string, ref: Uint8Array): void {
    const peer = this.#peers.get(peerId);
    const key = toHex(ref);
    const pending = peer?.client.get(key);
    if (peer && pending) this.#failClient(peer, key, pending, 'PAYMENT_DECLINED');
  }

  /** Sends a ping; the `pong` event carries the round-trip time. */
  ping(peerId: string): void {
    this.#sendPing(this.#readyPeer(peerId));
  }

  /**
   * Stores verified content of this node's own (after `signContentAuth`). Throws the
   * verification error for content that does not verify.
   */
  async publish(hash: Uint8Array, contentAuth: Uint8Array): Promise<void> {
    verifyContentAuth(contentAuth, hash, this.#verify);
    await this.#store.put(hash, contentAuth);
    this.stats.contentStored++;
    this.#emit({ type: 'content-stored', hash });
  }

  // ---- internals --------------------------------------------------------------------------

  #initInfo(): InitInfo {
    return {
      version: DATT_PROTOCOL_VERSION,
      services: this.services,
      addresses: this.#policy.advertise ?? [],
    };
  }

  #emit(event: DattEvent): void {
    this.#out({ type: 'event', event });
  }

  #send(peer: Peer, msg: DattMessage): void {
    if (peer.state === 'closed') return;
    const bytes = encodeMessage(msg, this.#dmsg);
    this.stats.messagesOut++;
    this.stats.bytesOut += bytes.length;
    this.#out({ type: 'send', peer: peer.id, bytes });
  }

  #sendPing(peer: Peer): string {
    const nonce = this.#random(PING_NONCE_LENGTH);
    const key = toHex(nonce);
    peer.pings.set(key, this.#clock.now());
    if (peer.pings.size > 64) peer.pings.delete(peer.pings.keys().next().value!);
    this.#send(peer, { type: 'ping', nonce });
    return key;
  }

  #readyPeer(id: string): Peer {
    const peer = this.#peers.get(id);
    if (peer?.state !== 'ready') {
      throw new DattError(
        'BAD_VALUE',
        `peer ${id} is not connected or has not finished the init exchange`,
      );
    }
    return peer;
  }

  #clientRequest(id: string, purpose: 'get' | 'post', hash: Uint8Array, msg: DattMessage): void {
    const peer = this.#readyPeer(id);
    if (hash.length !== HASH_LENGTH)
      throw new DattError('BAD_LENGTH', 'a content hash is 32 bytes');
    const key = toHex(hash);
    this.#send(peer, msg);
    peer.client.set(key, {
      purpose,
      hash: hash.slice(),
      expiresAt: this.#clock.now() + this.limits.requestTimeoutMs,
      barrier: this.#sendPing(peer),
      state: 'waiting',
    });
    this.#schedule();
  }

  #failClient(peer: Peer, key: string, c: ClientPending, reason: RequestFailure): void {
    peer.client.delete(key);
    this.#emit({ type: 'request-failed', peer: peer.id, hash: c.hash, purpose: c.purpose, reason });
  }

  #dropServerPending(peer: Peer, key: string, p: ServerPending): void {
    peer.server.delete(key);
    if (p.contentAuth) peer.pendingPostBytes -= p.contentAuth.length;
  }

  #misbehaved(peer: Peer, reason: DisconnectReason, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.#emit({ type: 'misbehaved', peer: peer.id, reason, message });
    this.#close(peer, reason, message);
  }

  #close(peer: Peer, reason: DisconnectReason, message: string): void {
    this.#out({ type: 'close', peer: peer.id, reason, message });
    this.#finish(peer, reason);
  }

  #finish(peer: Peer, reason: DisconnectReason): void {
    peer.state = 'closed';
    this.stats.disconnects[reason]++;
    if (MISBEHAVIOUR.has(reason)) this.stats.misbehaving++;
    for (const [key, c] of peer.client) this.#failClient(peer, key, c, 'CLOSED');
    peer.server.clear();
    peer.pendingPostBytes = 0;
    this.#emit({ type: 'peer-closed', peer: peer.id, reason });
    this.#schedule();
  }

  #schedule(): void {
    let at = Number.POSITIVE_INFINITY;
    for (const peer of this.#peers.values()) {
      if (peer.state === 'closed') continue;
      if (peer.state === 'handshake') at = Math.min(at, peer.handshakeDeadline);
      for (const p of peer.server.values()) at = Math.min(at, p.expiresAt);
      for (const c of peer.client.values()) at = Math.min(at, c.expiresAt);
    }
    if (at === Number.POSITIVE_INFINITY) {
      this.#timerAt = undefined;
      return;
    }
    if (this.#timerAt !== at) {
      this.#timerAt = at;
      this.#out({ type: 'timer', at });
    }
  }

  #ignore(peer: Peer, command: string, why: string): void {
    this.stats.ignored++;
    this.#emit({ type: 'ignored', peer: peer.id, command, why });
  }

  async #handle(peer: Peer, msg: DattMessage): Promise<void> {
    if (peer.state === 'handshake') {
      this.#handshake(peer, msg);
      return;
    }
    switch (msg.type) {
      case 'init':
      case 'initack':
        this.#close(peer, 'PROTOCOL', `${msg.type} after the init exchange`);
        return;
      case 'ping':
        this.#send(peer, { type: 'pong', nonce: msg.nonce });
        return;
      case 'pong':
        this.#pong(peer, msg.nonce);
        return;
      case 'getdata':
        await this.#getdata(peer, msg.hash);
        return;
      case 'postdata':
        await this.#postdata(peer, msg.hash, msg.contentAuth);
        return;
      case 'contentauth':
        await this.#contentauth(peer, msg.hash, msg.contentAuth);
        return;
      case 'reqpayment':
        this.#reqpayment(peer, msg);
        return;
      case 'sendpayment':
        await this.#sendpayment(peer, msg.ref, msg.transaction);
        return;
      case 'paymentack':
        this.#paymentack(peer, msg.ref, msg.txid);
        return;
      case 'auth':
        this.#ignore(peer, 'auth', 'auth messages are not handled (as in the reference)');
        return;
    }
  }

  #handshake(peer: Peer, msg: DattMessage): void {
    const expected = peer.outbound ? 'initack' : 'init';
    if (msg.type !== expected) {
      this.#close(peer, 'PROTOCOL', `expected ${expected} first, got ${msg.type}`);
      return;
    }
    if (msg.version < 1) {
      this.#close(peer, 'PROTOCOL', `unsupported protocol version ${msg.version}`);
      return;
    }
    peer.remote = { version: msg.version, services: msg.services, addresses: msg.addresses };
    if (!peer.outbound) this.#send(peer, { type: 'initack', ...this.#initInfo() });
    peer.state = 'ready';
    this.#emit({ type: 'peer-ready', peer: peer.id, remote: peer.remote });
  }

  #pong(peer: Peer, nonce: Uint8Array): void {
    const key = toHex(nonce);
    const sentAt = peer.pings.get(key);
    if (sentAt === undefined) return;
    peer.pings.delete(key);
    this.#emit({ type: 'pong', peer: peer.id, rttMs: this.#clock.now() - sentAt });
    // A barrier: the peer processed everything we sent before this ping.
    for (const [k, c] of peer.client) {
      if (c.barrier !== key) continue;
      if (c.state === 'waiting') {
        if (c.purpose === 'get') this.#failClient(peer, k, c, 'NOT_FOUND');
        else {
          peer.client.delete(k);
          this.#emit({ type: 'post-result', peer: peer.id, hash: c.hash });
        }
      } else if (c.state === 'paid') {
        this.#failClient(peer, k, c, 'PAYMENT_REJECTED');
      }
    }
  }

  /** Verifies `hash ‖ ContentAuth`; closes the peer (`BAD_SIGNATURE`) and returns undefined if bad. */
  #verified(peer: Peer, hash: Uint8Array, bytes: Uint8Array): ContentAuth | undefined {
    try {
      return verifyContentAuth(bytes, hash, this.#verify);
    } catch (error) {
      this.#misbehaved(peer, 'BAD_SIGNATURE', error);
      return undefined;
    }
  }

  async #store_(hash: Uint8Array, bytes: Uint8Array, from?: Peer): Promise<boolean> {
    try {
      await this.#store.put(hash, bytes);
    } catch (error) {
      this.#emit({
        type: 'store-failed',
        hash,
        message: error instanceof Error ? error.message : String(error),
      });
      return false;
    }
    this.stats.contentStored++;
    this.#emit(
      from ? { type: 'content-stored', hash, peer: from.id } : { type: 'content-stored', hash },
    );
    return true;
  }

  #requestPayment(
    peer: Peer,
    purpose: 'get' | 'post',
    hash: Uint8Array,
    amount: bigint,
    contentAuth?: Uint8Array,
  ): void {
    const key = toHex(hash);
    if (!peer.server.has(key) && peer.server.size >= this.limits.maxPendingPaymentsPerPeer) {
      this.#ignore(
        peer,
        purpose === 'get' ? 'getdata' : 'postdata',
        'too many open payment requests',
      );
      return;
    }
    const old = peer.server.get(key);
    if (old) this.#dropServerPending(peer, key, old);
    if (contentAuth) {
      if (peer.pendingPostBytes + contentAuth.length > this.limits.maxPendingPostBytesPerPeer) {
        this.#ignore(peer, 'postdata', 'too many posted bytes waiting for payment');
        return;
      }
      peer.pendingPostBytes += contentAuth.length;
    }
    const address = this.#policy.payTo!;
    const pending: ServerPending = {
      purpose,
      ref: hash.slice(),
      amount,
      address,
      expiresAt: this.#clock.now() + this.limits.paymentTimeoutMs,
      ...(contentAuth ? { contentAuth: contentAuth.slice() } : {}),
    };
    peer.server.set(key, pending);
    this.stats.paymentsRequested++;
    this.#send(peer, { type: 'reqpayment', ref: hash, amount, address });
  }

  async #getdata(peer: Peer, hash: Uint8Array): Promise<void> {
    if (this.#policy.serveContent === false) {
      this.#ignore(peer, 'getdata', 'this node does not serve content');
      return;
    }
    const bytes = await this.#store.get(hash);
    if (!bytes) {
      this.#ignore(peer, 'getdata', `no content ${toHex(hash)}`);
      return;
    }
    const rule = this.#policy.getPrice;
    // Stored content was verified on the way in; only a price function needs it parsed.
    const price =
      rule === undefined
        ? 0n
        : typeof rule === 'bigint'
          ? rule
          : rule(hash, decodeContentAuth(bytes));
    if (price > 0n) {
      this.#requestPayment(peer, 'get', hash, price);
      return;
    }
    this.#serve(peer, hash, bytes);
  }

  #serve(peer: Peer, hash: Uint8Array, bytes: Uint8Array): void {
    this.#send(peer, { type: 'contentauth', hash, contentAuth: bytes });
    this.stats.contentServed++;
    this.#emit({ type: 'content-served', peer: peer.id, hash });
  }

  async #postdata(peer: Peer, hash: Uint8Array, bytes: Uint8Array): Promise<void> {
    const ca = this.#verified(peer, hash, bytes);
    if (!ca) return;
    if (this.#policy.acceptPosts === false) {
      this.#ignore(peer, 'postdata', 'this node does not accept posts');
      return;
    }
    const price = priceOf(this.#policy.postPrice, hash, ca);
    if (price > 0n) {
      if (await this.#store.has(hash)) {
        this.#ignore(peer, 'postdata', 'content already stored');
        return;
      }
      this.#requestPayment(peer, 'post', hash, price, bytes);
      return;
    }
    await this.#store_(hash, bytes, peer);
  }

  async #contentauth(peer: Peer, hash: Uint8Array, bytes: Uint8Array): Promise<void> {
    const key = toHex(hash);
    if (!this.#verified(peer, hash, bytes)) return;
    const pending = peer.client.get(key);
    const requested = pending?.purpose === 'get';
    if (requested) {
      peer.client.delete(key);
      if (this.#policy.storeFetched !== false) await this.#store_(hash, bytes.slice(), peer);
    } else {
      this.stats.ignored++;
    }
    this.#emit({
      type: 'content-received',
      peer: peer.id,
      hash,
      contentAuth: bytes.slice(),
      requested,
    });
  }

  #reqpayment(peer: Peer, msg: Extract<DattMessage, { type: 'reqpayment' }>): void {
    const key = toHex(msg.ref);
    const pending = peer.client.get(key);
    if (pending?.state !== 'waiting') {
      this.#ignore(peer, 'reqpayment', 'no open request of ours for this ref');
      return;
    }
    pending.state = 'paying';
    pending.expiresAt = this.#clock.now() + this.limits.requestTimeoutMs;
    this.#emit({
      type: 'payment-requested',
      peer: peer.id,
      purpose: pending.purpose,
      request: { ref: msg.ref.slice(), amount: msg.amount, address: msg.address.slice() },
    });
  }

  async #sendpayment(peer: Peer, ref: Uint8Array, transaction: Uint8Array): Promise<void> {
    const key = toHex(ref);
    const pending = peer.server.get(key);
    if (!pending) {
      this.#ignore(peer, 'sendpayment', 'no open payment request for this ref');
      return;
    }
    const reject = (code: string, message: string) => {
      this.stats.paymentsRejected++;
      this.#emit({ type: 'payment-rejected', peer: peer.id, ref: pending.ref, code, message });
    };
    let verified: ReturnType<typeof verifyPayment>;
    try {
      verified = verifyPayment(transaction, pending, { maxLength: this.limits.maxDataLength });
    } catch (error) {
      if (!(error instanceof DattError)) throw error;
      reject(error.code, error.message);
      return;
    }
    const txKey = toHex(verified.txid);
    if (this.#seenTxids.has(txKey)) {
      reject('PAYMENT_REUSED', 'this transaction already paid for an earlier request');
      return;
    }
    this.#seenTxids.add(txKey);
    if (this.#seenTxids.size > this.limits.maxSeenTxids) {
      this.#seenTxids.delete(this.#seenTxids.values().next().value!);
    }
    this.#dropServerPending(peer, key, pending);
    this.stats.paymentsAccepted++;
    this.#emit({
      type: 'payment-accepted',
      peer: peer.id,
      ref: pending.ref,
      txid: verified.txid,
      value: verified.value,
    });
    if (pending.purpose === 'post') {
      await this.#store_(pending.ref, pending.contentAuth!, peer);
      this.#send(peer, { type: 'paymentack', ref: pending.ref, txid: verified.txid });
      return;
    }
    this.#send(peer, { type: 'paymentack', ref: pending.ref, txid: verified.txid });
    const bytes = await this.#store.get(pending.ref);
    if (bytes) this.#serve(peer, pending.ref, bytes);
  }

  #paymentack(peer: Peer, ref: Uint8Array, txid: Uint8Array): void {
    const key = toHex(ref);
    const pending = peer.client.get(key);
    if (pending?.state !== 'paid') {
      this.#ignore(peer, 'paymentack', 'no payment of ours for this ref');
      return;
    }
    pending.txid = txid.slice();
    if (pending.purpose === 'post') {
      peer.client.delete(key);
      this.#emit({ type: 'post-result', peer: peer.id, hash: pending.hash, txid: pending.txid });
      return;
    }
    // A get: the content follows; the paid barrier no longer means rejection.
    pending.state = 'waiting';
    pending.barrier = '';
  }
}
