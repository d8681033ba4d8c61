import { IDCard } from '@peerwire/crypto';
import type { ClientClock } from './link.js';

/**
 * Verified IDCards of other identities, by hash: at most `size` of them (the least recently
 * stored is forgotten first), each trusted for `ttlMs`. Concurrent lookups of one identity share
 * one fetch.
 */
export class CardCache {
  readonly #cards = new Map<string, { card: IDCard; blob: Uint8Array; at: number }>();
  readonly #fetches = new Map<string, Promise<IDCard>>();

  constructor(
    readonly clock: ClientClock,
    readonly limits: { readonly cardCacheSize: number; readonly cardCacheTtlMs: number },
    /** Fetches and verifies the card of `hash` (the client asks `@/idcard_find`). */
    readonly fetch: (hash: string) => Promise<{ card: IDCard; blob: Uint8Array }>,
  ) {}

  /** The card of `hash`: cached while fresh, else fetched (once for concurrent callers). */
  get(hash: string): Promise<IDCard> {
    const cached = this.#cards.get(hash);
    if (cached && this.clock.now() - cached.at < this.limits.cardCacheTtlMs) {
      return Promise.resolve(cached.card);
    }
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

  /** An `idcard_update` push: kept unless the cache holds a newer card of that identity. */
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
    this.#cards.delete(hash);
    this.#cards.set(hash, { card, blob, at: this.clock.now() });
    while (this.#cards.size > this.limits.cardCacheSize)
      this.#cards.delete(this.#cards.keys().next().value!);
  }
}
