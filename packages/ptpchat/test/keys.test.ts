import { describe, expect, it } from 'vitest';
import { decryptForChannel, encryptForChannel, PtpchatError, toBase64 } from '../src/index.js';
import { CH, envelope, identityOf, N1, N2, NODE, probe } from './harness.js';
import { SimNetwork } from './sim.js';

describe('closed channels: GETKEY/KEY (§7.3, §8.9-8.10)', () => {
  it('only key holders read closed-channel messages; relays see ciphertext only', async () => {
    const net = new SimNetwork({ seed: 21 });
    const a = await net.addNode('alice');
    const relay = await net.addNode('relay');
    const b = await net.addNode('bob');
    const eve = await net.addNode('eve');
    net.connect(a, relay);
    net.connect(relay, b);
    net.connect(relay, eve);
    await net.runFor(1000);
    const ch = a.node.createChannel('secret', { closed: true });
    expect(ch).toMatchObject({ closed: true, hasKey: true });
    a.node.invite(ch.channelId, b.node.nodeId); // fetches bob's certificate first
    await net.runFor(2000);
    expect(net.eventsOf(b, 'key')).toMatchObject([
      { channelId: ch.channelId, from: a.node.nodeId },
    ]);
    expect(b.node.channel(ch.channelId)).toMatchObject({ closed: true, hasKey: true });
    b.node.join(ch.channelId);
    await net.runFor(1000);
    await a.node.sendMessage(ch.channelId, 'for bob only');
    await net.runFor(1000);
    expect(net.eventsOf(b, 'message')).toMatchObject([
      { text: 'for bob only', closed: true, from: a.node.nodeId },
    ]);
    for (const n of [relay, eve]) expect(net.eventsOf(n, 'message')).toEqual([]);
    expect(relay.node.counters.sent).toBeGreaterThan(0);
    // Closed channels are never flooded: eve never even sees the channel.
    expect(eve.node.channel(ch.channelId)).toBeUndefined();
    expect(() => relay.node.join(ch.channelId)).toThrowError(
      expect.objectContaining({ code: 'UNKNOWN_CHANNEL' }),
    );
  });

  it('KEY once the invitee certificate is in; GETKEY from a member is answered, from a stranger left to the application', async () => {
    const p = await probe();
    p.neighbour('l1', N1);
    p.neighbour('l2', N2);
    const ch = p.node.createChannel('club', { closed: true });
    p.node.invite(ch.channelId, N1);
    expect(p.sent('l1').map((m) => m.msg_type)).toContain('GETCERTIFICATE');
    p.from(
      'l1',
      envelope(
        'CERTIFICATE',
        { node_id: N1, certificate: toBase64((await identityOf(N1)).certificate) },
        { target: NODE },
      ),
    );
    await p.node.idle();
    const keys = () => p.sent('l1').filter((m) => m.msg_type === 'KEY');
    expect(keys()).toHaveLength(1);
    expect(keys()[0]).toMatchObject({
      target_id: N1,
      msg_data: { channel_id: ch.channelId, recipient_id: N1, cipher: 'AES-256-GCM' },
    });
    // The CHANNEL with the new member list goes to the member, not flooded.
    expect(p.sent('l1').find((m) => m.msg_type === 'CHANNEL')).toMatchObject({
      flood: false,
      target_id: N1,
    });
    const getkey = (sender: string) =>
      envelope(
        'GETKEY',
        { node_id: sender, channel: 'club', channel_id: ch.channelId },
        { sender, target: NODE },
      );
    p.from('l1', getkey(N1));
    await p.node.idle();
    expect(keys()).toHaveLength(2);
    p.from('l2', getkey(N2));
    await p.node.idle();
    expect(p.events('key-request')).toMatchObject([{ channelId: ch.channelId, from: N2 }]);
    expect(p.sent('l2').filter((m) => m.msg_type === 'KEY')).toEqual([]);
  });

  it('a KEY that does not open for this node is dropped', async () => {
    const p = await probe();
    p.neighbour('l1', N1);
    p.from(
      'l1',
      envelope(
        'CERTIFICATE',
        { node_id: N1, certificate: toBase64((await identityOf(N1)).certificate) },
        { target: NODE },
      ),
    );
    await p.node.idle();
    p.from(
      'l1',
      envelope(
        'KEY',
        {
          node_id: N1,
          recipient_id: NODE,
          channel: 'c',
          channel_id: CH,
          cipher: 'AES-256-GCM',
          key: 'AAAA',
        },
        { target: NODE },
      ),
    );
    await p.node.idle();
    expect(p.node.counters.drops['decrypt-failed']).toBe(1);
    expect(p.node.channel(CH)).toBeUndefined();
  });

  it('the channel ciphertext authenticates key and channel id', () => {
    const key = new Uint8Array(32).fill(7);
    const id = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
    const inner = encryptForChannel(
      key,
      id,
      new TextEncoder().encode('x'),
      (n) => new Uint8Array(n),
    );
    expect(inner.length).toBe(12 + 1 + 16);
    expect(new TextDecoder().decode(decryptForChannel(key, id, inner))).toBe('x');
    expect(() => decryptForChannel(new Uint8Array(32), id, inner)).toThrow(PtpchatError);
    expect(() => decryptForChannel(key, id.replace('3f', '4f'), inner)).toThrowError(
      expect.objectContaining({ code: 'DECRYPT_FAILED' }),
    );
  });
  it('an invitation never draws a LEAVE: the invitee stays listed until it joins or declines', async () => {
    const net = new SimNetwork({ seed: 22 });
    const a = await net.addNode('alice');
    const relay = await net.addNode('relay');
    const b = await net.addNode('bob');
    net.connect(a, relay);
    net.connect(relay, b);
    await net.runFor(1000);
    const ch = a.node.createChannel('secret', { closed: true });
    a.node.invite(ch.channelId, b.node.nodeId);
    await net.runFor(2000);
    expect(net.eventsOf(b, 'key')).toHaveLength(1);
    // A periodic re-announcement before bob decides draws no LEAVE either.
    await net.runFor(61_000);
    expect(b.sent.get('LEAVE') ?? 0).toBe(0);
    expect(net.eventsOf(a, 'member-left')).toEqual([]);
    expect(a.node.channel(ch.channelId)!.members).toContain(b.node.nodeId);
    b.node.join(ch.channelId);
    await net.runFor(1000);
    await a.node.sendMessage(ch.channelId, 'welcome');
    await net.runFor(1000);
    expect(net.eventsOf(b, 'message').map((m) => m.text)).toEqual(['welcome']);
    expect(net.eventsOf(a, 'member-left')).toEqual([]);
    // bob's JOIN is reported once: he was listed, but as an invitee.
    expect(net.eventsOf(a, 'member-joined')).toMatchObject([
      { channelId: ch.channelId, nodeId: b.node.nodeId },
    ]);
    // Declining (leave without having joined) is an explicit LEAVE.
    const other = a.node.createChannel('other', { closed: true });
    a.node.invite(other.channelId, b.node.nodeId);
    await net.runFor(2000);
    b.node.leave(other.channelId);
    await net.runFor(1000);
    expect(net.eventsOf(a, 'member-left')).toMatchObject([
      { channelId: other.channelId, nodeId: b.node.nodeId },
    ]);
    expect(a.node.channel(other.channelId)!.members).not.toContain(b.node.nodeId);
  });
});

