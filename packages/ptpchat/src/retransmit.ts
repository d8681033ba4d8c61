import type { OutgoingMessage } from './codec/message.js';
import type { PeerHandle } from './types.js';

/** A message sent to a neighbour and not ACKed yet (spec §4). */
export interface Unacked {
  peer: PeerHandle;
  readonly message: OutgoingMessage;
  readonly bytes: Uint8Array;
  /** Retransmissions so far. */
  attempts: number;
  due: number;
  /** True when this node originated the message (failure is an event, not a NACK). */
  readonly originated: boolean;
}

const key = (peer: PeerHandle, msgId: string): string => `${msgId}\u0000${peer}`;

/**
 * Un-ACKed MESSAGE, KEY and CERTIFICATE transmissions, per (neighbour, `msg_id`). Entries are
 * kept in due order (the interval is fixed, so re-inserting a rescheduled entry at the end keeps
 * the map sorted), bounded by `maxEntries`.
 */
export class RetransmitQueue {
  readonly #entries = new Map<string, Unacked>();

  constructor(
    readonly intervalMs: number,
    readonly maxRetransmissions: number,
    readonly maxEntries: number,
  ) {}

  get size(): number {
    return this.#entries.size;
  }

  /** Tracks a transmission; false when the queue is full (the message then goes unguarded). */
  track(entry: Omit<Unacked, 'attempts' | 'due'>, now: number): boolean {
    const k = key(entry.peer, entry.message.msg_id);
    if (!this.#entries.has(k) && this.#entries.size >= this.maxEntries) return false;
    this.#entries.delete(k);
    this.#entries.set(k, {
      peer: entry.peer,
      message: entry.message,
      bytes: entry.bytes,
      originated: entry.originated,
      attempts: 0,
      due: now + this.intervalMs,
    });
    return true;
  }

  /** An ACK from `peer` for `msgId`: true when it matched an outstanding transmission. */
  ack(peer: PeerHandle, msgId: string): boolean {
    return this.#entries.delete(key(peer, msgId));
  }

  /** Earliest due time, if any. */
  get nextDue(): number | undefined {
    for (const e of this.#entries.values()) return e.due;
    return undefined;
  }

  /**
   * Entries due at `now`: `resend` are to be sent again (already rescheduled), `failed` have
   * used every retransmission and are removed.
   */
  due(now: number): { resend: Unacked[]; failed: Unacked[] } {
    const resend: Unacked[] = [];
    const failed: Unacked[] = [];
    for (const [k, e] of this.#entries) {
      if (e.due > now) break;
      this.#entries.delete(k);
      if (e.attempts >= this.maxRetransmissions) failed.push(e);
      else resend.push(e);
    }
    for (const e of resend) {
      e.attempts++;
      e.due = now + this.intervalMs;
      this.#entries.set(key(e.peer, e.message.msg_id), e);
    }
    return { resend, failed };
  }

  /** Moves an entry to another neighbour (the route changed); keeps its schedule. */
  move(entry: Unacked, to: PeerHandle): void {
    this.#entries.delete(key(entry.peer, entry.message.msg_id));
    entry.peer = to;
    this.#entries.set(key(to, entry.message.msg_id), entry);
  }

  /** Removes and returns every entry for a neighbour that went away. */
  dropPeer(peer: PeerHandle): Unacked[] {
    const out: Unacked[] = [];
    for (const [k, e] of this.#entries) {
      if (e.peer === peer) {
        this.#entries.delete(k);
        out.push(e);
      }
    }
    return out;
  }
}
