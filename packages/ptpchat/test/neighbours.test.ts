import { describe, expect, it } from 'vitest';
import { resolveLimits } from '../src/index.js';
import { envelope, FAR, N1, N2, NODE, probe } from './harness.js';

describe('neighbours and HELLO liveness (§5)', () => {
  it('says HELLO on a new link, registers the neighbour on its HELLO, answers with HELLO and ROUTING', async () => {
    const p = await probe({}, { nodeType: 'server' });
    p.node.peerConnected('l1', { transport: 'tcp' }, p.now);
    const [hello] = p.sent('l1');
    expect(hello).toMatchObject({
      msg_type: 'HELLO',
      ttl: 1,
      flood: false,
      sender_id: NODE,
      target_id: null,
    });
    expect(hello!.msg_data).toMatchObject({
      node_id: NODE,
      version: '@peerwire/ptpchat/0.1.0',
      attributes: { node_type: 'server', udp_port: 9001 },
    });
    p.clear();
    p.from(
      'l1',
      envelope(
        'HELLO',
        { node_id: N1, attributes: { node_type: 'client' } },
        { sender: N1, ttl: 1 },
      ),
    );
    expect(p.events('neighbour-up')).toMatchObject([
      { peer: 'l1', nodeId: N1, nodeType: 'client' },
    ]);
    expect(p.sent('l1').map((m) => m.msg_type)).toEqual(['HELLO', 'ROUTING']);
    expect(p.node.neighbours().map((n) => n.nodeId)).toEqual([N1]);
    expect(p.node.pathTo(N1)).toBe('neighbour');
  });

  it('accepts the seed HELLO (no msg_data) when the envelope names the sender', async () => {
    const p = await probe();
    p.node.peerConnected('l1', { transport: 'tcp' }, p.now);
    p.from('l1', { msg_type: 'HELLO', sender_id: N1 });
    expect(p.node.neighbours().map((n) => n.nodeId)).toEqual([N1]);
  });

  it('drops messages on a link before its HELLO', async () => {
    const p = await probe();
    p.node.peerConnected('l1', { transport: 'tcp' }, p.now);
    p.from(
      'l1',
      envelope('JOIN', {
        node_id: N1,
        channel: 'x',
        channel_id: '3f2504e0-4f89-41d3-9a0c-0305e82c3301',
      }),
    );
    expect(p.node.counters.drops['not-neighbour']).toBe(1);
  });

  it('sends HELLO every interval and declares a silent neighbour dead after 15 s, withdrawing its routes', async () => {
    const p = await probe();
    p.neighbour('l1', N1);
    p.neighbour('l2', N2);
    p.from(
      'l1',
      envelope('ROUTING', { nodes: [{ node_id: FAR, ttl: 1 }] }, { sender: N1, ttl: 1 }),
    );
    expect(p.node.routes().find((r) => r.nodeId === FAR)).toMatchObject({
      nextHop: N1,
      distance: 2,
    });
    p.clear();
    for (let t = 0; t < 7; t++) {
      await p.advance(2000);
      p.from('l2', envelope('HELLO', { node_id: N2 }, { sender: N2, ttl: 1 })); // l2 keeps talking
    }
    expect(p.sent('l1').filter((m) => m.msg_type === 'HELLO').length).toBe(7);
    expect(p.events('close')).toEqual([]);
    await p.advance(2000); // 16 s of silence from l1
    expect(p.events('close')).toMatchObject([{ peer: 'l1', reason: 'dead' }]);
    expect(p.events('neighbour-down')).toMatchObject([{ nodeId: N1, reason: 'dead' }]);
    expect(p.node.routes().map((r) => r.nodeId)).toEqual([N2]);
    expect(p.node.pathTo(FAR)).toBe('none');
  });

  it('closes a link whose HELLO changes node id, and a link to itself', async () => {
    const p = await probe();
    p.neighbour('l1', N1);
    p.from('l1', envelope('HELLO', { node_id: N2 }, { sender: N2, ttl: 1 }));
    expect(p.events('close')).toMatchObject([{ peer: 'l1' }]);
    p.neighbour('l2', NODE);
    expect(p.events('close')).toMatchObject([{ peer: 'l1' }, { peer: 'l2' }]);
  });

  it('a reconnecting neighbour replaces its old link', async () => {
    const p = await probe();
    p.neighbour('old', N1);
    p.neighbour('new', N1);
    expect(p.events('close')).toMatchObject([{ peer: 'old' }]);
    expect(p.node.neighbours().map((n) => n.peer)).toEqual(['new']);
  });

  it('bounds the neighbours', async () => {
    const p = await probe({ maxNeighbours: 1 });
    p.neighbour('l1', N1);
    p.neighbour('l2', N2);
    expect(p.node.neighbours().map((n) => n.nodeId)).toEqual([N1]);
    expect(p.events('close')).toMatchObject([{ peer: 'l2', reason: 'limit' }]);
  });

  it('clamps the HELLO interval to 0.5-2 s', () => {
    expect(resolveLimits({ helloIntervalMs: 100 }).helloIntervalMs).toBe(500);
    expect(resolveLimits({ helloIntervalMs: 5000 }).helloIntervalMs).toBe(2000);
    expect(resolveLimits().deadAfterMs).toBe(15_000);
  });
});
