import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArgumentError, BoundedMap } from '../src/index.js';

function fakeClock(start = 0) {
  const c = { t: start, now: () => c.t };
  return c;
}

describe('BoundedMap', () => {
  it('lru: a get saves an entry from eviction, the least recently used goes first', () => {
    const m = new BoundedMap<string, number>({ maxEntries: 2 });
    m.set('a', 1).set('b', 2);
    expect(m.get('a')).toBe(1);
    m.set('c', 3);
    expect([...m.keys()]).toEqual(['a', 'c']);
    expect(m.has('b')).toBe(false);
  });

  it('insertion: a get does not save an entry, re-storing one does', () => {
    const m = new BoundedMap<string, number>({ maxEntries: 2, order: 'insertion' });
    m.set('a', 1).set('b', 2);
    expect(m.get('a')).toBe(1);
    m.set('c', 3);
    expect([...m.keys()]).toEqual(['b', 'c']);
    m.set('b', 20);
    m.set('d', 4);
    expect([...m.entries()]).toEqual([
      ['b', 20],
      ['d', 4],
    ]);
  });

  it('has and peek are not uses', () => {
    const m = new BoundedMap<string, number>({ maxEntries: 2 });
    m.set('a', 1).set('b', 2);
    expect(m.has('a')).toBe(true);
    expect(m.peek('a')).toBe(1);
    m.set('c', 3);
    expect(m.has('a')).toBe(false);
  });

  it('maxEntries 0 keeps nothing; lowering maxEntries forgets the first-to-go entries', () => {
    const none = new BoundedMap<string, number>({ maxEntries: 0 });
    none.set('a', 1);
    expect(none.size).toBe(0);
    expect(none.get('a')).toBeUndefined();
    const m = new BoundedMap<number, number>({ maxEntries: 5 });
    for (let i = 0; i < 5; i++) m.set(i, i);
    m.get(0);
    m.maxEntries = 2;
    expect([...m.keys()]).toEqual([4, 0]);
    m.maxEntries = 0;
    expect(m.size).toBe(0);
    const unbounded = new BoundedMap<number, number>({ maxEntries: Number.POSITIVE_INFINITY });
    for (let i = 0; i < 1000; i++) unbounded.set(i, i);
    expect(unbounded.size).toBe(1000);
  });

  it('entries expire at set time + ttl, per entry, and are not iterated after', () => {
    const clock = fakeClock(1000);
    const m = new BoundedMap<string, number>({ maxEntries: 10, ttlMs: 100, clock });
    m.set('a', 1);
    m.set('long', 2, 1000);
    m.set('ever', 3, null);
    clock.t = 1099;
    expect(m.get('a')).toBe(1);
    clock.t = 1100;
    expect([...m.keys()]).toEqual(['long', 'ever']);
    expect(m.size).toBe(3); // not dropped until looked up or pruned
    expect(m.has('a')).toBe(false);
    expect(m.size).toBe(2);
    clock.t = 2000;
    expect(m.prune()).toBe(1);
    expect([...m.entries()]).toEqual([['ever', 3]]);
  });

  it('refuses bad sizes and a lifetime without a clock with ArgumentError', () => {
    for (const make of [
      () => new BoundedMap({ maxEntries: -1 }),
      () => new BoundedMap({ maxEntries: 1.5 }),
      () => new BoundedMap({ maxEntries: 1, ttlMs: 10 }),
      () => new BoundedMap({ maxEntries: 1, ttlMs: 0, clock: fakeClock() }),
      () => new BoundedMap({ maxEntries: 1 }).set('a', 1, 10),
      () => {
        new BoundedMap({ maxEntries: 1 }).maxEntries = Number.NaN;
      },
    ]) {
      expect(make).toThrow(ArgumentError);
      try {
        make();
      } catch (e) {
        expect((e as ArgumentError).code).toBe('BAD_ARGUMENT');
      }
    }
  });

  it('matches a reference model under arbitrary operations (both orders, with expiry)', () => {
    const key = fc.integer({ min: 0, max: 7 });
    const op = fc.oneof(
      fc.record({
        t: fc.constant('set' as const),
        k: key,
        v: fc.integer(),
        ttl: fc.option(fc.integer({ min: 1, max: 50 }), { nil: null }),
      }),
      fc.record({ t: fc.constant('get' as const), k: key }),
      fc.record({ t: fc.constant('has' as const), k: key }),
      fc.record({ t: fc.constant('delete' as const), k: key }),
      fc.record({ t: fc.constant('tick' as const), dt: fc.integer({ min: 0, max: 30 }) }),
      fc.record({ t: fc.constant('resize' as const), n: fc.integer({ min: 0, max: 6 }) }),
    );
    fc.assert(
      fc.property(
        fc.constantFrom('lru' as const, 'insertion' as const),
        fc.integer({ min: 0, max: 5 }),
        fc.array(op, { maxLength: 80 }),
        (order, max, ops) => {
          const clock = fakeClock();
          const m = new BoundedMap<number, number>({ maxEntries: max, order, clock });
          // model: oldest first
          let model: { k: number; v: number; exp: number }[] = [];
          let cap = max;
          const liveIdx = (k: number) => {
            const i = model.findIndex((e) => e.k === k);
            if (i >= 0 && model[i]!.exp <= clock.t) {
              model.splice(i, 1);
              return -1;
            }
            return i;
          };
          for (const o of ops) {
            switch (o.t) {
              case 'set': {
                m.set(o.k, o.v, o.ttl);
                model = model.filter((e) => e.k !== o.k);
                if (cap > 0)
                  model.push({ k: o.k, v: o.v, exp: o.ttl === null ? Infinity : clock.t + o.ttl });
                while (model.length > cap) model.shift();
                break;
              }
              case 'get': {
                const i = liveIdx(o.k);
                const want = i >= 0 ? model[i]!.v : undefined;
                if (i >= 0 && order === 'lru') model.push(...model.splice(i, 1));
                expect(m.get(o.k)).toBe(want);
                break;
              }
              case 'has':
                expect(m.has(o.k)).toBe(liveIdx(o.k) >= 0);
                break;
              case 'delete': {
                const i = model.findIndex((e) => e.k === o.k);
                if (i >= 0) model.splice(i, 1);
                expect(m.delete(o.k)).toBe(i >= 0);
                break;
              }
              case 'tick':
                clock.t += o.dt;
                break;
              case 'resize':
                cap = o.n;
                m.maxEntries = o.n;
                while (model.length > cap) model.shift();
                break;
            }
            expect(m.size).toBe(model.length);
            expect(m.size).toBeLessThanOrEqual(cap);
            expect([...m.entries()]).toEqual(
              model.filter((e) => e.exp > clock.t).map((e) => [e.k, e.v]),
            );
          }
        },
      ),
    );
  });
  it('keeps its eviction order over long runs (its queue compacted and rebuilt many times)', () => {
    // Thousands of stores, uses and deletions: the eviction queue is trimmed and rebuilt many
    // times; contents and order must stay those of a plain model.
    for (const order of ['lru', 'insertion'] as const) {
      const m = new BoundedMap<number, number>({ maxEntries: 300, order });
      let model: number[] = []; // keys, oldest first
      let x = 12345;
      const next = () => {
        x = (x * 1103515245 + 12345) % 2 ** 31;
        return x;
      };
      for (let i = 0; i < 20_000; i++) {
        const k = next() % 1000;
        const r = next() % 10;
        if (r < 6) {
          m.set(k, i);
          model = model.filter((e) => e !== k);
          model.push(k);
          if (model.length > 300) model.shift();
        } else if (r < 8) {
          const present = model.includes(k);
          expect(m.get(k) !== undefined).toBe(present);
          if (present && order === 'lru') model = [...model.filter((e) => e !== k), k];
        } else {
          expect(m.delete(k)).toBe(model.includes(k));
          model = model.filter((e) => e !== k);
        }
        if (i % 997 === 0) expect([...m.keys()]).toEqual(model);
      }
      expect([...m.keys()]).toEqual(model);
    }
  });

  it('deleting while iterating yields no deleted entry', () => {
    const m = new BoundedMap<number, number>({ maxEntries: Number.POSITIVE_INFINITY });
    for (let i = 0; i < 3000; i++) m.set(i, i);
    for (let i = 0; i < 1500; i++) m.delete(i); // 1500 holes, 1500 entries
    const seen: number[] = [];
    for (const [k] of m) {
      seen.push(k);
      if (k === 1500) for (let j = 1501; j < 3000; j += 2) m.delete(j);
    }
    const want = [1500];
    for (let j = 1502; j < 3000; j += 2) want.push(j);
    expect(seen).toEqual(want);
    expect(m.size).toBe(want.length);
  });
});
