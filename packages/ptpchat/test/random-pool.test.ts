import { describe, expect, it } from 'vitest';
import { pooledRandom, RANDOM_POOL_BYTES } from '../src/node/random-pool.js';

describe('pooledRandom', () => {
  it('hands out fresh copies of the requested length, never the same bytes twice', () => {
    const random = pooledRandom();
    const seen = new Set<string>();
    // Past several pool refills, with odd lengths that straddle the pool's end.
    for (let i = 0; i < (3 * RANDOM_POOL_BYTES) / 16; i++) {
      const a = random(16);
      expect(a).toHaveLength(16);
      expect(a.buffer.byteLength).toBe(16); // a copy, not a view into the pool
      const hex = Buffer.from(a).toString('hex');
      expect(seen.has(hex)).toBe(false);
      seen.add(hex);
      expect(random(7)).toHaveLength(7);
    }
    expect(random(RANDOM_POOL_BYTES + 1)).toHaveLength(RANDOM_POOL_BYTES + 1);
    expect(random(0)).toHaveLength(0);
  });
});
