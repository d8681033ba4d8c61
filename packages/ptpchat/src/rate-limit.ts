/**
 * At most `limit` events per key in any `windowMs`, for at most `maxKeys` keys (the least
 * recently used key is forgotten first, which can only make the limiter more lenient for it).
 */
export class WindowLimiter {
  readonly #events = new Map<string, number[]>();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    readonly maxKeys: number,
  ) {}

  /** Records an event for `key`; false (and nothing recorded) when the limit is reached. */
  allow(key: string, now: number): boolean {
    const times = (this.#events.get(key) ?? []).filter((t) => t > now - this.windowMs);
    this.#events.delete(key);
    if (times.length >= this.limit) {
      this.#events.set(key, times);
      return false;
    }
    times.push(now);
    this.#events.set(key, times);
    while (this.#events.size > this.maxKeys) this.#events.delete(this.#events.keys().next().value!);
    return true;
  }
}
