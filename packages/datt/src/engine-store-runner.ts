// The host side of the engine's store tickets when the application hands the engine a
// ContentStore: runs each op and completes its ticket. The only place promises live.
import type { ContentStore } from './content-store.js';
import type { ContentResult, ContentWork } from './engine-work.js';

export class StoreRunner {
  readonly #inflight = new Set<Promise<void>>();

  constructor(
    readonly store: ContentStore,
    readonly complete: (ticket: number, result: ContentResult) => void,
  ) {}

  /** Runs `work` and completes its ticket; never rejects. */
  run(work: ContentWork): void {
    const done = this.#execute(work).then((result) => this.complete(work.ticket, result));
    const tracked: Promise<void> = done.then(
      () => {
        this.#inflight.delete(tracked);
      },
      () => {
        this.#inflight.delete(tracked);
      },
    );
    this.#inflight.add(tracked);
  }

  async #execute(work: ContentWork): Promise<ContentResult> {
    const { op } = work;
    try {
      const value =
        op.kind === 'get'
          ? await this.store.get(op.hash)
          : op.kind === 'has'
            ? await this.store.has(op.hash)
            : await this.store.put(op.hash, op.contentAuth);
      return { ok: true, value };
    } catch (error) {
      return { ok: false, error };
    }
  }

  /** Resolves once no op is running (the ones their completions start included). */
  async idle(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.all([...this.#inflight]);
  }
}
