import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeadlineQueue } from '../src/index.js';

describe('DeadlineQueue', () => {
  it('pops due keys earliest first and keeps later ones', () => {
    const q = new DeadlineQueue<string>();
    q.set('b', 20, 'B');
    q.set('a', 10, 'A');
    q.set('c', 30, 'C');
    expect(q.nextAt()).toBe(10);
    expect(q.popDue(25)).toEqual([
      { key: 'a', at: 10, value: 'A' },
      { key: 'b', at: 20, value: 'B' },
    ]);
    expect(q.size).toBe(1);
    expect(q.nextAt()).toBe(30);
  });

  it('a rescheduled key fires once, at its new time; a deleted key never fires', () => {
    const q = new DeadlineQueue<number>();
    q.set('x', 10, 1);
    q.set('x', 50, 2);
    q.set('y', 20, 3);
    q.delete('y');
    expect(q.nextAt()).toBe(50);
    expect(q.popDue(40)).toEqual([]);
    expect(q.popDue(50)).toEqual([{ key: 'x', at: 50, value: 2 }]);
    expect(q.nextAt()).toBeUndefined();
  });

  it('matches a plain map model under arbitrary set/delete/pop sequences', () => {
    const op = fc.oneof(
      fc.record({
        op: fc.constant('set' as const),
        key: fc.integer({ min: 0, max: 20 }),
        at: fc.integer({ min: 0, max: 1000 }),
      }),
      fc.record({ op: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 20 }) }),
      fc.record({ op: fc.constant('pop' as const), now: fc.integer({ min: 0, max: 1000 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const q = new DeadlineQueue<number>();
        const model = new Map<string, { at: number; seq: number }>();
        let seq = 0;
        for (const o of ops) {
          if (o.op === 'set') {
            q.set(String(o.key), o.at, o.at);
            model.set(String(o.key), { at: o.at, seq: seq++ });
          } else if (o.op === 'delete') {
            expect(q.delete(String(o.key))).toBe(model.delete(String(o.key)));
          } else {
            const expected = [...model]
              .filter(([, v]) => v.at <= o.now)
              .sort(([, a], [, b]) => a.at - b.at || a.seq - b.seq)
              .map(([key, v]) => ({ key, at: v.at, value: v.at }));
            for (const e of expected) model.delete(e.key);
            expect(q.popDue(o.now)).toEqual(expected);
          }
          expect(q.size).toBe(model.size);
          const min = Math.min(...[...model.values()].map((v) => v.at));
          expect(q.nextAt()).toBe(model.size ? min : undefined);
        }
      }),
    );
  });
});
