// Hostile neighbours against a running node on loopback: each time the node keeps serving
// alice and bob, who talk through it.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { PtpchatLimits } from '../src/index.js';
import type { PtpchatNodeIoLimits } from '../src/node/index.js';
import { linked, startTestNode, until } from './node-helpers.js';
import { envelope, junkFlood, RawClient } from './raw-client.js';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  await Promise.all(cleanup.splice(0).map((f) => f()));
});

async function world(limits: Partial<PtpchatLimits> = {}, io: Partial<PtpchatNodeIoLimits> = {}) {
  const s = await startTestNode('server', { listen: { host: '127.0.0.1' }, limits, io });
  const alice = await startTestNode('alice');
  const bob = await startTestNode('bob');
  cleanup.push(
    () => s.close(),
    () => alice.close(),
    () => bob.close(),
  );
  await alice.dial('127.0.0.1', s.tcpPort!);
  await bob.dial('127.0.0.1', s.tcpPort!);
  await linked(alice, s);
  await linked(bob, s);
  await until(
    () =>
      alice.node.pathTo(bob.node.nodeId) === 'relayed' &&
      bob.node.pathTo(alice.node.nodeId) === 'relayed',
    'routes between alice and bob',
  );
  const ch = alice.node.createChannel('general');
  await until(() => bob.node.channel(ch.channelId), 'bob hears of the channel');
  bob.node.join(ch.channelId);
  await until(() => alice.node.channel(ch.channelId)?.members.length === 2, 'bob joined');
  let n = 0;
  /** alice → bob through the server, once more. */
  const stillServing = async () => {
    const text = `still there ${++n}`;
    await alice.node.sendMessage(ch.channelId, text);
    await until(() => bob.events('message').some((m) => m.text === text), `bob gets "${text}"`);
    return true;
  };
  const raw = async () => {
    const c = await RawClient.connect(s.tcpPort!);
    cleanup.push(() => c.destroy());
    return c;
  };
  /** The server's link id for a raw client (by its local port). */
  const peerOf = (c: RawClient) =>
    s.links.find((e) => e.type === 'open' && e.remoteAddress === `127.0.0.1:${c.socket.localPort}`)
      ?.peer;
  return { s, alice, bob, stillServing, raw, peerOf };
}