describe('closed channels across a restart (closedChannels)', () => {
  it('a node restarted with its saved closed channels still reads them; without, it does not', async () => {
    const net = new SimNetwork({ seed: 23 });
    const bobId = 'bob@6a1e0c4e-3d2f-4b8a-9c1d-2e3f4a5b6c7d';
    const bobIdentity = await identityOf(bobId);
    const a = await net.addNode('alice');
    const relay = await net.addNode('relay');
    const b = await net.addNode('bob', { nodeId: bobId, identity: bobIdentity });
    net.connect(a, relay);
    net.connect(relay, b);
    await net.runFor(1000);
    const ch = a.node.createChannel('secret', { closed: true });
    a.node.invite(ch.channelId, b.node.nodeId);
    await net.runFor(2000);
    b.node.join(ch.channelId);
    await net.runFor(1000);
    const saved = b.node.closedChannels();
    expect(saved).toMatchObject([{ channelId: ch.channelId, name: 'secret', joined: true }]);
    expect(saved[0]!.members).toEqual(expect.arrayContaining([a.node.nodeId, bobId]));
    // bob goes away; two new runs of bob: one restored, one not.
    net.disconnect(relay, b);
    net.kill(b);
    const restored = await net.addNode('bob', {
      nodeId: bobId,
      identity: bobIdentity,
      pins: b.node.certificatePins(),
      closedChannels: saved,
    });
    expect(restored.node.channel(ch.channelId)).toMatchObject({
      closed: true,
      hasKey: true,
      joined: true,
    });
    net.connect(relay, restored);
    await net.runFor(3000);
    await a.node.sendMessage(ch.channelId, 'after the restart');
    await net.runFor(2000);
    expect(net.eventsOf(restored, 'message')).toMatchObject([
      { text: 'after the restart', closed: true },
    ]);
    net.disconnect(relay, restored);
    net.kill(restored);
    const forgetful = await net.addNode('bob', { nodeId: bobId, identity: bobIdentity });
    net.connect(relay, forgetful);
    await net.runFor(3000);
    await a.node.sendMessage(ch.channelId, 'again');
    await net.runFor(2000);
    expect(net.eventsOf(forgetful, 'message')).toEqual([]);
    // Bad saved entries are refused and counted, the good ones kept.
    const odd = await net.addNode('odd', {
      closedChannels: [
        { ...saved[0]!, key: new Uint8Array(3) },
        { ...saved[0]!, channelId: 'nope' },
        saved[0]!,
      ],
    });
    expect(odd.node.counters.drops.malformed).toBe(2);
    expect(odd.node.closedChannels()).toHaveLength(1);
  });
});
