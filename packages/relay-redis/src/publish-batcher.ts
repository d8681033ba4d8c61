import { BATCH_ENTRY_OVERHEAD, encodeBatch } from './batch.js';

/** What became of one PUBLISH: how many subscribers got it, or the error. */
export type PublishResult = { readonly receivers: number } | { readonly error: unknown };

/**
 * Gathers the envelopes routed to each other relay during one event-loop turn and publishes
 * them as one message per relay when the turn ends (`defer`, `setImmediate` in the cluster): a
 * lone envelope goes as it is, several go as one batch (`encodeBatch`) of at most
 * `maxBatchBytes` (a fuller batch is sent at once and a new one started). `pending` counts the
 * envelopes queued or waiting for Redis's answer, which `maxPendingPublishes` bounds.
 */
export class PublishBatcher {
  readonly #open = new Map<string, { parts: Uint8Array[]; bytes: number }>();
  #scheduled = false;
  #pending = 0;
  /** PUBLISH commands issued (each one a single envelope or a batch). */
  published = 0;

  constructor(
    /** Publishes `payload` on relay `srv`'s channel; resolves to the number of receivers. */
    readonly publish: (srv: string, payload: Uint8Array) => Promise<number>,
    readonly maxBatchBytes: number,
    /** Runs `flush` once the current event-loop turn is over. */
    readonly defer: (flush: () => void) => void,
    /** Told the outcome of every PUBLISH and how many envelopes it carried. */
    readonly done: (srv: string, envelopes: number, result: PublishResult) => void,
  ) {}

  /** Envelopes queued or published and not yet acknowledged. */
  get pending(): number {
    return this.#pending;
  }

  /** Queues `envelope` for relay `srv`; it leaves at the end of this turn at the latest. */
  push(srv: string, envelope: Uint8Array): void {
    const cost = BATCH_ENTRY_OVERHEAD + envelope.length;
    let open = this.#open.get(srv);
    if (open !== undefined && open.bytes + cost > this.maxBatchBytes) {
      this.#send(srv, open.parts);
      open = undefined;
    }
    if (open === undefined) {
      open = { parts: [], bytes: 1 };
      this.#open.set(srv, open);
    }
    open.parts.push(envelope);
    open.bytes += cost;
    this.#pending++;
    if (!this.#scheduled) {
      this.#scheduled = true;
      this.defer(() => this.flush());
    }
  }

  /** Publishes everything queued now. */
  flush(): void {
    this.#scheduled = false;
    const open = [...this.#open];
    this.#open.clear();
    for (const [srv, { parts }] of open) this.#send(srv, parts);
  }

  #send(srv: string, parts: Uint8Array[]): void {
    this.#open.delete(srv);
    const n = parts.length;
    const payload = n === 1 ? parts[0]! : encodeBatch(parts);
    this.published++;
    let promise: Promise<number>;
    try {
      promise = this.publish(srv, payload);
    } catch (error) {
      promise = Promise.reject(error);
    }
    promise.then(
      (receivers) => {
        this.#pending -= n;
        this.done(srv, n, { receivers });
      },
      (error: unknown) => {
        this.#pending -= n;
        this.done(srv, n, { error });
      },
    );
  }
}
