import { RelayError } from './errors.js';
import type { RelayWork, WorkRequest, WorkResult } from './work.js';

/** What the core does with a work item's outcome (synchronous; it may issue more work). */
export type Continuation = (result: WorkResult, now: number) => void;

interface Pending {
  readonly serial: string | undefined;
  readonly then: Continuation;
}

interface Queued {
  readonly work: RelayWork;
  readonly then: Continuation;
}

/**
 * The core's outstanding work: each item gets a ticket and a continuation; `complete` runs the
 * continuation. Items with the same `serial` key run one at a time, in issue order (a blob
 * quota check and its write must not overlap with the next write of the same identity): the
 * next is only emitted once the previous completed.
 */
export class Tickets {
  #next = 1;
  readonly #pending = new Map<number, Pending>();
  /** serial key → work waiting for the one in flight (present while one is in flight) */
  readonly #queues = new Map<string, Queued[]>();

  constructor(readonly emit: (work: RelayWork) => void) {}

  /** Issues work; `then` runs when the host completes it. */
  issue(request: WorkRequest, then: Continuation, serial?: string): void {
    const work = { ...request, ticket: this.#next++ } as RelayWork;
    if (serial !== undefined) {
      const queue = this.#queues.get(serial);
      if (queue) {
        queue.push({ work, then });
        return;
      }
      this.#queues.set(serial, []);
    }
    this.#start(work, then, serial);
  }

  #start(work: RelayWork, then: Continuation, serial: string | undefined): void {
    this.#pending.set(work.ticket, { serial, then });
    this.emit(work);
  }

  /**
   * Hands in the outcome of ticket `ticket`. Throws `RelayError` `UNKNOWN_TICKET` for a ticket
   * that is not outstanding (never issued, or already completed).
   */
  complete(ticket: number, result: WorkResult, now: number): void {
    const pending = this.#pending.get(ticket);
    if (pending === undefined) {
      throw new RelayError('UNKNOWN_TICKET', `ticket ${ticket} is not outstanding`);
    }
    this.#pending.delete(ticket);
    try {
      pending.then(result, now);
    } finally {
      if (pending.serial !== undefined) this.#advance(pending.serial);
    }
  }

  #advance(serial: string): void {
    const queue = this.#queues.get(serial);
    const next = queue?.shift();
    if (next === undefined) {
      this.#queues.delete(serial);
      return;
    }
    this.#start(next.work, next.then, serial);
  }

  /** Tickets emitted and not yet completed. */
  get outstanding(): number {
    return this.#pending.size;
  }

  /** Work waiting behind a serial key (not yet emitted). */
  get queued(): number {
    let n = 0;
    for (const q of this.#queues.values()) n += q.length;
    return n;
  }
}
