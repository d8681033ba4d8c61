import { describe, expect, it } from 'vitest';
import { DuplicateCache } from '../src/dedup.js';
import { CH, envelope, FAR, msgId, N1, N2, N3, NODE, probe } from './harness.js';

const channel = (sender = N1) => ({
  node_id: sender,
  channel: 'general',
  channel_id: CH,
  members: [{ node_id: sender }],
  closed: false,
});

describe('flooding (§3)', () => {
  it('forwards a flood once to every neighbour but the one it came from, TTL - 1', async () => {
    const p = await probe();
    p.neighbour('l1', N1);
    p.neighbour('l2', N2);
    p.neighbour('l3', N3);
    p.clear();
    const id = msgId();
    p.from('l1', envelope('CHANNEL', channel(), { flood: true, ttl: 7, id }));
    expect(p.sent('l1')).toEqual([]);
    for (const l of ['l2', 'l3'])
      expect(p.sent(l)).toMatchObject([
        { msg_type: 'CHANNEL', msg_id: id, ttl: 6, flood: true, sender_id: N1 },
      ]);
    expect(p.events('channel')).toHaveLength(1); // delivered locally too
    // The same flood again, from anywhere: not processed, not forwarded.
    p.clear();
    p.from('l2', envelope('CHANNEL', channel(), { flood: true, ttl: 7, id }));
    p.from('l1', envelope('CHANNEL', channel(), { flood: true, ttl: 7, id }));
    expect(p.sent()).toEqual([]);
    expect(p.node.counters.duplicatesDropped).toBe(2);
  });

  it('clamps absurd TTLs and stops a flood whose TTL runs out (no NACK for floods)', async () => {
    const p = await probe();
    p.neighbour('l1', N1);
    p.neighbour('l2', N2);
    p.clear();
    p.from('l1', envelope('CHANNEL', channel(), { flood: true, ttl: 1e15 }));
    expect(p.sent('l2')[0]!.ttl).toBe(31);
    p.clear();
    p.from('l1', envelope('CHANNEL', channel(), { flood: true, ttl: 1 }));
    p.from('l1', envelope('CHANNEL', channel(), { flood: true, ttl: -5 }));
    expect(p.sent()).toEqual([]);
    expect(p.node.counters.drops['ttl-expired']).toBe(2);
    expect(p.node.counters.nacksSent).toBe(0);
  });

  it('rate-limits fresh msg_ids per neighbour and keeps serving the others', async () => {
    const p = await probe({ floodRatePerSecond: 10, floodBurst: 20 });
    p.neighbour('l1', N1);
    p.neighbour('l2', N2);
    p.neighbour('l3', N3);
    p.clear();
    for (let i = 0; i < 100; i++) p.from('l1', envelope('CHANNEL', channel(), { flood: true }));
    expect(p.node.counters.drops['rate-limited']).toBe(80);
    expect(p.sent('l2')).toHaveLength(20);
    p.from('l3', envelope('CHANNEL', channel(N3), { flood: true, sender: N3 }));
    expect(p.sent('l2')).toHaveLength(21);
    p.now += 1000; // the bucket refills at the sustained rate
    for (let i = 0; i < 20; i++) p.from('l1', envelope('CHANNEL', channel(), { flood: true }));
    expect(p.sent('l2')).toHaveLength(31);
  });
});

describe('targeted messages and RELAY (§3.1, §8.13)', () => {
  it('forwards to the best next hop; no route or TTL out → NACK to the originator', async () => {
    const p = await probe();
    p.neighbour('l1', N1);
    p.neighbour('l2', N2);
    p.from(
      'l2',
      envelope('ROUTING', { nodes: [{ node_id: FAR, ttl: 1 }] }, { sender: N2, ttl: 1 }),
    );
    p.clear();
    const get = { node_id: N1 };
    p.from('l1', envelope('GETCERTIFICATE', get, { target: FAR, ttl: 5 }));
    expect(p.sent('l2')).toMatchObject([{ msg_type: 'GETCERTIFICATE', target_id: FAR, ttl: 4 }]);
    expect(p.sent('l1').map((m) => m.msg_type)).toEqual(['ACK']); // hop by hop
    p.clear();
    const lost = msgId();
    p.from('l1', envelope('GETCERTIFICATE', get, { target: N3, id: lost }));
    expect(
      p
        .sent('l1')
        .map((m) => [m.msg_type, m.target_id, (m.msg_data as { reason?: string }).reason]),
    ).toEqual([
      ['ACK', null, undefined],
      ['NACK', N1, 'no_route'],
    ]);
    expect(p.sent('l1')[1]!.msg_data).toMatchObject({ msg_id: lost });
    p.clear();
    p.from('l1', envelope('GETCERTIFICATE', get, { target: FAR, ttl: 1 }));
    expect(p.sent('l1').map((m) => (m.msg_data as { reason?: string }).reason)).toEqual([
      undefined,
      'ttl_expired',
    ]);
    expect(p.node.counters.nacksSent).toBe(2);
  });

  it('never NACKs a NACK', async () => {
    const p = await probe();
    p.neighbour('l1', N1);
    p.clear();
    p.from('l1', envelope('NACK', { msg_id: msgId(), reason: 'no_route' }, { target: N3 }));
    expect(p.sent()).toEqual([]);
  });

  it('a NACK for a message this node sent is a delivery-failed event', async () => {
    const p = await probe();
    p.neighbour('l1', N1);
    p.node.requestCertificate(FAR); // no route: fails at once
    expect(p.events('delivery-failed')).toMatchObject([{ target: FAR, reason: 'no_route' }]);
    p.from(
      'l1',
      envelope('ROUTING', { nodes: [{ node_id: FAR, ttl: 1 }] }, { sender: N1, ttl: 1 }),
    );
    p.node.requestCertificate(FAR);
    const sent = p.sent('l1').find((m) => m.msg_type === 'GETCERTIFICATE')!;
    p.from(
      'l1',
      envelope(
        'NACK',
        { msg_id: sent.msg_id, reason: 'ttl_expired' },
        { sender: N1, target: NODE },
      ),
    );
    expect(p.events('delivery-failed')[1]).toMatchObject({
      msgId: sent.msg_id,
      reason: 'ttl_expired',
    });
  });
});

