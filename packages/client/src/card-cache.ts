import { IDCard } from '@peerwire/crypto';
import { BoundedMap } from '@peerwire/wire';
import type { ClientClock } from './link.js';

/**
 * Verified IDCards of other identities, by hash: at most `size` of them (the least recently
 * stored is forgotten first), each trusted for `ttlMs`. Concurrent lookups of one identity share
 * one fetch.
 */
export class CardCache {
  readonly #cards: BoundedMap<string, { card: IDCard; blob: Uint8Array }>;
  readonly #fetches = new Map<string, Promise<IDCard>>();

  constructor(
    readonly clock: ClientClock,
    readonly limits: { readonly cardCacheSize: number; readonly cardCacheTtlMs: number },
    /** Fetches and verifies the card of `hash` (the client asks `@/idcard_find`). */
    readonly fetch: (hash: string) => Promise<{ card: IDCard; blob: Uint8Array }>,
  ) {
    // A TTL of 0 (or less) means nothing is ever fresh: cache nothing.
    const ttl = limits.cardCacheTtlMs > 0 ? limits.cardCacheTtlMs : undefined;
    this.#cards = new BoundedMap({
      maxEntries: ttl === undefined ? 0 : limits.cardCacheSize,
      order: 'insertion',
      ...(ttl === undefined ? {} : { ttlMs: ttl }),
      clock,
    });
  }

  /** The card of `hash`: cached while fresh, else fetched (once for concurrent callers). */
  get(hash: string): Promise<IDCard> {
    const cached = this.#cards.get(hash);
    if (cached) return Promise.resolve(cached.card);
    let pending = this.#fetches.get(hash);
    if (!pending) {
      pending = this.fetch(hash)
        .then(({ card, blob }) => {
          this.#put(hash, card, blob);
          return card;
        })
        .finally(() => this.#fetches.delete(hash));
      this.#fetches.set(hash, pending);
    }
    return pending;
  }

  /** An `idcard_update` push: kept unless the cache holds a fresh, newer card of that identity. */
  async acceptUpdate(blob: Uint8Array): Promise<void> {
    const card = await IDCard.parseSigned(blob);
    const cached = this.#cards.get(card.hash);
    if (!cached || cached.card.issued <= card.issued) this.#put(card.hash, card, blob);
  }

  /** Number of cards cached now. */
  get size(): number {
    return this.#cards.size;
  }

  #put(hash: string, card: IDCard, blob: Uint8Array): void {
    this.#cards.set(hash, { card, blob });
  }
}
