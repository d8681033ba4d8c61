// The relay core's asynchronous work as tickets: the host completes them in any order.
import { concatBytes } from '@peerwire/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryRelayStore, Relay, RelayError, type RelayWork, WorkRunner } from '../src/index.js';
import { FakeClock, type Identity, makeIdentity, seededRandom, TestPeer } from './harness.js';

const utf8 = (s: string) => new TextEncoder().encode(s);
const QUOTA = { maxBlobsPerIdentity: 2, maxBlobBytesPerIdentity: 12 };

type Command =
  | { t: 'store'; who: number; key: string; size: number; signed: boolean }
  | { t: 'fetch'; who: number; key: string }
  | { t: 'find'; who: number }
  | { t: 'complete'; pick: number; fail: boolean }
  | { t: 'garbage'; who: number; bytes: Uint8Array }
  | { t: 'rechallenge'; who: number }
  | { t: 'close'; who: number }
  | { t: 'connect'; who: number }
  | { t: 'bogus'; ticket: number }
  | { t: 'tick'; ms: number };

const who = fc.nat(2);
const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('store' as const),
      who,
      key: fc.constantFrom('a', 'b', 'c'),
      size: fc.nat(7),
      signed: fc.boolean(),
    }),
  },
  fc.record({ t: fc.constant('fetch' as const), who, key: fc.constantFrom('a', 'b') }),
  fc.record({ t: fc.constant('find' as const), who }),
  {
    weight: 6,
    arbitrary: fc.record({
      t: fc.constant('complete' as const),
      pick: fc.nat(),
      fail: fc.boolean(),
    }),
  },
  fc.record({
    t: fc.constant('garbage' as const),
    who,
    bytes: fc.uint8Array({ minLength: 0, maxLength: 40 }),
  }),
  fc.record({ t: fc.constant('rechallenge' as const), who }),
  fc.record({ t: fc.constant('close' as const), who }),
  fc.record({ t: fc.constant('connect' as const), who }),
  fc.record({ t: fc.constant('bogus' as const), ticket: fc.nat() }),
  fc.record({ t: fc.constant('tick' as const), ms: fc.nat(40_000) }),
);

/** A relay whose work is queued for the test to complete, and the peers of three identities. */
function harness(ids: readonly Identity[]) {
  const store = new MemoryRelayStore();
  const runner = new WorkRunner(store, undefined);
  const clock = new FakeClock();
  const queue: RelayWork[] = [];
  const relay = new Relay({
    serverCode: 'tk',
    clock,
    random: seededRandom(3),
    store,
    limits: QUOTA,
    onWork: (work) => queue.push(work),
  });
  const peers: (TestPeer | undefined)[] = [];
  const connect = (i: number) => {
    const peer = new TestPeer(ids[i]);
    peer.session = relay.accept(peer, '127.0.0.1');
    peers[i] = peer;
  };
  const settle = async () => {
    for (const p of peers) await p?.settle();
  };
  const completeAt = async (index: number, fail: boolean) => {
    const [work] = queue.splice(index, 1);
    const result = fail
      ? { ok: false as const, error: new Error('injected fault') }
      : await runner.execute(work!);
    relay.complete(work!.ticket, result, clock.now());
  };
  return { store, clock, queue, relay, peers, connect, settle, completeAt };
}

/** Blob writes of one identity emitted at once (the quota check needs them one at a time). */
function concurrentBlobWrites(queue: readonly RelayWork[]): number {
  const writers = new Map<string, number>();
  for (const w of queue) {
    if (w.type === 'store' && (w.op.kind === 'put_blob' || w.op.kind === 'delete_blob'))
      writers.set(w.op.owner, (writers.get(w.op.owner) ?? 0) + 1);
  }
  return Math.max(0, ...writers.values());
}

