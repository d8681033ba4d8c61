import { fromHex, toHex } from '@peerwire/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { valueOrTypedError } from '../../../tooling/test-helpers.js';
import {
  BobClient,
  BobError,
  BobServer,
  encodeFrame,
  encodePublic,
  generateSecret,
  type PeerEvent,
} from '../src/index.js';
import { Sim, type SimPeer, scripted } from './sim.js';
import { VECTOR_A, VECTOR_B } from './spec-vectors.js';

const random = (n: number) => globalThis.crypto.getRandomValues(new Uint8Array(n));
const salt = () => random(16);
const sender = (password: string) =>
  new BobServer({ secret: generateSecret(password, { salt: salt() }), random });
const receiver = (password: string) => new BobClient({ password, random });
const of = <T extends PeerEvent['type']>(p: SimPeer, type: T) =>
  p.events.filter((e): e is Extract<PeerEvent, { type: T }> => e.type === type);

describe('sender and receiver state machines (spec §2)', () => {
  it('agree on the keys and learn each other’s relay-given identity', () => {
    const sim = new Sim();
    const s = sim.add('S', sender('pw'));
    const c = sim.add('C', receiver('pw'));
    expect(s.result?.peerIdentity).toBe(c.identity);
    expect(c.result?.peerIdentity).toBe(s.identity);
    expect(s.result?.ownIdentity).toBe(s.identity);
    expect(c.result?.sharedKeys).toEqual(s.result?.sharedKeys);
    expect(c.result?.ciphers).toEqual([0, 2]);
    expect(sim.relay.stats.pairings).toBe(1);
  });

  it('with a wrong password the receiver notices first and sends Spoke_failure 01', () => {
    const sim = new Sim();
    const s = sim.add('S', sender('right'));
    const c = sim.add('C', receiver('wrong'));
    expect(of(c, 'candidate-failed')).toEqual([
      { type: 'candidate-failed', uid: 1, identity: s.identity, failure: 1, by: 'us' },
    ]);
    expect(of(s, 'candidate-failed')).toMatchObject([{ uid: 2, failure: 1, by: 'peer' }]);
    expect(s.result).toBeUndefined();
    expect(c.result).toBeUndefined();
    expect(c.core.candidates).toBe(0);
    expect(s.core.candidates).toBe(0);
  });

  it('a receiver tries every sender and pairs with the one that has its password', () => {
    const sim = new Sim();
    const others = [sim.add('S1', sender('a')), sim.add('S2', sender('b'))];
    const right = sim.add('S3', sender('c'));
    const c = sim.add('C', receiver('c'));
    expect(c.result?.peerIdentity).toBe(right.identity);
    expect(right.result?.peerIdentity).toBe(c.identity);
    expect(
      of(c, 'candidate-failed')
        .map((e) => e.uid)
        .sort(),
    ).toEqual([1, 2]);
    // The paired sender is gone from the relay; the others learnt nothing more about C.
    for (const o of others) expect(o.result).toBeUndefined();
  });

  it('a sender waits through wrong receivers and completes with the right one (per-client state)', () => {
    const sim = new Sim();
    const s = sim.add('S', sender('pw'));
    const wrong1 = sim.add('C1', receiver('nope'));
    const wrong2 = sim.add('C2', receiver('nope either'));
    expect(s.result).toBeUndefined();
    const right = sim.add('C3', receiver('pw'));
    expect(s.result?.peerIdentity).toBe(right.identity);
    expect(wrong1.result).toBeUndefined();
    expect(wrong2.result).toBeUndefined();
    expect(of(s, 'candidate-failed')).toHaveLength(2);
  });

  it('two receivers with the right password: the first Accepted wins, the other is told 09', () => {
    const sim = new Sim();
    const c1 = sim.add('C1', receiver('pw'));
    const c2 = sim.add('C2', receiver('pw'));
    const s = sim.add('S', sender('pw')); // announced to C1, then C2
    expect(s.result?.peerIdentity).toBe(c1.identity);
    expect(c1.result?.peerIdentity).toBe(s.identity);
    // C2 reached an agreement with S too and accepted it, but C1's Accepted came first: the relay
    // answers 09 for S and C2 forgets it, free to wait for another sender.
    expect(of(c2, 'agreement')).toHaveLength(1);
    expect(of(c2, 'candidate-closed')).toContainEqual({ type: 'candidate-closed', uid: 3 });
    expect(c2.result).toBeUndefined();
    expect(c2.core.candidates).toBe(0);
    expect(sim.relay.stats.pairings).toBe(1);
  });

  it('a refusal reaches the sender (forwarded by the peerwire relay)', () => {
    const sim = new Sim();
    sim.decide = () => false;
    const s = sim.add('S', sender('pw'));
    const c = sim.add('C', receiver('pw'));
    expect(of(s, 'refused')).toEqual([{ type: 'refused', uid: 2, identity: c.identity }]);
    expect(s.result).toBeUndefined();
    expect(c.core.candidates).toBe(0);
  });

  it('the relay timeout closes both peers with 0f', () => {
    const sim = new Sim({ idleTimeoutMs: 1000 });
    const s = sim.add('S', sender('pw'));
    sim.tick(1000);
    expect(of(s, 'closed')).toEqual([{ type: 'closed', reason: 'timeout' }]);
    expect(s.closed).toBe(true);
  });

  it('with --reproduce identities the cores reproduce vector B', () => {
    const sim = new Sim();
    const secret = generateSecret(VECTOR_B.password, { salt: fromHex(VECTOR_B.salt) });
    const s = sim.add(
      'S',
      new BobServer({ secret, random: scripted(fromHex(VECTOR_B.y)), reproduce: true }),
    );
    const c = sim.add(
      'C',
      new BobClient({
        password: VECTOR_B.password,
        random: scripted(fromHex(VECTOR_B.x)),
        reproduce: true,
      }),
    );
    expect(toHex(c.result!.sharedKeys.client)).toBe(VECTOR_B.clientSk);
    expect(toHex(s.result!.sharedKeys.server)).toBe(VECTOR_B.serverSk);
    // The real identities are still what the secure room needs.
    expect(s.result?.peerIdentity).toBe(c.identity);
  });

  it('refuses a public asking for too many PBKDF2 iterations with Spoke_failure 03', () => {
    const sim = new Sim();
    // Announce 2,000,000 iterations without paying for them: only the public matters here.
    const base = generateSecret('pw', { salt: salt() });
    const greedyPublic = encodePublic({
      iterations: 2_000_000,
      ciphers: [0, 2],
      salt: base.public.slice(18),
    });
    const greedy = new BobServer({ secret: { ...base, public: greedyPublic }, random });
    sim.add('S', greedy);
    const c = sim.add('C', receiver('pw'));
    expect(of(c, 'candidate-failed')).toMatchObject([{ failure: 3, by: 'us' }]);
  });

  it('ignores packets that do not fit, and reports them', () => {
    const c = receiver('pw');
    c.start();
    const events = c.receive(encodeFrame(5, { type: 'agreement' }));
    expect(events).toContainEqual({
      type: 'send',
      bytes: encodeFrame(0, {
        type: 'relay-failure',
        failure: { kind: 'no-handshake-with', uid: 5 },
      }),
    });
    expect(events.some((e) => e.type === 'ignored')).toBe(true);
    expect(c.receive(encodeFrame(0, { type: 'done' }))).toMatchObject([
      { type: 'ignored', packet: 'done' },
    ]);
    const s = sender('pw');
    expect(
      s.receive(
        encodeFrame(0, {
          type: 'new-server',
          uid: 1,
          public: fromHex(VECTOR_A.public),
          identity: 'x',
        }),
      ),
    ).toMatchObject([{ type: 'ignored' }]);
  });

  it('fuzz: arbitrary bytes give events or a BobError', () => {
    // Each case may run a PBKDF2 and scalar products: 500 runs.
    const pub = fromHex(VECTOR_A.public);
    const chunk = fc.oneof(
      fc.uint8Array({ maxLength: 60 }),
      fc.constantFrom(
        encodeFrame(0, { type: 'client-identity', identity: 'me:1' }),
        encodeFrame(0, { type: 'server-identity', identity: 'me:1' }),
        encodeFrame(0, { type: 'new-server', uid: 1, public: pub, identity: 's:1' }),
        encodeFrame(1, {
          type: 'y-and-server-validator',
          Y: fromHex(VECTOR_A.Y),
          validator: new Uint8Array(64),
        }),
        encodeFrame(2, { type: 'x-and-client-identity', X: fromHex(VECTOR_A.X), identity: 'c:1' }),
        encodeFrame(2, { type: 'accepted' }),
        encodeFrame(0, { type: 'done' }),
        encodeFrame(0, { type: 'closed', uid: 1 }),
      ),
    );
    fc.assert(
      fc.property(fc.array(chunk, { maxLength: 6 }), (chunks) => {
        const secret = generateSecret('pw', { salt: new Uint8Array(16) });
        for (const core of [
          new BobServer({ secret, random }),
          new BobClient({ password: 'pw', random }),
        ]) {
          core.start();
          valueOrTypedError(() => {
            for (const ch of chunks) core.receive(ch);
          }, BobError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
