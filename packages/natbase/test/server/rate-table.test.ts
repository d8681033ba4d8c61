import { describe, expect, it } from 'vitest';
import { RateTable } from '../../src/server/rate-table.js';

describe('RateTable', () => {
  it('spends a burst per key, then refills at the rate', () => {
    const t = new RateTable(10, 3, 100);
    expect([1, 2, 3, 4].map(() => t.take('a', 0))).toEqual([true, true, true, false]);
    expect(t.take('b', 0)).toBe(true); // another key has its own bucket
    expect(t.take('a', 100)).toBe(true); // 100 ms at 10/s: one token back
    expect(t.take('a', 100)).toBe(false);
  });

  it('holds at most max keys and forgets the oldest first (it then starts full again)', () => {
    const t = new RateTable(1, 1, 3);
    for (const k of ['a', 'b', 'c']) expect(t.take(k, 0)).toBe(true);
    expect(t.take('a', 0)).toBe(false); // a used a lookup, not an insertion
    for (let i = 0; i < 1000; i++) t.take(`flood ${i}`, 0);
    expect(t.size).toBe(3);
    expect(t.take('flood 999', 0)).toBe(false); // the newest keys are still there
    expect(t.take('a', 0)).toBe(true); // a was forgotten: a fresh, full bucket
  });

  it('delete forgets a key', () => {
    const t = new RateTable(1, 1, 10);
    t.take('a', 0);
    t.delete('a');
    expect(t.size).toBe(0);
    expect(t.take('a', 0)).toBe(true);
  });
});
