import type { IDCard } from '@peerwire/crypto';
import { TokenBucket } from '@peerwire/wire';
import type { RelayLimits } from './limits.js';

/** What the host gives the relay for one connection (a transport `Link` satisfies it). */
export interface RelayPeer {
  send(packet: Uint8Array): unknown;
  /** Bytes handed to `send` that are not yet written out. */
  readonly bufferedAmount: number;
  close(code: number, reason: string): void;
}

/** The handle the host keeps for one accepted connection. */
export interface Session {
  /** `<srv>.<clientid>` */
  readonly cid: string;
  /** Feeds one received packet (one binary WebSocket message). */
  receive(packet: Uint8Array): void;
  /**
   * Counts a message the transport received but ignores (a text WebSocket message, spec §2.1)
   * against the same budgets as packets: over `maxPacketBytes` closes with 1009, past the
   * message or byte rate closes with 1008 (`rate_limited`), like a binary flood.
   */
  ignored(bytes: number): void;
  /**
   * Tells the relay the connection is gone. Pass the close info when the transport has it: a
   * close the transport itself made (oversized frame, peer not reading) is counted as a reject.
   */
  closed(info?: { readonly code: number; readonly reason: string; readonly local: boolean }): void;
}

/** One connection, as the relay sees it (internal: hosts only see `Session`). */
export class Connection {
  state: 'handshaking' | 'online' | 'closed' = 'handshaking';
  /** A handshake response is being verified (the connection keeps its state meanwhile). */
  verifying = false;
  /** Raw payload of the outstanding HandshakeRequest (what the client must sign). */
  outstanding: Uint8Array | null = null;
  deadline: number;
  readonly openedAt: number;
  /** The one group-refresh round (`grp`) of this identity was already asked for. */
  refreshed = false;
  card: IDCard | null = null;
  hash = '';
  /** `k.<hash>` prefix for sender rewriting. */
  senderPrefix = '';
  groups: readonly string[] = [];
  readonly messages: TokenBucket;
  /**
   * Responses have their own, larger budget: a peer that is sent many requests answers many, and
   * that must not get it disconnected (a reflection attack). Excess responses are dropped.
   */
  readonly responses: TokenBucket;
  readonly bytes: TokenBucket;

  constructor(
    readonly cid: string,
    readonly clientId: string,
    readonly address: string,
    readonly peer: RelayPeer,
    now: number,
    limits: RelayLimits,
  ) {
    this.openedAt = now;
    this.deadline = now + limits.handshakeTimeoutMs;
    this.messages = new TokenBucket(limits.messagesPerSecond, limits.messageBurst, now);
    this.responses = new TokenBucket(2 * limits.messagesPerSecond, 2 * limits.messageBurst, now);
    this.bytes = new TokenBucket(limits.bytesPerSecond, limits.byteBurst, now);
  }
}

/** Reads the state afresh (TypeScript's narrowing does not know an `await` can change it). */
export function isClosed(conn: Connection): boolean {
  return conn.state === 'closed';
}
