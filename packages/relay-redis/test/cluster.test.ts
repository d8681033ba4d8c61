import { generatePrivateKey, Membership } from '@peerwire/crypto';
import { MsgFlag, toBase64Url, utf8Decode } from '@peerwire/wire';
import { describe, expect, it } from 'vitest';
import { type ClusterNode, makeIdentity, useClusters, waitFor } from './harness.js';

const clusters = useClusters('t');
const cluster = (count: number, limits = {}) => clusters.cluster(count, { limits });

/** Until every relay's view holds `n` remote connections in all. */
async function viewsHold(list: ClusterNode[], total: number): Promise<void> {
  await waitFor(
    () => list.every((n) => n.cluster.view.size === total - n.relay.stats.online),
    5000,
    'presence views',
  );
}

describe('RedisCluster routing', () => {
  it('k. reaches an identity on another relay, sender rewritten, one envelope each way', async () => {
    const [r0, r1] = await cluster(2);
    const a = await makeIdentity();
    const b = await makeIdentity();
    const pa = await r0!.connect(a);
    const pb = await r1!.connect(b);
    await viewsHold([r0!, r1!], 2);
    const id = pa.sendMessage(`${b.address}/hello`, 'hi there');
    await waitFor(() => pb.reply(id) !== undefined);
    expect(pb.reply(id)!.sender).toBe(`${a.address}/test`);
    expect(utf8Decode(pb.reply(id)!.body)).toBe('hi there');
    expect(r0!.cluster.bus.stats.crossOut).toBe(1);
    expect(r1!.cluster.bus.stats.crossInDelivered).toBe(1);
    // and the answer comes back
    const back = pb.sendMessage(`${a.address}/${'x'}`, 'pong', {
      flags: MsgFlag.Response | MsgFlag.NotBottle,
      id,
    });
    await waitFor(() => pa.messages.some((m) => m.recipient.endsWith('/x')));
    expect(back).toEqual(id);
  });

  it('k. spreads over the connections of every relay; c. reaches the exact connection elsewhere', async () => {
    const [r0, r1, r2] = await cluster(3);
    const x = await makeIdentity();
    const s = await makeIdentity();
    const px0 = await r0!.connect(x);
    const px1 = await r1!.connect(x);
    const ps = await r2!.connect(s);
    await viewsHold([r0!, r1!, r2!], 3);
    for (let i = 0; i < 60; i++) ps.sendMessage(`${x.address}/spread`, `m${i}`);
    await waitFor(() => px0.messages.length + px1.messages.length === 60);
    expect(px0.messages.length).toBeGreaterThan(5);
    expect(px1.messages.length).toBeGreaterThan(5);
    const cid = px1.session!.cid;
    for (let i = 0; i < 10; i++) ps.sendMessage(`c.${cid}/exact`, `c${i}`);
    await waitFor(() => px1.messages.filter((m) => m.recipient.endsWith('/exact')).length === 10);
    expect(px0.messages.filter((m) => m.recipient.endsWith('/exact'))).toHaveLength(0);
  });

  it('a response to an identity online on two relays returns to the connection that asked', async () => {
    const [r0, r1, r2] = await cluster(3);
    const x = await makeIdentity();
    const y = await makeIdentity();
    const px0 = await r0!.connect(x);
    const px1 = await r1!.connect(x);
    const py = await r2!.connect(y);
    await viewsHold([r0!, r1!, r2!], 3);
    for (let i = 0; i < 20; i++) {
      const asker = i % 2 === 0 ? px0 : px1;
      const id = asker.sendMessage(`${y.address}/q`, `q${i}`, { sender: `/q${i}` });
      await waitFor(() => py.reply(id) !== undefined);
      const req = py.reply(id)!;
      py.sendMessage(req.sender, `a${i}`, {
        id,
        flags: MsgFlag.Response | MsgFlag.NotBottle,
        sender: '/noreply',
      });
      await waitFor(() => asker.reply(id) !== undefined, 5000, `answer ${i}`);
    }
    const answers = (p: typeof px0) => p.messages.filter((m) => m.recipient.includes('/q')).length;
    expect(answers(px0)).toBe(10);
    expect(answers(px1)).toBe(10);
  });

  it('g. reaches a member connected to another relay', async () => {
    const [r0, r1] = await cluster(2);
    const member = await makeIdentity();
    const sender = await makeIdentity();
    const groupKey = await generatePrivateKey('P-256');
    const m = Membership.create(member.card.self, groupKey.publicKey, { now: 1_700_000_000 });
    await m.sign(groupKey);
    await member.card.updateGroups([m.encode()]);
    member.blob = await member.card.sign(member.self);
    const pm = await r1!.connect(member);
    const ps = await r0!.connect(sender);
    await viewsHold([r0!, r1!], 2);
    const group = toBase64Url(
      new Uint8Array(await crypto.subtle.digest('SHA-256', groupKey.publicKey.pkix)),
    );
    const id = ps.sendMessage(`g.${group}/hello`, 'to the group');
    await waitFor(() => pm.reply(id) !== undefined);
    expect(pm.reply(id)!.sender).toBe(`${sender.address}/test`);
  });

  it('nobody anywhere: the no-route reply; a stale view: the no-route reply comes back from the other relay', async () => {
    const [r0, r1] = await cluster(2);
    const a = await makeIdentity();
    const nobody = await makeIdentity();
    const pa = await r0!.connect(a);
    const id = pa.sendMessage(`${nobody.address}/x`, 'lost');
    await waitFor(() => pa.reply(id) !== undefined);
    expect(pa.reply(id)!.flags).toBe(7n);
    expect(utf8Decode(pa.reply(id)!.body)).toBe(`no route to ${nobody.address}/x`);
    expect(r0!.cluster.bus.stats.crossOut).toBe(0);
    // a c. name of another relay that the view does not hold: refused at once
    const id2 = pa.sendMessage('c.r1.conn-gone/x', 'lost');
    await waitFor(() => pa.reply(id2) !== undefined);
    expect(pa.reply(id2)!.flags).toBe(7n);
    // stale view: r1 says b is there, but the connection is gone by the time the envelope lands
    const b = await makeIdentity();
    const pb = await r1!.connect(b);
    await viewsHold([r0!, r1!], 2);
    r0!.cluster.view.online('r1', { cid: 'r1.conn-stale', hash: nobody.hash, groups: [] });
    const id3 = pa.sendMessage(`${nobody.address}/y`, 'stale');
    await waitFor(() => pa.reply(id3) !== undefined);
    expect(pa.reply(id3)!.flags).toBe(7n);
    expect(utf8Decode(pa.reply(id3)!.body)).toBe(`no route to ${nobody.address}/y`);
    expect(r1!.relay.stats.drops.no_route).toBe(1);
    expect(pb.messages).toHaveLength(0);
  });
});

