import { describe, expect, it } from 'vitest';
import { WindowLimiter } from '../src/rate-limit.js';

describe('WindowLimiter', () => {
  it('allows `limit` events per key in any window, and forgets the least recently used key', () => {
    const l = new WindowLimiter(2, 1000, 2);
    expect([l.allow('a', 0), l.allow('a', 10), l.allow('a', 20)]).toEqual([true, true, false]);
    expect(l.allow('a', 1005)).toBe(true); // 0 has left the window, 10 is still in it
    expect(l.allow('a', 1006)).toBe(false);
    expect(l.allow('b', 1006)).toBe(true);
    expect(l.allow('a', 1007)).toBe(false); // a is now the most recently used key
    expect(l.allow('c', 1008)).toBe(true); // a third key: b, least recently used, is forgotten
    expect([l.allow('b', 1009), l.allow('b', 1010), l.allow('b', 1011)]).toEqual([
      true,
      true,
      false,
    ]);
    expect(l.allow('a', 1012)).toBe(true); // forgotten when b came back: more lenient only
  });
});
