import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitBatch } from '../src/batch.js';
import { PublishBatcher, type PublishResult } from '../src/publish-batcher.js';

/** A batcher whose turns end when the test says so, publishing into an array. */
function harness(maxBatchBytes = 1000) {
  const published: { srv: string; payload: Uint8Array; settle: (r: number | Error) => void }[] = [];
  const outcomes: [string, number, PublishResult][] = [];
  let turnEnd: (() => void) | undefined;
  const batcher = new PublishBatcher(
    (srv, payload) =>
      new Promise<number>((resolve, reject) => {
        published.push({
          srv,
          payload,
          settle: (r) => (r instanceof Error ? reject(r) : resolve(r)),
        });
      }),
    maxBatchBytes,
    (flush) => {
      expect(turnEnd).toBeUndefined(); // one flush scheduled per turn
      turnEnd = flush;
    },
    (srv, n, result) => outcomes.push([srv, n, result]),
  );
  const endTurn = () => {
    const f = turnEnd;
    turnEnd = undefined;
    f?.();
  };
  return { batcher, published, outcomes, endTurn };
}

/** A fake envelope: version byte 1 (as real ones), then `n` repeated. */
const envelope = (n: number, size = 10) => {
  const e = new Uint8Array(size).fill(n % 250);
  e[0] = 1;
  return e;
};

describe('PublishBatcher', () => {
  it('one publish per relay per turn; a lone envelope goes as it is', async () => {
    const h = harness();
    for (let i = 0; i < 5; i++) h.batcher.push('b', envelope(i + 1));
    h.batcher.push('c', envelope(9));
    expect(h.published).toHaveLength(0); // nothing before the turn ends
    expect(h.batcher.pending).toBe(6);
    h.endTurn();
    expect(h.published.map((p) => p.srv)).toEqual(['b', 'c']);
    expect(splitBatch(h.published[0]!.payload, 100)).toEqual(
      [1, 2, 3, 4, 5].map((i) => envelope(i)),
    );
    expect(h.published[1]!.payload).toEqual(envelope(9));
    h.published[0]!.settle(1);
    h.published[1]!.settle(new Error('down'));
    await new Promise((r) => setTimeout(r, 0));
    expect(h.batcher.pending).toBe(0);
    expect(h.outcomes).toEqual([
      ['b', 5, { receivers: 1 }],
      ['c', 1, { error: new Error('down') }],
    ]);
  });

  it('a batch never exceeds maxBatchBytes; an envelope too big for one goes alone', () => {
    const h = harness(100);
    for (let i = 0; i < 10; i++) h.batcher.push('b', envelope(i + 1, 20)); // 24 bytes each
    h.batcher.push('b', envelope(50, 500));
    h.endTurn();
    const sizes = h.published.map((p) => p.payload.length);
    expect(sizes).toEqual([97, 97, 49, 500]);
    const got = h.published.flatMap((p) =>
      p.payload[0] === 2 ? splitBatch(p.payload, 1000) : [p.payload],
    );
    expect(got).toEqual([
      ...Array.from({ length: 10 }, (_, i) => envelope(i + 1, 20)),
      envelope(50, 500),
    ]);
  });

  it('arbitrary pushes and turns: every envelope leaves once, in order, within the bound', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({
              srv: fc.constantFrom('a', 'b', 'c'),
              size: fc.integer({ min: 1, max: 80 }),
            }),
            fc.constant('turn' as const),
          ),
          { maxLength: 60 },
        ),
        (steps) => {
          const h = harness(64);
          const sent = new Map<string, Uint8Array[]>();
          let n = 0;
          for (const s of steps) {
            if (s === 'turn') h.endTurn();
            else {
              const e = envelope(++n, s.size);
              h.batcher.push(s.srv, e);
              sent.set(s.srv, [...(sent.get(s.srv) ?? []), e]);
            }
          }
          h.endTurn();
          expect(h.batcher.pending).toBe(n);
          for (const srv of ['a', 'b', 'c']) {
            const got = h.published
              .filter((p) => p.srv === srv)
              .flatMap((p) => {
                if (p.payload[0] !== 2) return [p.payload];
                expect(p.payload.length).toBeLessThanOrEqual(64);
                return splitBatch(p.payload, 1000);
              });
            expect(got).toEqual(sent.get(srv) ?? []);
          }
        },
      ),
    );
  });
});