describe('RedisCluster batching', () => {
  it("a turn's envelopes for one relay leave in one PUBLISH, and all arrive in order", async () => {
    const [r0, r1] = await cluster(2);
    const a = await makeIdentity();
    const b = await makeIdentity();
    const pa = await r0!.connect(a);
    const pb = await r1!.connect(b);
    await viewsHold([r0!, r1!], 2);
    const before = r0!.cluster.bus.stats.publishes;
    for (let i = 0; i < 50; i++) pa.sendMessage(`${b.address}/n`, `m${i}`); // one turn
    await waitFor(() => pb.messages.length === 50);
    expect(pb.messages.map((m) => utf8Decode(m.body))).toEqual(
      Array.from({ length: 50 }, (_, i) => `m${i}`),
    );
    expect(r0!.cluster.bus.stats.publishes - before).toBe(1);
    expect(r1!.cluster.bus.stats.received).toBe(1);
    expect(r1!.cluster.bus.stats.crossInDelivered).toBe(50);
  });

  it('a malformed batch from the channel is counted and dropped, the next one goes through', async () => {
    const [r0, r1] = await cluster(2);
    const b = await makeIdentity();
    const pb = await r1!.connect(b);
    const a = await makeIdentity();
    const pa = await r0!.connect(a);
    await viewsHold([r0!, r1!], 2);
    r1!.cluster.bus.receive(Uint8Array.of(2, 0, 0, 0, 9, 1));
    r1!.cluster.bus.receive(Uint8Array.of(2, 0, 0, 0, 2, 1, 1));
    expect(r1!.cluster.bus.stats.badEnvelopes).toBe(2);
    const id = pa.sendMessage(`${b.address}/n`, 'still fine');
    await waitFor(() => pb.reply(id) !== undefined);
  });
});

