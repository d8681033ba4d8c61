import { describe, expect, it } from 'vitest';
import { PtpchatError } from '../src/index.js';
import { CH, envelope, N1, NODE, probe } from './harness.js';
import { SimNetwork } from './sim.js';

async function three() {
  const net = new SimNetwork({ seed: 11 });
  const a = await net.addNode('alice');
  const b = await net.addNode('bob');
  const c = await net.addNode('carol');
  net.connect(a, b);
  net.connect(b, c);
  await net.runFor(1000);
  return { net, a, b, c };
}

describe('channels (§8.4-8.6)', () => {
  it('CHANNEL floods a new public channel; JOIN reaches the members; LEAVE removes', async () => {
    const { net, a, b, c } = await three();
    const ch = a.node.createChannel('general');
    expect(ch).toMatchObject({
      name: 'general',
      closed: false,
      joined: true,
      members: [a.node.nodeId],
    });
    await net.runFor(500);
    for (const n of [b, c])
      expect(n.node.channel(ch.channelId)).toMatchObject({
        name: 'general',
        joined: false,
        members: [a.node.nodeId],
      });
    c.node.join(ch.channelId);
    await net.runFor(500);
    expect(net.eventsOf(a, 'member-joined')).toMatchObject([
      { channelId: ch.channelId, nodeId: c.node.nodeId },
    ]);
    expect(a.node.channel(ch.channelId)!.members).toContain(c.node.nodeId);
    c.node.leave(ch.channelId);
    await net.runFor(500);
    expect(net.eventsOf(a, 'member-left')).toMatchObject([{ nodeId: c.node.nodeId }]);
    expect(a.node.channel(ch.channelId)!.members).not.toContain(c.node.nodeId);
  });

  it('a subscribed node not listed in a CHANNEL sends JOIN; a listed node that is not a member sends LEAVE', async () => {
    const p = await probe();
    p.neighbour('l1', N1);
    const own = p.node.createChannel('mine');
    p.clear();
    p.from(
      'l1',
      envelope(
        'CHANNEL',
        {
          node_id: N1,
          channel: 'mine',
          channel_id: own.channelId,
          members: [{ node_id: N1 }],
          closed: false,
        },
        { flood: true },
      ),
    );
    expect(p.sent('l1').find((m) => m.msg_type === 'JOIN')).toMatchObject({
      target_id: N1,
      msg_data: { channel_id: own.channelId, node_id: NODE },
    });
    p.clear();
    p.from(
      'l1',
      envelope(
        'CHANNEL',
        {
          node_id: N1,
          channel: 'theirs',
          channel_id: CH,
          members: [{ node_id: N1 }, { node_id: NODE }],
          closed: false,
        },
        { flood: true },
      ),
    );
    expect(p.sent('l1').find((m) => m.msg_type === 'LEAVE')).toMatchObject({
      target_id: N1,
      msg_data: { channel_id: CH },
    });
  });

  it('re-announces a quiet subscribed channel every 60 s and forgets stale unsubscribed ones after 180 s', async () => {
    const p = await probe();
    p.neighbour('l1', N1);
    const ch = p.node.createChannel('mine');
    p.from(
      'l1',
      envelope(
        'CHANNEL',
        { node_id: N1, channel: 'other', channel_id: CH, members: [{ node_id: N1 }] },
        { flood: true },
      ),
    );
    p.clear();
    for (let i = 0; i < 100; i++) {
      await p.advance(2000);
      p.from('l1', envelope('HELLO', { node_id: N1 }, { sender: N1, ttl: 1 }));
    }
    const announced = p.sent('l1').filter((m) => m.msg_type === 'CHANNEL');
    expect(announced.length).toBe(3); // at 60, 120 and 180 s
    expect(announced[0]).toMatchObject({ flood: true, msg_data: { channel_id: ch.channelId } });
    expect(p.node.channel(CH)).toBeUndefined();
    expect(p.node.channel(ch.channelId)).toBeDefined();
  });

  it('refuses bad names and unknown channels; a public channel cannot be turned closed by others', async () => {
    const p = await probe({ maxChannels: 2 });
    p.neighbour('l1', N1);
    expect(() => p.node.createChannel('')).toThrow(PtpchatError);
    expect(() => p.node.createChannel('a\nb')).toThrow(PtpchatError);
    expect(() => p.node.join(CH)).toThrowError(
      expect.objectContaining({ code: 'UNKNOWN_CHANNEL' }),
    );
    const ch = p.node.createChannel('pub');
    p.from(
      'l1',
      envelope(
        'CHANNEL',
        { node_id: N1, channel: 'pub', channel_id: ch.channelId, members: [], closed: true },
        { flood: true },
      ),
    );
    expect(p.node.channel(ch.channelId)!.closed).toBe(false);
    p.node.createChannel('second');
    expect(() => p.node.createChannel('third')).toThrowError(
      expect.objectContaining({ code: 'LIMIT_EXCEEDED' }),
    );
  });
  it('a new neighbour hears of known public channels at once, and the announcer (a relay) does not become a member', async () => {
    const net = new SimNetwork({ seed: 31 });
    const a = await net.addNode('alice');
    const relay = await net.addNode('relay');
    const b = await net.addNode('bob');
    net.connect(a, relay);
    await net.runFor(1000);
    const open = a.node.createChannel('general');
    const secret = a.node.createChannel('secret', { closed: true });
    await net.runFor(1000);
    expect(relay.node.channel(open.channelId)).toMatchObject({ joined: false });
    net.connect(relay, b); // arrives after the channel was created
    await net.runFor(3000); // far less than the 60 s re-announcement
    expect(b.node.channel(open.channelId)).toMatchObject({
      name: 'general',
      members: [a.node.nodeId],
    });
    expect(b.node.channel(secret.channelId)).toBeUndefined(); // closed: members only
    expect(relay.node.channel(open.channelId)!.members).toEqual([a.node.nodeId]);
    b.node.join(open.channelId);
    await net.runFor(1000);
    expect(net.eventsOf(a, 'member-joined')).toMatchObject([{ nodeId: b.node.nodeId }]);
    expect([...a.node.channel(open.channelId)!.members].sort()).toEqual(
      [a.node.nodeId, b.node.nodeId].sort(),
    );
    expect(relay.node.channel(open.channelId)!.members).not.toContain(relay.node.nodeId);
  });

  it('announces at most maxChannelsAnnouncedToNeighbour channels to a new neighbour', async () => {
    const net = new SimNetwork({ seed: 32, limits: { maxChannelsAnnouncedToNeighbour: 2 } });
    const a = await net.addNode('alice');
    const b = await net.addNode('bob');
    for (let i = 0; i < 5; i++) a.node.createChannel(`c${i}`, {}, net.now);
    await net.runFor(10);
    net.connect(a, b);
    await net.runFor(1000);
    expect(b.node.channels()).toHaveLength(2);
  });
  it('a newcomer that sends at once, before routes to it are known, is still read (reverse path)', async () => {
    const net = new SimNetwork({ seed: 33 });
    const a = await net.addNode('alice');
    const relay = await net.addNode('relay');
    const d = await net.addNode('dave');
    net.connect(a, relay);
    await net.runFor(1000);
    const ch = a.node.createChannel('general');
    await net.runFor(1000);
    net.connect(relay, d);
    while (!d.node.channel(ch.channelId)) await net.runFor(5);
    expect(a.node.pathTo(d.node.nodeId)).toBe('none'); // the race: no route to dave yet
    d.node.join(ch.channelId);
    await d.node.sendMessage(ch.channelId, 'hi, new here');
    await net.runFor(3000);
    expect(net.eventsOf(a, 'message').map((m) => m.text)).toEqual(['hi, new here']);
  });

  it('remembers at most maxReversePaths originators', async () => {
    const p = await probe({ maxReversePaths: 3 });
    p.neighbour('l1', N1);
    for (let i = 0; i < 10; i++) {
      const sender = `n${i}@${'0'.repeat(8)}-0000-4000-8000-${String(i).padStart(12, '0')}`;
      p.from(
        'l1',
        envelope(
          'CHANNEL',
          { node_id: sender, channel: 'c', channel_id: CH, members: [], closed: false },
          { flood: true, sender },
        ),
      );
    }
    expect(p.node.sizes.reversePaths).toBe(3);
  });
});
