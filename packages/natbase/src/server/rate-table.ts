import { BoundedMap, TokenBucket } from '@peerwire/wire';

/**
 * Token buckets keyed by a string (a UDP source IP, a device id), at most `max` of them: the
 * oldest key goes first, so a flood of fresh keys cannot grow memory. (A key evicted that way
 * starts again with a full bucket: the cap must stay well above the keys that matter.)
 */
export class RateTable {
  readonly #buckets: BoundedMap<string, TokenBucket>;

  constructor(
    readonly rate: number,
    readonly burst: number,
    readonly max: number,
  ) {
    this.#buckets = new BoundedMap({ maxEntries: max, order: 'insertion' });
  }

  get size(): number {
    return this.#buckets.size;
  }

  /** Spends one token of `key`'s bucket; false when it is empty. */
  take(key: string, now: number): boolean {
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(this.rate, this.burst, now);
      this.#buckets.set(key, bucket); // a full table forgets its oldest key
    }
    return bucket.take(1, now);
  }

  delete(key: string): void {
    this.#buckets.delete(key);
  }
}