describe('RedisCluster bounds', () => {
  it('past maxPendingPublishes cross-relay deliveries fail fast with the no-route reply', async () => {
    const [r0, r1] = await cluster(2, { maxPendingPublishes: 1 });
    const a = await makeIdentity();
    const b = await makeIdentity();
    const pa = await r0!.connect(a);
    const pb = await r1!.connect(b);
    await viewsHold([r0!, r1!], 2);
    const first = pa.sendMessage(`${b.address}/x`, 'one'); // waits for Redis's answer
    const second = pa.sendMessage(`${b.address}/x`, 'two'); // the queue is full: refused now
    expect(pa.reply(second)!.flags).toBe(7n);
    expect(r0!.cluster.bus.stats.failedQueueFull).toBe(1);
    await waitFor(() => pb.reply(first) !== undefined);
    expect(pb.reply(second)).toBeUndefined();
  });

  it('envelopes over maxEnvelopeBytes are refused', async () => {
    const [r0, r1] = await cluster(2, { maxEnvelopeBytes: 300 });
    const a = await makeIdentity();
    const b = await makeIdentity();
    const pa = await r0!.connect(a);
    const pb = await r1!.connect(b);
    await viewsHold([r0!, r1!], 2);
    const big = pa.sendMessage(`${b.address}/x`, 'y'.repeat(400));
    expect(pa.reply(big)!.flags).toBe(7n);
    expect(r0!.cluster.bus.stats.failedTooLarge).toBe(1);
    const small = pa.sendMessage(`${b.address}/x`, 'small');
    await waitFor(() => pb.reply(small) !== undefined);
  });
});

describe('RedisCluster presence', () => {
  it('a relay that stops heartbeating (crash) vanishes with its clients within presenceTtlMs', async () => {
    const [r0, r1] = await cluster(2);
    const b = await makeIdentity();
    await r1!.connect(b);
    await viewsHold([r0!, r1!], 1);
    expect(r0!.cluster.view.count({ type: 'k', hash: b.hash })).toBe(1);
    const crashedAt = Date.now();
    r1!.cluster.abandon(); // no goodbye: what a SIGKILL looks like to the others
    await waitFor(() => r0!.cluster.view.size === 0, 3000, 'expiry');
    const took = Date.now() - crashedAt;
    expect(took).toBeLessThan(1500); // ttl 400 + one heartbeat period 100, with room for a loaded CI
    expect(r0!.cluster.hosts()).toEqual(['r0.example']);
  });

  it('caps presence entries per identity in the view', async () => {
    const [r0, r1] = await cluster(2, { maxPresencePerIdentity: 2 });
    const x = await makeIdentity();
    for (let i = 0; i < 4; i++) await r1!.connect(x);
    await waitFor(() => r0!.cluster.view.refused === 2, 3000, 'refusals');
    expect(r0!.cluster.view.count({ type: 'k', hash: x.hash })).toBe(2);
  });

  it('discovery hosts list every live relay', async () => {
    const [r0] = await cluster(3);
    await waitFor(() => r0!.cluster.hosts().length === 3);
    expect(r0!.cluster.hosts().sort()).toEqual(['r0.example', 'r1.example', 'r2.example']);
  });
});

describe('RedisCluster with Redis down', () => {
  it('local routing goes on, cross-relay fails fast, and everything recovers after a Redis restart', async () => {
    const [r0, r1] = await cluster(2);
    const a = await makeIdentity();
    const a2 = await makeIdentity();
    const b = await makeIdentity();
    const pa = await r0!.connect(a);
    const pa2 = await r0!.connect(a2);
    const pb = await r1!.connect(b);
    await viewsHold([r0!, r1!], 3);
    await clusters.redis().kill();
    await waitFor(() => !r0!.cluster.up && !r1!.cluster.up, 3000, 'down');
    // local
    const local = pa.sendMessage(`${a2.address}/local`, 'still works');
    expect(pa2.reply(local)).toBeDefined();
    // cross-relay: no-route reply at once, counted
    const cross = pa.sendMessage(`${b.address}/far`, 'lost');
    expect(pa.reply(cross)!.flags).toBe(7n);
    expect(r0!.cluster.bus.stats.failedRedisDown).toBe(1);
    // a client joining while Redis is down is announced once it is back
    const c = await makeIdentity();
    const pc = await r1!.connect(c);
    await clusters.redis().start(); // empty: every key is gone
    await waitFor(() => r0!.cluster.up && r1!.cluster.up, 10_000, 'reconnect');
    await waitFor(
      () => r0!.cluster.view.count({ type: 'k', hash: c.hash }) === 1,
      10_000,
      're-announce',
    );
    expect(r0!.cluster.reconnects).toBeGreaterThanOrEqual(1);
    const again = pa.sendMessage(`${b.address}/far`, 'back');
    await waitFor(() => pb.reply(again) !== undefined, 5000, 'delivery after recovery');
    const toC = pa.sendMessage(`${c.address}/far`, 'new');
    await waitFor(
      () => pc.reply(toC) !== undefined,
      5000,
      'delivery to a client that joined while down',
    );
  }, 30_000);
});
