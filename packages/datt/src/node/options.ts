// The options of `startDattNode` and the results of `DattNode.post`.
import type { LinkOptions, TransportError } from '@peerwire/transport';
import type { ContentAuthInit } from '../content-auth.js';
import type { ContentStore } from '../content-store.js';
import type { Clock, DattEvent, DattLimits, DattPolicy } from '../engine-types.js';
import type { DattRequestError } from '../errors.js';
import type { RandomSource } from '../keys.js';
import type { PaymentRequest } from '../payment.js';

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