describe('ACK and retransmission (§4)', () => {
  it('retransmits an un-ACKed forwarded MESSAGE 5 times, 10 s apart, then NACKs no_route', async () => {
    const p = await probe();
    p.neighbour('l1', N1);
    p.neighbour('l2', N2);
    p.clear();
    const id = msgId();
    const msg = envelope(
      'MESSAGE',
      {
        node_id: N1,
        timestamp: '2026-01-01T00:00:00Z',
        channel: 'c',
        channel_id: CH,
        message: 'AAAA',
      },
      { target: N2, id },
    );
    p.from('l1', msg);
    expect(p.sent('l2')).toHaveLength(1);
    // N2 keeps saying HELLO but never ACKs.
    for (let i = 0; i < 5; i++) {
      for (let t = 0; t < 5; t++) {
        await p.advance(2000);
        p.from('l2', envelope('HELLO', { node_id: N2 }, { sender: N2, ttl: 1 }));
        p.from('l1', envelope('HELLO', { node_id: N1 }, { sender: N1, ttl: 1 }));
      }
      expect(p.sent('l2').filter((m) => m.msg_type === 'MESSAGE')).toHaveLength(2 + i);
    }
    expect(p.node.counters.retransmissions).toBe(5);
    await p.advance(10_000);
    const nack = p.sent('l1').find((m) => m.msg_type === 'NACK');
    expect(nack).toMatchObject({ target_id: N1, msg_data: { msg_id: id, reason: 'no_route' } });
  });

  it('stops on the ACK; a duplicate is ACKed again so the sender stops', async () => {
    const p = await probe();
    p.neighbour('l1', N1);
    p.neighbour('l2', N2);
    const id = msgId();
    const msg = envelope(
      'MESSAGE',
      {
        node_id: N1,
        timestamp: '2026-01-01T00:00:00Z',
        channel: 'c',
        channel_id: CH,
        message: 'AAAA',
      },
      { target: N2, id },
    );
    p.from('l1', msg);
    p.from('l2', envelope('ACK', { msg_id: id }, { sender: N2, ttl: 1 }));
    p.clear();
    await p.advance(10_500);
    expect(p.sent('l2').filter((m) => m.msg_type === 'MESSAGE')).toEqual([]);
    p.from('l1', msg);
    expect(
      p
        .sent('l1')
        .filter((m) => m.msg_type === 'ACK')
        .map((m) => m.msg_data),
    ).toEqual([{ msg_id: id }]);
    expect(p.sent('l2').filter((m) => m.msg_type === 'MESSAGE')).toEqual([]);
  });

  it('an originated CERTIFICATE never ACKed ends in a delivery-failed event', async () => {
    const p = await probe({ deadAfterMs: 1e9 });
    p.neighbour('l1', N1);
    p.from('l1', envelope('GETCERTIFICATE', { node_id: N1 }, { target: NODE }));
    const cert = p.sent('l1').find((m) => m.msg_type === 'CERTIFICATE')!;
    expect(cert).toMatchObject({ target_id: N1, sender_id: NODE });
    await p.advance(61_000);
    expect(p.sent('l1').filter((m) => m.msg_type === 'CERTIFICATE')).toHaveLength(6);
    expect(p.events('delivery-failed')).toMatchObject([{ msgId: cert.msg_id, reason: 'no-ack' }]);
  });
});

describe('duplicate cache (§3.3)', () => {
  it('forgets after the window and evicts the oldest beyond its size', () => {
    const d = new DuplicateCache(120_000, 3);
    expect(d.add('a', 0)).toBe(true);
    expect(d.add('a', 1)).toBe(false);
    d.add('b', 2);
    d.add('c', 3);
    d.add('d', 4); // evicts a
    expect(d.size).toBe(3);
    expect(d.has('a', 5)).toBe(false);
    expect(d.has('b', 5)).toBe(true);
    expect(d.has('b', 120_002)).toBe(false);
    expect(d.add('b', 120_002)).toBe(true);
  });
});
