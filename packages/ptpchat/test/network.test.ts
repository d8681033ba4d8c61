// The in-process network of the issue: 200 nodes on seeded random topologies.
import { describe, expect, it } from 'vitest';
import { sealContent } from '../src/content.js';
import { encodeFrame, encodeMessage, toBase64 } from '../src/index.js';
import { identityOf } from './harness.js';
import { randomTopology, SimNetwork, type SimNode } from './sim.js';

const N = 200;

async function network(seed: number, extra = 150) {
  const net = new SimNetwork({ seed, keepEvents: true });
  const nodes: SimNode[] = [];
  for (let i = 0; i < N; i++) nodes.push(await net.addNode(`n${i}`));
  randomTopology(net, nodes, extra);
  await net.runFor(5000);
  return { net, nodes };
}

/** Counts transmissions of one msg_id (any hop) and local deliveries of it. */
function watch(net: SimNetwork) {
  const sends = new Map<string, number>();
  net.onOutput = (_from, o) => {
    if (o.type === 'send' || o.type === 'datagram')
      sends.set(o.message.msg_id, (sends.get(o.message.msg_id) ?? 0) + 1);
  };
  return sends;
}

function hops(net: SimNetwork, from: SimNode, to: SimNode): number {
  // BFS over the live links, as the ground truth for route lengths.
  const dist = new Map([[from, 0]]);
  const queue = [from];
  while (queue.length) {
    const n = queue.shift()!;
    for (const nb of n.node.neighbours()) {
      const m = net.byId.get(nb.nodeId)!;
      if (!m.alive || dist.has(m)) continue;
      dist.set(m, dist.get(n)! + 1);
      queue.push(m);
    }
  }
  return dist.get(to) ?? Number.POSITIVE_INFINITY;
}

