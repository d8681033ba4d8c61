import { BoundedMap, DeadlineQueue, toHex } from '@peerwire/wire';
import type { VerifyOptions } from './bsm.js';
import { HASH_LENGTH, verifyContentAuth } from './content-auth.js';
import { type Dmsg, DmsgDecoder, type DmsgOptions, decodeDmsg } from './dmsg.js';
import { ContentExchange } from './engine-content.js';
import { Payments } from './engine-payments.js';
import {
  type ClientPending,
  type Deadline,
  type EngineHost,
  handshakeKey,
  isClosed,
  type Peer,
  paymentKey,
  requestKey,
  type ServerPending,
} from './engine-peer.js';
import { StoreRunner } from './engine-store-runner.js';
import {
  type Clock,
  type DattEngineOptions,
  type DattEvent,
  type DattOutput,
  type DattPolicy,
  type DattStats,
  DEFAULT_DATT_LIMITS,
  type DisconnectReason,
  type Framing,
  MISBEHAVIOUR,
  type Price,
  type RequestFailure,
  type ResolvedLimits,
} from './engine-types.js';
import { type AwaitStore, type ContentResult, type Step, StoreTickets } from './engine-work.js';
import { DattError } from './errors.js';
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
import { ADDRESS_LENGTH, scriptPubKeyFor } from './payment-address.js';

