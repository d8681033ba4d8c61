// Hostile input at engine level: each time, the node keeps serving everyone else.
import { utf8Encode } from '@peerwire/wire';
import { describe, expect, it } from 'vitest';
import { encodeFrame, encodeMessage } from '../src/index.js';
import { CH, envelope, N1, N2, N3, NODE, probe } from './harness.js';

const channel = (sender: string) => ({
  node_id: sender,
  channel: 'c',
  channel_id: CH,
  members: [],
  closed: false,
});

async function three(limits = {}) {
  const p = await probe(limits);
  p.neighbour('l1', N1);
  p.neighbour('l2', N2);
  p.neighbour('l3', N3);
  p.clear();
  /** A flood from N2 must still reach N3. */
  const stillServing = () => {
    const before = p.sent('l3').length;
    p.from('l2', envelope('CHANNEL', channel(N2), { flood: true, sender: N2 }));
    return p.sent('l3').length === before + 1;
  };
  return { p, stillServing };
}

describe('hostile input', () => {
  it('malformed JSON, bad UTF-8, unknown verbs and bad msg_data are dropped and counted', async () => {
    const { p, stillServing } = await three();
    const frames = [
      '{',
      '[]',
      'null',
      '{"msg_type":"RELAY","msg_id":"x"}',
      '{"msg_type":"MESSAGE","msg_id":"x","msg_data":{}}',
    ];
    for (const f of frames) p.node.receiveBytes('l1', encodeFrame(utf8Encode(f)), p.now);
    p.node.receiveBytes('l1', encodeFrame(Uint8Array.of(0x7b, 0xc3, 0x28, 0x7d)), p.now);
    expect(p.node.counters.drops.malformed).toBe(5);
    expect(p.node.counters.drops['unknown-verb']).toBe(1);
    expect(p.events('close')).toEqual([]);
    expect(stillServing()).toBe(true);
  });

  it('an oversize frame closes that link only, before its body is buffered', async () => {
    const { p, stillServing } = await three({ maxFrameLength: 1000 });
    p.node.receiveBytes('l1', Uint8Array.of(0, 0, 0x03, 0xe9), p.now); // 1001
    expect(p.events('close')).toMatchObject([{ peer: 'l1', reason: 'frame-too-large' }]);
    expect(p.node.counters.drops['frame-too-large']).toBe(1);
    p.node.receiveBytes('l1', new Uint8Array(10), p.now); // the link is gone: ignored
    expect(stillServing()).toBe(true);
    // Keepalives are fine.
    p.node.receiveBytes('l2', new Uint8Array(12), p.now);
    expect(p.events('close')).toHaveLength(1);
  });

  it('a link whose first frame is not a HELLO (malformed, or another verb) is closed at once', async () => {
    const { p, stillServing } = await three();
    const firsts = ['{', '[]', '{"msg_type":"RELAY","msg_id":"x"}', null, '{"msg_type":"HELLO"}'];
    for (const [i, f] of firsts.entries()) {
      const peer = `new${i}`;
      p.node.peerConnected(peer, { transport: 'tcp' }, p.now);
      const frame =
        f === null
          ? encodeFrame(
              utf8Encode(
                JSON.stringify(envelope('CHANNEL', channel(N1), { flood: true, sender: N1 })),
              ),
            )
          : encodeFrame(utf8Encode(f));
      p.node.receiveBytes(peer, new Uint8Array(4), p.now); // a keepalive first is fine
      expect(p.events('close').filter((c) => c.peer === peer)).toEqual([]);
      p.node.receiveBytes(peer, frame, p.now);
      expect(p.events('close').filter((c) => c.peer === peer)).toMatchObject([
        { peer, reason: 'malformed' },
      ]);
    }
    expect(p.node.neighbours()).toHaveLength(3);
    expect(stillServing()).toBe(true);
    // An identified neighbour's malformed frame is only dropped (the link is kept).
    p.node.receiveBytes('l1', encodeFrame(utf8Encode('{')), p.now);
    expect(p.events('close').filter((c) => c.peer === 'l1')).toEqual([]);
  });

  it('a flood of fresh msg_ids beyond the per-neighbour rate is cut; absurd TTLs are clamped', async () => {
    const { p, stillServing } = await three({ floodRatePerSecond: 50, floodBurst: 50 });
    for (let i = 0; i < 5000; i++)
      p.from('l1', envelope('CHANNEL', channel(N1), { flood: true, ttl: 2 ** 53 - 1 }));
    expect(p.sent('l3')).toHaveLength(50);
    expect(p.sent('l3').every((m) => m.ttl === 31)).toBe(true);
    expect(p.node.counters.drops['rate-limited']).toBe(4950);
    expect(stillServing()).toBe(true);
  });

  it('every table stays bounded', async () => {
    const limits = {
      duplicateCacheSize: 100,
      maxRoutes: 50,
      maxChannels: 20,
      maxHeldMessages: 10,
      maxUnacked: 30,
      floodBurst: 1e6,
      floodRatePerSecond: 1e6,
    };
    const { p } = await three(limits);
    const guid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    for (let i = 0; i < 500; i++) {
      p.from('l1', envelope('CHANNEL', { ...channel(N1), channel_id: guid(i) }, { flood: true }));
      p.from(
        'l1',
        envelope('ROUTING', { nodes: [{ node_id: `x@${guid(i)}`, ttl: 1 }] }, { ttl: 1 }),
      );
      p.from(
        'l1',
        envelope(
          'MESSAGE',
          {
            node_id: `s@${guid(i)}`,
            timestamp: '2026-01-01T00:00:00Z',
            channel: 'c',
            channel_id: CH,
            message: 'AAAA',
          },
          { target: N2, sender: `s@${guid(i)}` },
        ),
      );
    }
    const ch = p.node.createChannel('mine');
    for (let i = 0; i < 50; i++) {
      p.from(
        'l1',
        envelope(
          'MESSAGE',
          {
            node_id: `h@${guid(i)}`,
            timestamp: '2026-01-01T00:00:00Z',
            channel: 'mine',
            channel_id: ch.channelId,
            message: 'AAAA',
          },
          { flood: true, sender: `h@${guid(i)}` },
        ),
      );
    }
    const s = p.node.sizes;
    expect(s.duplicates).toBeLessThanOrEqual(100);
    expect(s.routes).toBeLessThanOrEqual(50);
    expect(s.channels).toBeLessThanOrEqual(20);
    expect(p.node.channel(ch.channelId)!.joined).toBe(true); // strangers' CHANNELs did not lock it out
    expect(s.held).toBeLessThanOrEqual(10);
    expect(s.unacked).toBeLessThanOrEqual(30);
    expect(p.node.counters.drops.limit).toBeGreaterThan(0); // the retransmission queue
    expect(p.node.counters.drops['held-overflow']).toBeGreaterThan(0);
  });

  it('messages claiming to come from this node, or sent to it under its own name, go nowhere', async () => {
    const { p, stillServing } = await three();
    p.from('l1', envelope('CHANNEL', channel(NODE), { flood: true, sender: NODE }));
    expect(p.sent('l3')).toEqual([]);
    expect(stillServing()).toBe(true);
  });

  it('a UDP datagram from a stranger is dropped', async () => {
    const { p } = await three();
    const msg = encodeMessage({
      msg_type: 'MESSAGE',
      msg_data: {},
      ttl: 3,
      flood: true,
      sender_id: N1,
      target_id: null,
      msg_id: 'a',
    });
    p.node.receiveDatagram('192.0.2.1:5000', msg, p.now);
    p.node.receiveDatagram('not an address', msg, p.now);
    p.node.receiveDatagram(
      '192.0.2.1:5000',
      utf8Encode(JSON.stringify(envelope('HELLO', { node_id: N1 }, { sender: N1, ttl: 1 }))),
      p.now,
    );
    expect(p.sent()).toEqual([]);
    expect(p.events('datagram')).toEqual([]);
    expect(p.node.counters.drops['not-neighbour'] + p.node.counters.drops.malformed).toBe(3);
  });
});