describe('work tickets', () => {
  it('nothing asynchronous runs inside the core: a handshake waits for its verify ticket', async () => {
    const [a] = [await makeIdentity()];
    const h = harness([a!]);
    h.connect(0);
    await h.settle();
    expect(h.queue.map((w) => w.type === 'verify' && w.check.kind)).toEqual(['handshake']);
    expect(h.peers[0]!.online).toBe(false);
    await h.completeAt(0, false);
    expect(h.queue.map((w) => w.type === 'verify' && w.check.kind)).toEqual(['card_groups']);
    await h.completeAt(0, false);
    expect(h.peers[0]!.online).toBe(true);
    expect(h.queue.map((w) => w.type === 'store' && w.op.kind)).toEqual(['remember_card']);
    expect(h.relay.pendingWork).toEqual({ outstanding: 1, queued: 0 });
    // a completion for a ticket that is not outstanding is a typed error, and changes nothing
    const done = h.queue[0]!.ticket;
    await h.completeAt(0, false);
    expect(() => h.relay.complete(done, { ok: true, value: 'kept' }, h.clock.now())).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_TICKET' }),
    );
    expect(h.relay.pendingWork).toEqual({ outstanding: 0, queued: 0 });
  });

  it('a failed verify ticket fails the handshake; a failed store ticket is an internal error', async () => {
    const a = await makeIdentity();
    const h = harness([a, a]);
    h.connect(0);
    await h.settle();
    await h.completeAt(0, true);
    expect(h.peers[0]!.closedWith?.reason).toMatch(/handshake failed: injected fault/);
    h.connect(1);
    await h.settle();
    await h.completeAt(0, false);
    await h.completeAt(0, false);
    await h.completeAt(0, false); // remember_card
    const id = h.peers[1]!.sendMessage('@/fetch_blob', 'k');
    expect(h.queue.map((w) => w.type === 'store' && w.op.kind)).toEqual(['get_blob']);
    await h.completeAt(0, true);
    const reply = h.peers[1]!.reply(id)!;
    expect(reply.flags).toBe(7n);
    expect(new TextDecoder().decode(reply.body)).toBe('internal error');
  });

  it('arbitrary inputs and completion orders: only typed errors, never past a blob quota', async () => {
    const ids = [await makeIdentity(), await makeIdentity(), await makeIdentity()];
    let answered = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(command, { maxLength: 40 }), async (commands) => {
        const h = harness(ids);
        for (let i = 0; i < ids.length; i++) h.connect(i);
        await h.settle();
        for (let i = 0; h.queue.length > 0 && i < 100; i++) {
          await h.completeAt(0, false);
          await h.settle();
        }
        expect(h.peers.every((p) => p?.online)).toBe(true);
        const sent: { peer: TestPeer; id: Uint8Array }[] = [];
        const closed = new Set<TestPeer>();
        for (const c of commands) {
          try {
            const peer = 'who' in c ? h.peers[c.who] : undefined;
            switch (c.t) {
              case 'store': {
                const body = concatBytes(
                  utf8(c.key),
                  Uint8Array.of(0),
                  new Uint8Array(c.size).fill(7),
                );
                const id = c.signed
                  ? await peer!.sendSigned('@/store_blob', body)
                  : peer!.sendMessage('@/store_blob', body);
                sent.push({ peer: peer!, id });
                break;
              }
              case 'fetch':
                sent.push({ peer: peer!, id: peer!.sendMessage('@/fetch_blob', c.key) });
                break;
              case 'find':
                sent.push({
                  peer: peer!,
                  id: peer!.sendMessage('@/idcard_find', new Uint8Array(32).fill(c.who)),
                });
                break;
              case 'complete':
                if (h.queue.length > 0) await h.completeAt(c.pick % h.queue.length, c.fail);
                break;
              case 'garbage':
                peer!.session!.receive(c.bytes);
                break;
              case 'rechallenge':
                h.relay.rechallenge(peer!.session!.cid);
                break;
              case 'close':
                peer!.session!.closed();
                closed.add(peer!);
                break;
              case 'connect':
                h.connect(c.who);
                break;
              case 'bogus':
                expect(() =>
                  h.relay.complete(1_000_000 + c.ticket, { ok: true, value: undefined }, 0),
                ).toThrow(RelayError);
                break;
              case 'tick':
                h.clock.advance(c.ms);
                h.relay.tick();
                break;
            }
          } catch (error) {
            expect(error).toBeInstanceOf(RelayError); // nothing untyped ever leaves the core
            throw error; // and nothing typed either, but for a bogus ticket (checked above)
          }
          await h.settle();
          expect(concurrentBlobWrites(h.queue)).toBeLessThanOrEqual(1);
          for (const id of ids) {
            const usage = await h.store.blobUsage(id.hash);
            expect(usage.count).toBeLessThanOrEqual(QUOTA.maxBlobsPerIdentity);
            expect(usage.bytes).toBeLessThanOrEqual(QUOTA.maxBlobBytesPerIdentity);
          }
        }
        // Completing whatever is left, in order, leaves no work behind, and every request sent
        // on a connection that is still open got exactly one answer.
        for (let i = 0; h.queue.length > 0 && i < 1000; i++) {
          await h.completeAt(0, false);
          await h.settle();
        }
        expect(h.relay.pendingWork).toEqual({ outstanding: 0, queued: 0 });
        for (const { peer, id } of sent) {
          if (peer.closedWith || closed.has(peer)) continue;
          const hex = Buffer.from(id).toString('hex');
          const answers = peer.messages.filter((m) => Buffer.from(m.id).toString('hex') === hex);
          expect(answers).toHaveLength(1);
          answered++;
        }
        h.relay.shutdown();
      }),
      { numRuns: Math.min(200, Number(process.env.FC_NUM_RUNS ?? 200)) },
    );
    expect(answered).toBeGreaterThan(100); // the runs did serve requests, not only kick peers
  });
});
