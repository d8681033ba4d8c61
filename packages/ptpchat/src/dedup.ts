/**
 * The duplicate cache of spec §3.3: `msg_id`s seen in the last `windowMs`, at most `maxEntries`
 * (the oldest evicted first). Entries are kept in insertion order, which is also expiry order
 * since the window is fixed, so expiry and eviction are O(1) per entry.
 */
export class DuplicateCache {
  readonly #expiry = new Map<string, number>();

  constructor(
    readonly windowMs: number,
    readonly maxEntries: number,
  ) {}

  get size(): number {
    return this.#expiry.size;
  }

  /** True when `id` was seen within the window. */
  has(id: string, now: number): boolean {
    const until = this.#expiry.get(id);
    return until !== undefined && until > now;
  }

  /** Records `id`; returns false when it was already there (a duplicate). */
  add(id: string, now: number): boolean {
    this.sweep(now);
    if (this.has(id, now)) return false;
    this.#expiry.delete(id);
    while (this.#expiry.size >= this.maxEntries && this.maxEntries > 0) {
      this.#expiry.delete(this.#expiry.keys().next().value!);
    }
    if (this.maxEntries > 0) this.#expiry.set(id, now + this.windowMs);
    return true;
  }

  /** Forgets expired entries. */
  sweep(now: number): void {
    for (const [id, until] of this.#expiry) {
      if (until > now) break;
      this.#expiry.delete(id);
    }
  }
}