/**
 * The Datt node as a sans-I/O state machine. Feed it connections (`addPeer`, `receive`,
 * `removePeer`), the time (`tick` when a requested timer fires) and application requests
 * (`requestContent`, `postContent`, `pay`, `ping`); it hands out bytes to send, connections to
 * close, timer requests and events through `output`. It opens no socket, reads no clock or
 * randomness of its own and awaits nothing: content store operations leave it as `ContentWork`
 * tickets (to `onWork`, or run on the given `store` by an internal `StoreRunner`) that come back
 * through `complete(ticket, result)`. Messages of one peer are processed strictly in order: while
 * a ticket of one is out, the peer's later messages wait. `idle()` waits for the runner's work.
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
  readonly #tickets: StoreTickets;
  readonly #runner: StoreRunner | undefined;
  readonly #clock: Clock;
  readonly #random: RandomSource;
  readonly #out: (output: DattOutput) => void;
  readonly #policy: DattPolicy;
  readonly #dmsg: DmsgOptions;
  readonly #verify: VerifyOptions;
  readonly #peers = new Map<string, Peer>();
  readonly #deadlines = new DeadlineQueue<Deadline>();
  readonly #payments: Payments;
  readonly #content: ContentExchange;
  #timerAt: number | undefined;

  constructor(options: DattEngineOptions) {
    if (options.onWork) {
      this.#runner = undefined;
      this.#tickets = new StoreTickets(options.onWork);
    } else if (options.store) {
      const runner = new StoreRunner(options.store, (ticket, result) =>
        this.complete(ticket, result),
      );
      this.#runner = runner;
      this.#tickets = new StoreTickets((work) => runner.run(work));
    } else {
      throw new DattError('BAD_VALUE', 'the engine needs a store or an onWork host');
    }
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
    const host = this.#host();
    this.#payments = new Payments(host);
    this.#content = new ContentExchange(host, this.#payments, this.#verify);
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
      remote: undefined,
      inbox: [],
      waiting: false,
      pumping: false,
      pendingPostBytes: 0,
      server: new Map(),
      client: new Map(),
      pings: new BoundedMap({ maxEntries: this.limits.maxPingsPerPeer, order: 'insertion' }),
    };
    this.#peers.set(id, peer);
    this.stats.peers = this.#peers.size;
    this.#deadlines.set(handshakeKey(peer), this.#clock.now() + this.limits.handshakeTimeoutMs, {
      kind: 'handshake',
      peer,
    });
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
      if (peer.inbox.length >= this.limits.maxQueuedMessages) {
        this.#close(peer, 'FLOODING', `more than ${this.limits.maxQueuedMessages} messages queued`);
        return;
      }
      peer.inbox.push(msg);
    }
    this.#pump(peer);
  }

  /** Processes the peer's inbox in order until it is empty or a store ticket is out. */
  #pump(peer: Peer): void {
    if (peer.pumping) return; // a re-entrant receive: the running loop takes the new messages
    peer.pumping = true;
    try {
      while (!peer.waiting && peer.inbox.length > 0) {
        const msg = peer.inbox.shift()!;
        if (peer.state === 'closed') {
          peer.inbox.length = 0;
          break;
        }
        this.#step(peer, msg.type, () => this.#handle(peer, msg));
      }
    } finally {
      peer.pumping = false;
    }
    this.#schedule();
  }

  /** Runs one step of a message's handling; a store step holds the peer's inbox until it completes. */
  #step(peer: Peer, command: string, run: () => Step): void {
    let next: Step;
    try {
      next = run();
    } catch (error) {
      // A bug in a handler must not take the engine down.
      this.#emit({
        type: 'ignored',
        peer: peer.id,
        command,
        why: error instanceof Error ? error.message : String(error),
      });
      return;
    }
    if (next === undefined) return;
    const pending: AwaitStore = next;
    peer.waiting = true;
    this.#tickets.issue(pending.op, (result) => {
      peer.waiting = false;
      this.#step(peer, command, () => {
        if (result.ok) return pending.next(result.value);
        if (pending.failed) return pending.failed(result.error);
        throw result.error; // reported as `ignored`, like any fault of the store
      });
      this.#pump(peer);
    });
  }

  /**
   * Hands in the outcome of a `ContentWork` ticket (see `onWork`). Throws `DattError`
   * `BAD_VALUE` for a ticket that is not outstanding.
   */
  complete(ticket: number, result: ContentResult): void {
    this.#tickets.complete(ticket, result);
  }

  /** Store tickets emitted and not completed yet. */
  get pendingWork(): number {
    return this.#tickets.outstanding;
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

  /**
   * Resolves when the internal `StoreRunner` has no work left (every queued message processed).
   * With `onWork` the host owns the work: this resolves at once.
   */
  async idle(): Promise<void> {
    await this.#runner?.idle();
  }

  /** Expires handshakes, payment requests and client requests whose time has come. */
  tick(): void {
    const now = this.#clock.now();
    this.#timerAt = undefined;
    for (const { value: d } of this.#deadlines.popDue(now)) {
      const peer = d.peer;
      if (peer.state === 'closed') continue;
      if (d.kind === 'handshake') {
        if (peer.state === 'handshake') {
          this.#close(
            peer,
            'HANDSHAKE_TIMEOUT',
            `no init exchange within ${this.limits.handshakeTimeoutMs} ms`,
          );
        }
      } else if (d.kind === 'payment') {
        const p = peer.server.get(d.key);
        if (p) this.#dropServerPending(peer, d.key, p);
      } else {
        const c = peer.client.get(d.key);
        if (c) this.#failClient(peer, d.key, c, 'TIMEOUT');
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
    this.#payments.pay(this.#readyPeer(peerId), ref, transaction);
    this.#schedule();
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
  publish(hash: Uint8Array, contentAuth: Uint8Array): Promise<void> {
    try {
      verifyContentAuth(contentAuth, hash, this.#verify);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      this.#tickets.issue({ kind: 'put', hash, contentAuth }, (result) => {
        if (!result.ok) {
          reject(result.error);
          return;
        }
        this.stats.contentStored++;
        this.#emit({ type: 'content-stored', hash });
        resolve();
      });
    });
  }

  // ---- internals --------------------------------------------------------------------------

  /** The internals the concept modules (payments) use. */
  #host(): EngineHost {
    return {
      limits: this.limits,
      policy: this.#policy,
      stats: this.stats,
      deadlines: this.#deadlines,
      now: () => this.#clock.now(),
      send: (peer, msg) => this.#send(peer, msg),
      emit: (event) => this.#emit(event),
      ignore: (peer, command, why) => this.#ignore(peer, command, why),
      sendPing: (peer) => this.#sendPing(peer),
      storeContent: (hash, bytes, from, then) => this.#content.store(hash, bytes, from, then),
      serve: (peer, hash, bytes) => this.#content.serve(peer, hash, bytes),
      misbehaved: (peer, reason, error) => this.#misbehaved(peer, reason, error),
      failClient: (peer, key, c, reason) => this.#failClient(peer, key, c, reason),
      dropServerPending: (peer, key, p) => this.#dropServerPending(peer, key, p),
    };
  }

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
    const pending: ClientPending = {
      purpose,
      hash: hash.slice(),
      expiresAt: this.#clock.now() + this.limits.requestTimeoutMs,
      barrier: this.#sendPing(peer),
      state: 'waiting',
    };
    peer.client.set(key, pending);
    this.#deadlines.set(requestKey(peer, key), pending.expiresAt, { kind: 'request', peer, key });
    this.#schedule();
  }

  #failClient(peer: Peer, key: string, c: ClientPending, reason: RequestFailure): void {
    peer.client.delete(key);
    this.#deadlines.delete(requestKey(peer, key));
    this.#emit({ type: 'request-failed', peer: peer.id, hash: c.hash, purpose: c.purpose, reason });
  }

  #dropServerPending(peer: Peer, key: string, p: ServerPending): void {
    peer.server.delete(key);
    this.#deadlines.delete(paymentKey(peer, key));
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
    this.#deadlines.delete(handshakeKey(peer));
    for (const [key, c] of peer.client) this.#failClient(peer, key, c, 'CLOSED');
    for (const [key, p] of peer.server) this.#dropServerPending(peer, key, p);
    peer.pendingPostBytes = 0;
    this.#emit({ type: 'peer-closed', peer: peer.id, reason });
    this.#schedule();
  }

  #schedule(): void {
    const at = this.#deadlines.nextAt();
    if (at === undefined) {
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

  #handle(peer: Peer, msg: DattMessage): Step {
    if (peer.state === 'handshake') {
      this.#handshake(peer, msg);
      return undefined;
    }
    switch (msg.type) {
      case 'init':
      case 'initack':
        this.#close(peer, 'PROTOCOL', `${msg.type} after the init exchange`);
        return undefined;
      case 'ping':
        this.#send(peer, { type: 'pong', nonce: msg.nonce });
        return undefined;
      case 'pong':
        this.#pong(peer, msg.nonce);
        return undefined;
      case 'getdata':
        return this.#content.onGetData(peer, msg.hash);
      case 'postdata':
        return this.#content.onPostData(peer, msg.hash, msg.contentAuth);
      case 'contentauth':
        return this.#content.onContentAuth(peer, msg.hash, msg.contentAuth);
      case 'reqpayment':
        this.#payments.onRequest(peer, msg);
        return undefined;
      case 'sendpayment':
        return this.#payments.onPayment(peer, msg.ref, msg.transaction);
      case 'paymentack':
        this.#payments.onAck(peer, msg.ref, msg.txid);
        return undefined;
      case 'auth':
        this.#ignore(peer, 'auth', 'auth messages are not handled (as in the reference)');
        return undefined;
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
    this.#deadlines.delete(handshakeKey(peer));
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
          this.#deadlines.delete(requestKey(peer, k));
          this.#emit({ type: 'post-result', peer: peer.id, hash: c.hash });
        }
      } else if (c.state === 'paid') {
        this.#failClient(peer, k, c, 'PAYMENT_REJECTED');
      }
    }
  }
}