describe('a running node under hostile input', () => {
  it('malformed JSON, bad UTF-8, unknown verbs: dropped and counted, the link and the node serve on', async () => {
    const { s, stillServing, raw } = await world();
    const c = await raw();
    const before = { ...s.node.counters.drops };
    const mallory = `mallory@${randomUUID()}`;
    c.hello(mallory);
    for (const f of ['{', '[]', 'null', '{"msg_type":"HELLO"', '"x"']) c.send(f);
    c.sendRaw(Uint8Array.of(0, 0, 0, 4, 0x7b, 0xc3, 0x28, 0x7d)); // bad UTF-8
    c.send('{"msg_type":"RELAY","msg_id":"x"}');
    c.sendRaw(new Uint8Array(8)); // two keepalives
    await until(() => s.node.counters.drops.malformed - before.malformed >= 6, 'six malformed');
    expect(s.node.counters.drops['unknown-verb'] - before['unknown-verb']).toBe(1);
    expect(s.tcpLinks).toBe(3);
    expect(await stillServing()).toBe(true);
    // Mallory is a neighbour all the same: bad frames do not cost the link.
    expect(s.node.neighbours().map((n) => n.nodeId)).toContain(mallory);
  });

  it('an oversize frame closes that link at its prefix; the others are served', async () => {
    const { s, stillServing, raw, peerOf } = await world();
    const c = await raw();
    await until(() => peerOf(c), 'the raw link is open');
    const peer = peerOf(c);
    c.sendRaw(Uint8Array.of(0x00, 0x01, 0x86, 0xa0)); // 100000 > 99999, no body at all
    await c.closed;
    expect(s.node.counters.drops['frame-too-large']).toBe(1);
    await until(
      () => s.links.find((e) => e.type === 'closed' && e.peer === peer && e.local),
      'the server closed the link',
    );
    expect(await stillServing()).toBe(true);
  });

  it('a neighbour that never reads is closed once its write queue stalls; the node serves on', async () => {
    // Rate limits out of the way: this is about the write queue alone.
    const { s, alice, bob, stillServing, raw, peerOf } = await world(
      { floodRatePerSecond: 1e6, floodBurst: 1e6 },
      { writeStallTimeoutMs: 1000 },
    );
    const sleeper = await raw();
    const sleeperId = `sleeper@${randomUUID()}`;
    sleeper.hello(sleeperId);
    await until(() => s.node.neighbours().length === 3, 'the sleeper is a neighbour');
    sleeper.socket.pause(); // never reads again
    const peer = peerOf(sleeper)!;
    const flooder = await raw();
    const flooderId = `flooder@${randomUUID()}`;
    flooder.hello(flooderId);
    await until(() => s.node.neighbours().length === 4, 'the flooder is a neighbour');
    const junkChannel = randomUUID();
    // 1500 floods of ~13 KB: ~20 MB for the sleeper, beyond any kernel buffering.
    for (let i = 0; i < 1500; i++) flooder.send(junkFlood(flooderId, 10_000, junkChannel));
    const closed = await until(
      () => s.links.find((e) => e.type === 'closed' && e.peer === peer),
      'the sleeper closed',
      30_000,
    );
    expect(closed).toMatchObject({ code: 1008, local: true });
    expect(closed.type === 'closed' && closed.reason).toMatch(/stalled for 1000 ms/);
    // Queued bytes stayed bounded: the messages for a congested link were dropped, not queued.
    expect(s.writeDrops).toBeGreaterThan(0);
    expect(s.links.filter((e) => e.type === 'error')).toEqual([]); // never the hard cap
    expect(s.node.neighbours().map((n) => n.nodeId)).not.toContain(sleeperId);
    // alice and bob, who read, kept their links.
    expect(s.node.neighbours().map((n) => n.nodeId)).toEqual(
      expect.arrayContaining([alice.node.nodeId, bob.node.nodeId]),
    );
    expect(await stillServing()).toBe(true);
  });

  it('a flood of fresh msg_ids beyond the per-neighbour rate (200/s, burst 400) is cut', async () => {
    const { s, bob, stillServing, raw } = await world();
    const flooder = await raw();
    const flooderId = `flooder@${randomUUID()}`;
    flooder.hello(flooderId);
    await until(() => s.node.neighbours().length === 3, 'the flooder is a neighbour');
    const junkChannel = randomUUID();
    const forwarded = () =>
      s.outputs.filter(
        (o) =>
          o.type === 'send' &&
          o.message.msg_type === 'MESSAGE' &&
          (o.message.msg_data as { channel_id: string }).channel_id === junkChannel,
      ).length;
    const start = Date.now();
    for (let i = 0; i < 3000; i++) flooder.send(junkFlood(flooderId, 16, junkChannel));
    const before = s.node.counters.drops['rate-limited'];
    await until(
      () => s.node.counters.drops['rate-limited'] - before + forwarded() / 2 >= 3000,
      'every flood accepted or refused',
    );
    const seconds = (Date.now() - start) / 1000;
    const accepted = forwarded() / 2; // each accepted flood goes to alice and bob
    expect(accepted).toBeLessThanOrEqual(400 + 200 * seconds + 1);
    expect(s.node.counters.drops['rate-limited'] - before).toBeGreaterThanOrEqual(
      3000 - 400 - 200 * seconds - 1,
    );
    expect(bob.events('message')).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 2100)); // bob's own limit on the server refills
    expect(await stillServing()).toBe(true);
  });

  it('a TTL of 2^53 - 1 is clamped; a CONNECT aimed at a third party is refused', async () => {
    const { s, stillServing, raw } = await world();
    const c = await raw();
    const id = `mallory@${randomUUID()}`;
    c.hello(id);
    await until(() => s.node.neighbours().length === 3, 'a neighbour');
    const flood: Record<string, unknown> = { ...junkFlood(id, 8, randomUUID()), ttl: 2 ** 53 - 1 };
    c.send(flood);
    const fwd = await until(
      () => s.outputs.find((o) => o.type === 'send' && o.message.msg_id === flood.msg_id),
      'the clamped flood forwarded',
    );
    expect(fwd.type === 'send' && fwd.message.ttl).toBeLessThanOrEqual(31);
    c.send(
      envelope(
        'CONNECT',
        { stage: 1, initiator_id: id, responder_id: `victim@${randomUUID()}`, dst: '192.0.2.1:9' },
        id,
        { ttl: 1 },
      ),
    );
    await until(() => s.node.counters.drops['connect-rejected'] >= 1, 'CONNECT refused');
    expect(s.outputs.filter((o) => o.type === 'datagram')).toEqual([]);
    expect(await stillServing()).toBe(true);
  });
});
