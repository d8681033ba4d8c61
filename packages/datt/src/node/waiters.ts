import type { DattEvent } from '../engine-types.js';

/** Promises waiting for an engine event by key (`ready:<peer>`, `get:<peer>:<hash>`, ...). */
export class EventWaiters {
  readonly #waiting = new Map<string, ((event: DattEvent) => void)[]>();

  wait(key: string): Promise<DattEvent> {
    return new Promise((resolve) => {
      const list = this.#waiting.get(key) ?? [];
      list.push(resolve);
      this.#waiting.set(key, list);
    });
  }

  wake(key: string, event: DattEvent): void {
    const list = this.#waiting.get(key);
    if (!list) return;
    this.#waiting.delete(key);
    for (const resolve of list) resolve(event);
  }
}