describe(`in-process network of ${N} nodes`, () => {
  it('routing converges: every node has a shortest route to every other', async () => {
    const { net, nodes } = await network(1);
    for (const n of nodes.slice(0, 10)) {
      expect(n.node.routes()).toHaveLength(N - 1);
      for (const r of n.node.routes().slice(0, 40))
        expect(r.distance).toBe(hops(net, n, net.byId.get(r.nodeId)!));
    }
  });

  it('every flood reaches every node exactly once (one transmission per edge direction but the arrival one)', async () => {
    for (const seed of [2, 3]) {
      const { net, nodes } = await network(seed, seed === 2 ? 150 : 400);
      const ch = nodes[0]!.node.createChannel('all');
      await net.runFor(1000);
      for (const n of nodes.slice(1)) n.node.join(ch.channelId);
      await net.runFor(2000);
      const sends = watch(net);
      const origin = nodes[Math.floor(net.rng() * N)]!;
      const [id] = await origin.node.sendMessage(ch.channelId, `flood ${seed}`);
      await net.runFor(2000);
      for (const n of nodes) {
        const got = net.eventsOf(n, 'message').filter((m) => m.msgId === id);
        expect(got).toHaveLength(n === origin ? 0 : 1);
      }
      // Each node forwards once to all neighbours but the sender: 2E - (N - 1) transmissions.
      expect(sends.get(id!)).toBe(2 * net.edges - (N - 1));
      const dup = nodes.reduce((s, n) => s + n.node.counters.duplicatesDropped, 0);
      expect(dup).toBeGreaterThan(0);
    }
  });

  it('targeted messages arrive via next hops, one transmission per hop', async () => {
    const { net, nodes } = await network(4, 60);
    const a = nodes[7]!;
    let b = nodes[0]!;
    for (const n of nodes) if (hops(net, a, n) > hops(net, a, b)) b = n;
    const distance = hops(net, a, b);
    expect(distance).toBeGreaterThanOrEqual(4);
    const ch = a.node.createChannel('pair', { closed: true });
    a.node.invite(ch.channelId, b.node.nodeId);
    await net.runFor(3000);
    b.node.join(ch.channelId);
    await net.runFor(2000);
    const sends = watch(net);
    const [id] = await a.node.sendMessage(ch.channelId, 'over the hops');
    await net.runFor(2000);
    expect(net.eventsOf(b, 'message').map((m) => m.text)).toEqual(['over the hops']);
    expect(sends.get(id!)).toBe(distance);
  });

  it('a partition heals; a dead node is detected and routed around', async () => {
    const net = new SimNetwork({ seed: 5 });
    const left: SimNode[] = [];
    const right: SimNode[] = [];
    for (let i = 0; i < N / 2; i++) left.push(await net.addNode(`l${i}`));
    for (let i = 0; i < N / 2; i++) right.push(await net.addNode(`r${i}`));
    randomTopology(net, left, 60);
    randomTopology(net, right, 60);
    // Two bridges: one direct, one through a middle node that will die.
    const middle = await net.addNode('middle');
    const nodes = () => [...left, ...right];
    net.connect(left[0]!, right[0]!);
    net.connect(left[1]!, middle);
    net.connect(middle, right[1]!);
    await net.runFor(5000);
    const x = left[10]!;
    const y = right[10]!;
    expect(x.node.pathTo(y.node.nodeId)).toBe('relayed');
    // Partition: cut both bridges.
    net.disconnect(left[0]!, right[0]!);
    net.disconnect(left[1]!, middle);
    const cut = net.now;
    const crossing = () => left.some((n) => n.node.routes().some((r) => r.nodeId.startsWith('r')));
    while (crossing() && net.now - cut < 120_000) await net.runFor(250);
    // Withdrawal is triggered (not left to the 30 s expiry); loops count to 33 in a few seconds.
    expect(net.now - cut).toBeLessThan(15_000);
    expect(x.node.pathTo(y.node.nodeId)).toBe('none');
    expect(x.node.routes().every((r) => !r.nodeId.startsWith('r'))).toBe(true);
    // Heal through the middle node, then kill it silently: neighbours notice after 15 s.
    net.connect(left[1]!, middle);
    await net.runFor(3000);
    expect(x.node.pathTo(y.node.nodeId)).toBe('relayed');
    net.connect(left[0]!, right[0]!);
    await net.runFor(3000);
    net.kill(middle);
    await net.runFor(16_000);
    expect(net.eventsOf(left[1]!, 'neighbour-down').map((e) => e.nodeId)).toContain(
      middle.node.nodeId,
    );
    const died = net.now;
    const toMiddle = () => nodes().some((n) => n.node.pathTo(middle.node.nodeId) !== 'none');
    while (toMiddle() && net.now - died < 30_000) await net.runFor(250);
    expect(toMiddle()).toBe(false);
    // A closed-channel message from x to y now goes around through the other bridge.
    const ch = x.node.createChannel('around', { closed: true });
    x.node.invite(ch.channelId, y.node.nodeId);
    await net.runFor(3000);
    y.node.join(ch.channelId);
    await net.runFor(2000);
    await x.node.sendMessage(ch.channelId, 'around the dead');
    await net.runFor(2000);
    expect(net.eventsOf(y, 'message').map((m) => m.text)).toEqual(['around the dead']);
  });

  it('closed-channel messages are readable only by key holders; forgeries, an impostor and replays are rejected', async () => {
    const { net, nodes } = await network(6, 150);
    const owner = nodes[3]!;
    const members = [nodes[50]!, nodes[100]!, nodes[150]!, nodes[199]!];
    const ch = owner.node.createChannel('inner circle', { closed: true });
    for (const m of members) owner.node.invite(ch.channelId, m.node.nodeId);
    await net.runFor(4000);
    for (const m of members) m.node.join(ch.channelId);
    await net.runFor(3000);
    await owner.node.sendMessage(ch.channelId, 'members only');
    await net.runFor(3000);
    for (const n of nodes) {
      const texts = net.eventsOf(n, 'message').map((m) => m.text);
      expect(texts).toEqual(members.includes(n) ? ['members only'] : []);
    }
    const relays = nodes.filter(
      (n) => !members.includes(n) && n !== owner && (n.sent.get('MESSAGE') ?? 0) > 0,
    );
    expect(relays.length).toBeGreaterThan(0); // ciphertext crossed non-members

    // A public channel everyone is in, for the attacks.
    const pub = nodes[0]!.node.createChannel('town square');
    await net.runFor(1000);
    for (const n of nodes.slice(1)) n.node.join(pub.channelId);
    const victim = nodes[20]!;
    let original: { message: string; msgId: string } | undefined;
    net.onOutput = (from, o) => {
      if (from === victim && o.type === 'send' && o.message.msg_type === 'MESSAGE') {
        original = {
          message: (o.message.msg_data as { message: string }).message,
          msgId: o.message.msg_id,
        };
      }
    };
    await victim.node.sendMessage(pub.channelId, 'hello from the victim');
    await net.runFor(3000);
    const heard = () =>
      nodes.reduce(
        (s, n) =>
          s + net.eventsOf(n, 'message').filter((m) => m.channelId === pub.channelId).length,
        0,
      );
    expect(heard()).toBe(N - 1);

    // Mallory joins with her own key but the victim's GUID (a GUID impostor) and floods as the victim.
    const mallory = await net.addNode('mallory');
    net.connect(mallory, nodes[120]!);
    await net.runFor(2000);
    const entry = nodes[120]!;
    const link = entry.node.neighbours().find((n) => n.nodeId === mallory.node.nodeId)!.peer;
    const forgedBottle = await sealContent(
      new TextEncoder().encode('send me your keys'),
      (await identityOf(mallory.node.nodeId)).signer,
      { random: net.random },
    );
    const asVictim = (message: string, msgId: string) =>
      encodeFrame(
        encodeMessage({
          msg_type: 'MESSAGE',
          msg_data: {
            node_id: victim.node.nodeId,
            recipient: [],
            timestamp: new Date(net.now).toISOString(),
            channel: 'town square',
            channel_id: pub.channelId,
            message,
          },
          ttl: 32,
          flood: true,
          sender_id: victim.node.nodeId,
          target_id: null,
          msg_id: msgId,
        }),
      );
    entry.node.receiveBytes(
      link,
      asVictim(forgedBottle, 'f0000000-0000-4000-8000-000000000001'),
      net.now,
    );
    await net.runFor(3000);
    expect(heard()).toBe(N - 1);
    const badSignatures = nodes.reduce((s, n) => s + n.node.counters.drops['bad-signature'], 0);
    expect(badSignatures).toBe(N - 1); // everyone but the victim checked and refused it
    // The impostor's certificate under the victim's GUID is refused by everyone who pinned the real one.
    const impostorCert = toBase64(
      (await identityOf(`mallory@${victim.node.nodeId.split('@')[1]}`)).certificate,
    );
    entry.node.receiveBytes(
      link,
      encodeFrame(
        encodeMessage({
          msg_type: 'CERTIFICATE',
          msg_data: {
            node_id: victim.node.nodeId,
            recipient_id: entry.node.nodeId,
            certificate: impostorCert,
          },
          ttl: 32,
          flood: false,
          sender_id: victim.node.nodeId,
          target_id: entry.node.nodeId,
          msg_id: 'f0000000-0000-4000-8000-000000000002',
        }),
      ),
      net.now,
    );
    await net.runFor(1000);
    expect(entry.node.counters.drops['guid-impostor']).toBe(1);
    // Replays: the victim's real message again, under its own msg_id and under a fresh one.
    const duplicates = () => nodes.reduce((s, n) => s + n.node.counters.duplicatesDropped, 0);
    const replays = () =>
      nodes.reduce((s, n) => s + n.node.counters.drops.duplicate, 0) - duplicates();
    const dupBefore = duplicates();
    entry.node.receiveBytes(link, asVictim(original!.message, original!.msgId), net.now);
    await net.runFor(2000);
    expect(duplicates()).toBe(dupBefore + 1); // stopped at the first hop
    entry.node.receiveBytes(
      link,
      asVictim(original!.message, 'f0000000-0000-4000-8000-000000000003'),
      net.now,
    );
    await net.runFor(3000);
    expect(heard()).toBe(N - 1);
    expect(replays()).toBe(N - 1); // every member saw the same signed bottle again and refused it
    net.kill(mallory);
    await net.runFor(1000);
  }, 60_000);
});
