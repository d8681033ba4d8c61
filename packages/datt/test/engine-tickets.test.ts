// The Datt engine's store work as tickets, completed by the host in any order.
import { toHex } from '@peerwire/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ContentWork,
  DattEngine,
  DattError,
  type DattEvent,
  decodeMessage,
  encodeContentBody,
  encodeMessage,
  MemoryContentStore,
  signContentAuth,
} from '../src/index.js';
import { keyOf, ManualClock, seededRandom } from './helpers.js';

const content = signContentAuth(
  { content: encodeContentBody({ name: 'a', label: 'l', title: 't', body: 'b' }), date: 1 },
  keyOf('author'),
);
const other = signContentAuth(
  { content: encodeContentBody({ name: 'b', label: 'l', title: 't', body: 'c' }), date: 2 },
  keyOf('author'),
);
/** Posted by the peers, never asked for (so whether a get finds content does not depend on it). */
const posted = signContentAuth(
  { content: encodeContentBody({ name: 'c', label: 'l', title: 't', body: 'd' }), date: 3 },
  keyOf('author'),
);
const PEERS = ['p0', 'p1'] as const;

/** A server engine whose store work is queued for the test, and what it sends to each peer. */
async function harness() {
  const store = new MemoryContentStore();
  await store.put(content.hash, content.bytes);
  const queue: ContentWork[] = [];
  const sent = new Map<string, string[]>(PEERS.map((p) => [p, []]));
  const events: DattEvent[] = [];
  const engine = new DattEngine({
    clock: new ManualClock(),
    random: seededRandom('tickets'),
    onWork: (work) => queue.push(work),
    output: (out) => {
      if (out.type === 'send') {
        const msg = decodeMessage(out.bytes);
        sent.get(out.peer)!.push(msg.type === 'pong' ? `pong:${toHex(msg.nonce)}` : msg.type);
      }
      if (out.type === 'event') events.push(out.event);
    },
  });
  for (const p of PEERS) {
    engine.addPeer(p, { outbound: false, framing: 'message' });
    engine.receive(p, encodeMessage({ type: 'init', version: 1, services: 0n, addresses: [] }));
  }
  const run = async (work: ContentWork, fail: boolean) => {
    if (fail) return { ok: false as const, error: new Error('injected fault') };
    const op = work.op;
    const value =
      op.kind === 'get'
        ? await store.get(op.hash)
        : op.kind === 'has'
          ? await store.has(op.hash)
          : await store.put(op.hash, op.contentAuth);
    return { ok: true as const, value };
  };
  return { engine, queue, sent, events, store, run };
}

type Command =
  | { t: 'get'; peer: number; known: boolean }
  | { t: 'post'; peer: number }
  | { t: 'ping'; peer: number; nonce: number }
  | { t: 'complete'; pick: number; fail: boolean }
  | { t: 'bogus'; ticket: number };

const peer = fc.nat(1);
const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ t: fc.constant('get' as const), peer, known: fc.boolean() }),
  fc.record({ t: fc.constant('post' as const), peer }),
  fc.record({ t: fc.constant('ping' as const), peer, nonce: fc.nat(0xffff) }),
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('complete' as const),
      pick: fc.nat(),
      fail: fc.boolean(),
    }),
  },
  fc.record({ t: fc.constant('bogus' as const), ticket: fc.nat() }),
);

const nonceOf = (n: number) => {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setUint32(4, n);
  return out;
};

describe('DattEngine store tickets', () => {
  it('holds a peer back while its ticket is out; a bogus completion is a typed error', async () => {
    const h = await harness();
    h.engine.receive('p0', encodeMessage({ type: 'getdata', hash: content.hash }));
    h.engine.receive('p0', encodeMessage({ type: 'ping', nonce: nonceOf(1) }));
    h.engine.receive('p1', encodeMessage({ type: 'ping', nonce: nonceOf(2) }));
    // p0's ping waits behind its getdata; p1 is not held up
    expect(h.sent.get('p0')).toEqual(['initack']);
    expect(h.sent.get('p1')).toEqual(['initack', `pong:${toHex(nonceOf(2))}`]);
    expect(h.queue.map((w) => w.op.kind)).toEqual(['get']);
    expect(h.engine.pendingWork).toBe(1);
    const work = h.queue.shift()!;
    h.engine.complete(work.ticket, await h.run(work, false));
    expect(h.sent.get('p0')).toEqual(['initack', 'contentauth', `pong:${toHex(nonceOf(1))}`]);
    expect(() => h.engine.complete(work.ticket, { ok: true, value: undefined })).toThrow(DattError);
    expect(h.engine.pendingWork).toBe(0);
  });

  it('arbitrary messages and completion orders: typed errors only, every peer answered in order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { maxLength: 30 }), async (commands) => {
        const h = await harness();
        const expected = new Map<string, string[]>(PEERS.map((p) => [p, ['initack']]));
        let failures = 0;
        for (const c of commands) {
          const id = 'peer' in c ? PEERS[c.peer]! : '';
          switch (c.t) {
            case 'get':
              h.engine.receive(
                id,
                encodeMessage({ type: 'getdata', hash: c.known ? content.hash : other.hash }),
              );
              if (c.known) expected.get(id)!.push('contentauth?');
              break;
            case 'post':
              h.engine.receive(
                id,
                encodeMessage({ type: 'postdata', hash: posted.hash, contentAuth: posted.bytes }),
              );
              break;
            case 'ping':
              h.engine.receive(id, encodeMessage({ type: 'ping', nonce: nonceOf(c.nonce) }));
              expected.get(id)!.push(`pong:${toHex(nonceOf(c.nonce))}`);
              break;
            case 'complete': {
              if (h.queue.length === 0) break;
              const [work] = h.queue.splice(c.pick % h.queue.length, 1);
              if (c.fail) failures++;
              h.engine.complete(work!.ticket, await h.run(work!, c.fail));
              break;
            }
            case 'bogus':
              expect(() =>
                h.engine.complete(1_000_000 + c.ticket, { ok: true, value: undefined }),
              ).toThrow(DattError);
              break;
          }
          // one ticket at most per peer (its messages are processed one at a time, in order)
          expect(h.queue.length).toBeLessThanOrEqual(PEERS.length);
        }
        for (let i = 0; h.queue.length > 0 && i < 1000; i++) {
          const work = h.queue.shift()!;
          h.engine.complete(work.ticket, await h.run(work, false));
        }
        expect(h.engine.pendingWork).toBe(0);
        for (const p of PEERS) {
          // a get whose store op failed gets no answer, so contentauths are optional in `want`
          const got = h.sent.get(p)!;
          const want = expected.get(p)!;
          const pongs = (xs: string[]) => xs.filter((x) => x.startsWith('pong:'));
          expect(pongs(got)).toEqual(pongs(want)); // every ping answered, in order
          // each contentauth comes after exactly the pings sent before its getdata
          let gi = 0;
          for (const x of got) {
            if (x !== 'contentauth') continue;
            while (gi < want.length && want[gi] !== 'contentauth?') gi++;
            expect(gi).toBeLessThan(want.length);
            gi++;
          }
          expect(got.filter((x) => x === 'contentauth').length).toBeLessThanOrEqual(
            want.filter((x) => x === 'contentauth?').length,
          );
          // without injected faults the answers are exactly the sequential ones
          if (failures === 0) expect(got).toEqual(want.map((x) => x.replace('?', '')));
        }
        expect(h.events.filter((e) => e.type === 'peer-closed')).toEqual([]);
      }),
      { numRuns: Math.min(300, Number(process.env.FC_NUM_RUNS ?? 300)) },
    );
  });
});
