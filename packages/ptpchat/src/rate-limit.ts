import type { BoundedMap } from '@peerwire/wire';
import { boundedMap } from './bounded.js';

/**
 * At most `limit` events per key in any `windowMs`, for at most `maxKeys` keys (the least
 * recently used key is forgotten first, which can only make the limiter more lenient for it).
 */
export class WindowLimiter {
  readonly #events: BoundedMap<string, number[]>;

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    readonly maxKeys: number,
  ) {
    this.#events = boundedMap(maxKeys, 'lru');
  }

  /** Records an event for `key`; false (and nothing recorded) when the limit is reached. */
  allow(key: string, now: number): boolean {
    const times = (this.#events.get(key) ?? []).filter((t) => t > now - this.windowMs);
    const allowed = times.length < this.limit;
    if (allowed) times.push(now);
    this.#events.set(key, times); // the most recently used: the least recent go past maxKeys
    return allowed;
  }
}
