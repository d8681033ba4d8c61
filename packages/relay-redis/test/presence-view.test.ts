import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PresenceView } from '../src/index.js';

const h = (n: number) => String.fromCharCode(65 + n).repeat(43);
const limits = { presenceTtlMs: 1000, maxPresencePerIdentity: 3, maxPresenceEntries: 100 };
const clock = () => {
  const c = { ms: 0, now: () => c.ms };
  return c;
};
const random = { bytes: (n: number) => new Uint8Array(n), int: (n: number) => n - 1 };

describe('PresenceView', () => {
  it('counts and picks k., c., g. candidates; ignores itself; expires silent relays', () => {
    const c = clock();
    const v = new PresenceView('me', limits, c);
    v.online('me', { cid: 'me.x', hash: h(0), groups: [] });
    expect(v.size).toBe(0);
    v.online('r1', { cid: 'r1.a', hash: h(0), groups: [h(9)] });
    v.online('r2', { cid: 'r2.b', hash: h(0), groups: [h(9)] });
    v.online('r2', { cid: 'r2.c', hash: h(1), groups: [h(9)] });
    expect(v.count({ type: 'k', hash: h(0) })).toBe(2);
    expect(v.count({ type: 'g', hash: h(9) })).toBe(2);
    expect(v.count({ type: 'g', hash: h(9) }, h(1))).toBe(1);
    expect(v.pick({ type: 'k', hash: h(0), server: 'r1' }, random)).toEqual({
      srv: 'r1',
      cid: 'r1.a',
    });
    expect(v.pick({ type: 'g', hash: h(9) }, random, h(1))?.cid).toMatch(/^r[12]\.[ab]$/);
    expect(v.pick({ type: 'c', server: 'r2', clientId: 'c' }, random)).toEqual({
      srv: 'r2',
      cid: 'r2.c',
    });
    expect(v.pick({ type: 'c', server: 'r2', clientId: 'zz' }, random)).toBeUndefined();
    c.ms = 500;
    v.heartbeat('r1', ['r1.example']);
    c.ms = 1001;
    expect(v.expire()).toEqual(['r2']);
    expect(v.count({ type: 'k', hash: h(0) })).toBe(1);
    expect(v.count({ type: 'g', hash: h(9) })).toBe(1);
    expect(v.relays()).toEqual([['r1', ['r1.example']]]);
  });

  it('arbitrary event orders: counts always match a plain model; limits hold', () => {
    const op = fc.oneof(
      fc.record({
        t: fc.constant('on'),
        srv: fc.nat(2),
        conn: fc.nat(9),
        id: fc.nat(3),
        g: fc.nat(2),
      }),
      fc.record({ t: fc.constant('off'), srv: fc.nat(2), conn: fc.nat(9) }),
      fc.record({ t: fc.constant('drop'), srv: fc.nat(2) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const v = new PresenceView('me', limits, clock());
        const model = new Map<string, { srv: string; id: number; g: number }>();
        for (const o of ops) {
          const srv = `r${o.srv}`;
          if (o.t === 'on') {
            const cid = `${srv}.c${(o as { conn: number }).conn}`;
            const { id, g } = o as { id: number; g: number };
            const same = [...model.values()].filter((e) => e.id === id).length;
            if (!model.has(cid) && same < limits.maxPresencePerIdentity)
              model.set(cid, { srv, id, g });
            v.online(srv, { cid, hash: h(id), groups: [h(10 + g)] });
          } else if (o.t === 'off') {
            const cid = `${srv}.c${(o as { conn: number }).conn}`;
            model.delete(cid);
            v.offline(cid);
          } else {
            for (const [cid, e] of model) if (e.srv === srv) model.delete(cid);
            v.dropRelay(srv);
          }
        }
        expect(v.size).toBe(model.size);
        for (let id = 0; id < 4; id++) {
          const n = [...model.values()].filter((e) => e.id === id).length;
          expect(v.count({ type: 'k', hash: h(id) })).toBe(n);
          expect(n).toBeLessThanOrEqual(limits.maxPresencePerIdentity);
        }
        for (let g = 0; g < 3; g++) {
          const members = new Set([...model.values()].filter((e) => e.g === g).map((e) => e.id));
          expect(v.count({ type: 'g', hash: h(10 + g) })).toBe(members.size);
        }
      }),
    );
  });
});
