import { describe, expect, it } from 'vitest';
import { pooledRandom } from '../src/node/index.js';

describe('pooledRandom', () => {
  it('returns fresh copies of the requested length, never the same bytes twice', () => {
    const random = pooledRandom(64);
    const a = random(24);
    const b = random(24);
    const c = random(24); // refills
    const big = random(100); // larger than the pool
    expect([a.length, b.length, c.length, big.length]).toEqual([24, 24, 24, 100]);
    expect(a).not.toEqual(b);
    expect(b).not.toEqual(c);
    const kept = a.slice();
    for (let i = 0; i < 20; i++) random(24);
    expect(a).toEqual(kept); // a refill does not overwrite what was handed out
  });
});
