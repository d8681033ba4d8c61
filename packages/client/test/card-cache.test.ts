import { IDCard } from '@peerwire/crypto';
import { describe, expect, it } from 'vitest';
import { CardCache } from '../src/card-cache.js';
import type { ClientClock } from '../src/link.js';

function setup(limits: { cardCacheSize: number; cardCacheTtlMs: number }) {
  const clock = { t: 0, now: () => clock.t, setTimeout: () => 0, clearTimeout: () => {} };
  const fetched: string[] = [];
  const cache = new CardCache(clock as ClientClock, limits, async (hash) => {
    fetched.push(hash);
    // A card object per fetch: identity is what the test compares.
    return {
      card: new IDCard({ self: new Uint8Array([fetched.length]), issued: 1, subKeys: [] }),
      blob: new Uint8Array(),
    };
  });
  return { clock, fetched, cache };
}

describe('CardCache', () => {
  it('serves a card while fresh, fetches again once cardCacheTtlMs has passed', async () => {
    const { clock, fetched, cache } = setup({ cardCacheSize: 10, cardCacheTtlMs: 1000 });
    const first = await cache.get('a');
    clock.t = 999;
    expect(await cache.get('a')).toBe(first);
    expect(fetched).toEqual(['a']);
    clock.t = 1000;
    expect(await cache.get('a')).not.toBe(first);
    expect(fetched).toEqual(['a', 'a']);
  });

  it('concurrent lookups share one fetch', async () => {
    const { fetched, cache } = setup({ cardCacheSize: 10, cardCacheTtlMs: 1000 });
    const [x, y] = await Promise.all([cache.get('a'), cache.get('a')]);
    expect(x).toBe(y);
    expect(fetched).toEqual(['a']);
  });

  it('keeps at most cardCacheSize cards, forgetting the least recently stored', async () => {
    const { fetched, cache } = setup({ cardCacheSize: 2, cardCacheTtlMs: 1000 });
    await cache.get('a');
    await cache.get('b');
    await cache.get('a'); // a hit: not a store, a stays the oldest
    await cache.get('c');
    expect(cache.size).toBe(2);
    await cache.get('b');
    expect(fetched).toEqual(['a', 'b', 'c']);
    await cache.get('a');
    expect(fetched).toEqual(['a', 'b', 'c', 'a']);
  });

  it('a TTL of 0 caches nothing', async () => {
    const { fetched, cache } = setup({ cardCacheSize: 2, cardCacheTtlMs: 0 });
    await cache.get('a');
    await cache.get('a');
    expect(fetched).toEqual(['a', 'a']);
    expect(cache.size).toBe(0);
  });
});
