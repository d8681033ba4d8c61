/**
 * Messages held while the sender's certificate is fetched (spec §7.1): bounded in total, per
 * sender and in time. Oldest senders' messages expire first.
 */
export class HoldQueue<T> {
  readonly #bySender = new Map<string, { readonly item: T; readonly until: number }[]>();
  #count = 0;

  constructor(
    readonly maxTotal: number,
    readonly maxPerSender: number,
    readonly ttlMs: number,
  ) {}

  get size(): number {
    return this.#count;
  }

  /** Holds `item` for `sender`; false when a bound is reached (the caller drops it). */
  hold(sender: string, item: T, now: number): boolean {
    const list = this.#bySender.get(sender) ?? [];
    if (this.#count >= this.maxTotal || list.length >= this.maxPerSender) return false;
    list.push({ item, until: now + this.ttlMs });
    this.#bySender.set(sender, list);
    this.#count++;
    return true;
  }

  /** Everything held for `sender` (the certificate arrived). */
  release(sender: string): T[] {
    const list = this.#bySender.get(sender);
    if (!list) return [];
    this.#bySender.delete(sender);
    this.#count -= list.length;
    return list.map((e) => e.item);
  }

  /** Removes and returns what waited too long. */
  expire(now: number): T[] {
    const out: T[] = [];
    for (const [sender, list] of this.#bySender) {
      const keep = list.filter((e) => e.until > now);
      for (const e of list) if (e.until <= now) out.push(e.item);
      this.#count -= list.length - keep.length;
      if (keep.length === 0) this.#bySender.delete(sender);
      else this.#bySender.set(sender, keep);
    }
    return out;
  }
}
