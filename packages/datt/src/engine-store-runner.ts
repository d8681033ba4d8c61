// The host side of the engine's store tickets when the application hands the engine a
// ContentStore: runs each op and completes its ticket. The only place promises live.
import type { ContentStore } from './content-store.js';
import type { ContentResult, ContentWork } from './engine-work.js';

export class StoreRunner {
  #running = 0;
  #waiters: (() => void)[] = [];

  constructor(
    readonly store: ContentStore,
    readonly complete: (ticket: number, result: ContentResult) => void,
  ) {}

  /** Runs `work` and completes its ticket; never rejects. */
  run(work: ContentWork): void {
    this.#running++;
    const finish = (result: ContentResult) => {
      try {
        this.complete(work.ticket, result);
      } finally {
        if (--this.#running === 0) for (const wake of this.#waiters.splice(0)) wake();
      }
    };
    this.#begin(work).then(
      (value) => finish({ ok: true, value }),
      (error: unknown) => finish({ ok: false, error }),
    );
  }

  #begin(work: ContentWork): Promise<unknown> {
    const { op } = work;
    try {
      if (op.kind === 'get') return this.store.get(op.hash);
      if (op.kind === 'has') return this.store.has(op.hash);
      return this.store.put(op.hash, op.contentAuth);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Resolves once no op is running (the ones their completions start included). */
  async idle(): Promise<void> {
    while (this.#running > 0) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }
}
