import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../src/index.js';

describe('TokenBucket', () => {
  it('spends up to the burst, then refills at rate tokens per second, never past the burst', () => {
    const b = new TokenBucket(10, 3, 0);
    expect([b.take(1, 0), b.take(1, 0), b.take(1, 0), b.take(1, 0)]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    expect(b.take(1, 99)).toBe(false); // 0.99 of a token
    expect(b.take(1, 100)).toBe(true);
    expect(b.take(2, 10_000)).toBe(true); // refilled to 3, not 100
    expect(b.take(2, 10_000)).toBe(false);
    expect(b.take(1, 5_000)).toBe(true); // time going backwards adds nothing
  });
});
