// The public types of the Datt engine: options, limits, outputs, events, counters.
import type { CompactBackend } from './bsm.js';
import type { ContentAuth } from './content-auth.js';
import type { ContentStore } from './content-store.js';
import { DEFAULT_MAX_DMSG_DATA_LENGTH } from './dmsg.js';
import type { ContentWork } from './engine-work.js';
import type { DattRequestErrorCode } from './errors.js';
import type { HashFunction } from './hash.js';
import type { RandomSource } from './keys.js';
import type { InitInfo } from './messages.js';
import type { PaymentRequest } from './payment.js';

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

export const MISBEHAVIOUR: ReadonlySet<DisconnectReason> = new Set([
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
  /** Unanswered pings remembered per peer for their round-trip time; the oldest is forgotten first (default 64). */
  readonly maxPingsPerPeer?: number;
}

export type ResolvedLimits = Required<DattLimits>;

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
  maxPingsPerPeer: 64,
};

/** One line per limit, for generated help (`peerwire-relay --help-config`). */
export const DATT_LIMIT_DESCRIPTIONS: { readonly [K in keyof ResolvedLimits]: string } = {
  maxDataLength: 'largest DMsg data accepted and sent (bytes)',
  handshakeTimeoutMs: 'time a new connection has to complete init/initack (ms)',
  requestTimeoutMs: 'time a content request or post waits for its answer (ms)',
  paymentTimeoutMs: 'time a payment request stays open for the payer (ms)',
  maxPendingPaymentsPerPeer: 'open payment requests per peer (more are ignored)',
  maxPendingPostBytesPerPeer: 'bytes of posted content held while waiting for payment, per peer',
  maxSeenTxids: 'transaction ids remembered to refuse a second use',
  maxQueuedMessages: 'received messages queued per peer before it is cut off (FLOODING)',
  maxPeers: 'connections the node accepts at once',
  maxPingsPerPeer: 'unanswered pings remembered per peer for their round-trip time',
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
  /** Where content is kept; the engine runs its store tickets on it (unless `onWork` is given). */
  readonly store?: ContentStore;
  /**
   * Takes the engine's store work instead: the host runs each `ContentWork` and hands the
   * outcome back with `engine.complete(work.ticket, result)`, in any order (a peer's later
   * messages wait for its ticket). Called from inside the engine's inputs: queue the work.
   */
  readonly onWork?: (work: ContentWork) => void;
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
