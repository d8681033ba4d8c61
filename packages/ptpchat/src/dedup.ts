import { BoundedMap } from '@peerwire/wire';
import { boundOf } from './bounded.js';

/**
 * The duplicate cache of spec §3.3: `msg_id`s seen in the last `windowMs`, at most `maxEntries`
 * (the oldest forgotten first), on `@peerwire/wire`'s `BoundedMap` in insertion order. Time is
 * the caller's (`now` on each call, sans I/O). Expired ids are dropped when looked up and by
 * `sweep` (O(size), run on the engine's periodic tick); until then they count in `size`.
 */
export class DuplicateCache {
  #now = Number.NEGATIVE_INFINITY;
  readonly #seen: BoundedMap<string, true>;

  constructor(
    readonly windowMs: number,
    readonly maxEntries: number,
  ) {
    this.#seen = new BoundedMap({
      maxEntries: boundOf(maxEntries),
      order: 'insertion',
      ...(windowMs > 0 ? { ttlMs: windowMs } : {}),
      clock: { now: () => this.#now },
    });
  }

  get size(): number {
    return this.#seen.size;
  }

  /** True when `id` was seen within the window. */
  has(id: string, now: number): boolean {
    this.#now = now;
    return this.#seen.has(id);
  }

  /** Records `id`; returns false when it was already there (a duplicate). */
  add(id: string, now: number): boolean {
    this.#now = now;
    if (this.windowMs <= 0) return true;
    if (this.#seen.has(id)) return false;
    this.#seen.set(id, true);
    return true;
  }

  /** Forgets expired entries. */
  sweep(now: number): void {
    this.#now = now;
    this.#seen.prune();
  }
}
