// One connection's state inside the Datt engine, and the engine internals its concept modules
// (payments) share. Not exported from the package.
import type { BoundedMap, DeadlineQueue } from '@peerwire/wire';
import type { ContentAuth } from './content-auth.js';
import type { DmsgDecoder } from './dmsg.js';
import type {
  DattEvent,
  DattPolicy,
  DattStats,
  DisconnectReason,
  Framing,
  Price,
  RequestFailure,
  ResolvedLimits,
} from './engine-types.js';
import type { Step } from './engine-work.js';
import type { DattMessage, InitInfo } from './messages.js';

/** A payment request this node sent and waits for (`reqpayment` → `sendpayment`). */
export interface ServerPending {
  readonly purpose: 'get' | 'post';
  readonly ref: Uint8Array;
  readonly amount: bigint;
  readonly address: Uint8Array;
  readonly expiresAt: number;
  /** The posted ContentAuth, held until paid. */
  readonly contentAuth?: Uint8Array;
}

/** A request of ours (`requestContent` / `postContent`) waiting for its answer. */
export interface ClientPending {
  readonly purpose: 'get' | 'post';
  readonly hash: Uint8Array;
  expiresAt: number;
  /** Nonce of the barrier ping that follows our last request to this peer. */
  barrier: string;
  state: 'waiting' | 'paying' | 'paid';
  txid?: Uint8Array;
}

export interface Peer {
  readonly id: string;
  readonly outbound: boolean;
  readonly framing: Framing;
  readonly decoder: DmsgDecoder | undefined;
  state: 'handshake' | 'ready' | 'closed';
  remote: InitInfo | undefined;
  /** Received messages not processed yet (held back while a store ticket of this peer is out). */
  readonly inbox: DattMessage[];
  /** A store ticket of this peer's current message is outstanding. */
  waiting: boolean;
  /** The engine is processing this peer's inbox (a re-entrant receive only appends to it). */
  pumping: boolean;
  pendingPostBytes: number;
  readonly server: Map<string, ServerPending>;
  readonly client: Map<string, ClientPending>;
  /** Unanswered ping nonces → when they were sent; the oldest forgotten past `maxPingsPerPeer`. */
  readonly pings: BoundedMap<string, number>;
}

/** What a deadline in the engine's queue stands for. */
export type Deadline =
  | { readonly kind: 'handshake'; readonly peer: Peer }
  | { readonly kind: 'payment'; readonly peer: Peer; readonly key: string }
  | { readonly kind: 'request'; readonly peer: Peer; readonly key: string };

/** Queue keys: the hex key never holds a space, so the peer id can come last unescaped. */
export const handshakeKey = (peer: Peer): string => `h ${peer.id}`;
export const paymentKey = (peer: Peer, key: string): string => `s ${key} ${peer.id}`;
export const requestKey = (peer: Peer, key: string): string => `c ${key} ${peer.id}`;

export type DeadlineSchedule = DeadlineQueue<Deadline>;

/** Reads the state through a call, so that narrowing does not survive calls that close the peer. */
export function isClosed(peer: Peer): boolean {
  return peer.state === 'closed';
}

export function priceOf(price: Price | undefined, hash: Uint8Array, ca: ContentAuth): bigint {
  if (price === undefined) return 0n;
  return typeof price === 'bigint' ? price : price(hash, ca);
}

/** What the engine's concept modules may use of it. */
export interface EngineHost {
  readonly limits: ResolvedLimits;
  readonly policy: DattPolicy;
  readonly stats: DattStats;
  readonly deadlines: DeadlineSchedule;
  now(): number;
  send(peer: Peer, msg: DattMessage): void;
  emit(event: DattEvent): void;
  ignore(peer: Peer, command: string, why: string): void;
  /** Sends a ping and returns its nonce key (a barrier for the requests sent before it). */
  sendPing(peer: Peer): string;
  /** Stores content and emits `content-stored` (or `store-failed`), then goes on with `then`. */
  storeContent(
    hash: Uint8Array,
    bytes: Uint8Array,
    from?: Peer,
    then?: (stored: boolean) => Step,
  ): Step;
  /** Sends content to a peer that asked for it. */
  serve(peer: Peer, hash: Uint8Array, bytes: Uint8Array): void;
  /** Removes a request of ours and reports it failed. */
  failClient(peer: Peer, key: string, c: ClientPending, reason: RequestFailure): void;
  /** Reports a misbehaving peer and closes it. */
  misbehaved(peer: Peer, reason: DisconnectReason, error: unknown): void;
  /** Removes one of our open payment requests. */
  dropServerPending(peer: Peer, key: string, p: ServerPending): void;
}
