import { describe, expect, it } from 'vitest';
import { RoutingTable } from '../src/routing.js';
import { envelope, FAR, N1, N2, N3, probe } from './harness.js';
import { SimNetwork } from './sim.js';

const g = (id: string) => id.split('@')[1]!;

describe('ROUTING distance vector (§6)', () => {
  it('keeps the lowest distance and its next hop; ignores itself and distances over 32', () => {
    const t = new RoutingTable('self', 32, 100);
    t.addNeighbour(g(N1), N1);
    t.addNeighbour(g(N2), N2);
    t.learn(
      g(N1),
      [
        { guid: g(FAR), nodeId: FAR, ttl: 3 },
        { guid: 'self', nodeId: 'me@self', ttl: 1 },
      ],
      1000,
    );
    t.learn(g(N2), [{ guid: g(FAR), nodeId: FAR, ttl: 1 }], 1000);
    expect(t.route(g(FAR))).toMatchObject({ via: g(N2), distance: 2 });
    expect(t.route('self')).toBeUndefined();
    t.learn(g(N2), [{ guid: g(FAR), nodeId: FAR, ttl: 33 }], 1000); // withdrawn (poison)
    expect(t.route(g(FAR))).toMatchObject({ via: g(N1), distance: 4 });
    t.learn(g(N1), [{ guid: g(N3), nodeId: N3, ttl: 32 }], 1000); // 33 hops: unreachable
    expect(t.route(g(N3))).toBeUndefined();
  });

  it('expires advertisements not refreshed; withdraws everything through a dead neighbour at once', () => {
    const t = new RoutingTable('self', 32, 100);
    t.addNeighbour(g(N1), N1);
    t.learn(g(N1), [{ guid: g(FAR), nodeId: FAR, ttl: 1 }], 30_000);
    t.takeChanges();
    t.expire(29_999);
    expect(t.route(g(FAR))).toBeDefined();
    t.expire(30_000);
    expect(t.route(g(FAR))).toBeUndefined();
    expect(t.takeChanges()).toEqual([g(FAR)]);
    t.learn(g(N1), [{ guid: g(FAR), nodeId: FAR, ttl: 1 }], 60_000);
    t.removeNeighbour(g(N1));
    expect(t.size).toBe(0);
  });

  it('split horizon: routes through a neighbour are not advertised back to it; lost ones are poisoned', () => {
    const t = new RoutingTable('self', 32, 100);
    t.addNeighbour(g(N1), N1);
    t.addNeighbour(g(N2), N2);
    t.learn(g(N1), [{ guid: g(FAR), nodeId: FAR, ttl: 1 }], 1000);
    expect(t.advertisement(g(N1))).toEqual([{ node_id: N2, ttl: 1 }]);
    expect(t.advertisement(g(N2))).toEqual([
      { node_id: N1, ttl: 1 },
      { node_id: FAR, ttl: 2 },
    ]);
    t.takeChanges();
    t.removeNeighbour(g(N1));
    const changes = t.takeChanges();
    expect(t.advertisement(g(N2), changes)).toEqual(
      expect.arrayContaining([
        { node_id: N1, ttl: 33 },
        { node_id: FAR, ttl: 33 },
      ]),
    );
  });

  it('limits the table size and the entries read per ROUTING', async () => {
    const p = await probe({ maxRoutes: 2, maxRoutingEntries: 3 });
    p.neighbour('l1', N1);
    const nodes = Array.from({ length: 10 }, (_, i) => ({
      node_id: `n${i}@${'0'.repeat(8)}-0000-4000-8000-${String(i).padStart(12, '0')}`,
      ttl: 1,
    }));
    p.from('l1', envelope('ROUTING', { nodes }, { sender: N1, ttl: 1 }));
    expect(p.node.routes().length).toBe(2);
  });

  it('in a line a-b-c-d: converges, withdraws at once on a cut, heals on reconnection', async () => {
    const net = new SimNetwork({ seed: 3 });
    const [a, b, c, d] = await Promise.all(['a', 'b', 'c', 'd'].map((n) => net.addNode(n)));
    net.connect(a!, b!);
    net.connect(b!, c!);
    net.connect(c!, d!);
    await net.runFor(2000);
    expect(a!.node.routes().find((r) => r.nodeId === d!.node.nodeId)).toMatchObject({
      nextHop: b!.node.nodeId,
      distance: 3,
    });
    net.disconnect(b!, c!);
    await net.runFor(1000); // far less than the 30 s expiry: withdrawal is triggered
    expect(a!.node.pathTo(d!.node.nodeId)).toBe('none');
    expect(d!.node.pathTo(a!.node.nodeId)).toBe('none');
    net.connect(b!, c!);
    await net.runFor(1000);
    expect(a!.node.pathTo(d!.node.nodeId)).toBe('relayed');
    // Periodic ROUTING keeps routes alive well past the expiry.
    await net.runFor(60_000);
    expect(a!.node.routes().length).toBe(3);
  });
});

describe('a server and its leaves (maxRoutesToLeaf)', () => {
  const leaves = ['a', 'b', 'c', 'd', 'e'].map(
    (n, i) => `${n}leaf@${'6789a'[i]!.repeat(8)}-0000-4000-8000-${'6789a'[i]!.repeat(12)}`,
  );
  const routing = (p: Awaited<ReturnType<typeof probe>>, peer: string) =>
    p.sent(peer).filter((m) => m.msg_type === 'ROUTING');

  it('above maxRoutesToLeaf routes, tells a leaf that many, periodically only; a server neighbour everything', async () => {
    const p = await probe({ maxRoutesToLeaf: 2 }, { nodeType: 'server' });
    p.neighbour('s', N1, undefined, { node_type: 'server' });
    for (const [i, id] of leaves.entries()) p.neighbour(`l${i}`, id);
    // The table after each HELLO: capped for the leaves.
    for (let i = 0; i < leaves.length; i++) {
      const first = routing(p, `l${i}`)[0]!.msg_data as { nodes: unknown[] };
      expect(first.nodes.length).toBeLessThanOrEqual(2);
    }
    p.clear();
    await p.advance(1_000); // the debounced changes: to the server neighbour only
    expect(routing(p, 's').length).toBeGreaterThan(0);
    for (let i = 0; i < leaves.length; i++) expect(routing(p, `l${i}`)).toEqual([]);
    p.clear();
    await p.advance(10_000); // a periodic full table: every route to the server, 2 to a leaf
    const full = routing(p, 's').flatMap((m) => (m.msg_data as { nodes: unknown[] }).nodes);
    expect(full).toHaveLength(leaves.length);
    for (let i = 0; i < leaves.length; i++) {
      const got = routing(p, `l${i}`).flatMap((m) => (m.msg_data as { nodes: unknown[] }).nodes);
      expect(got).toHaveLength(2);
    }
  });

  it('a client that knows no route to a node sends through its server neighbour (default route)', async () => {
    const p = await probe();
    p.neighbour('c', N2); // a client neighbour is no default route
    p.clear();
    p.from('c', envelope('GETCERTIFICATE', { node_id: N2 }, { sender: N2, target: FAR }));
    expect(p.sent('c')).toMatchObject([{ msg_type: 'ACK' }, { msg_type: 'NACK' }]);
    p.neighbour('s', N1, undefined, { node_type: 'server' });
    expect(p.node.pathTo(FAR)).toBe('none'); // no route known, but a default route:
    p.clear();
    p.from('c', envelope('GETCERTIFICATE', { node_id: N2 }, { sender: N2, target: FAR }));
    expect(p.sent('s')).toMatchObject([{ msg_type: 'GETCERTIFICATE', target_id: FAR }]);
    // A server has no default route: it NACKs what it cannot route.
    const srv = await probe({}, { nodeType: 'server' });
    srv.neighbour('s', N1, undefined, { node_type: 'server' });
    srv.neighbour('c', N2);
    srv.clear();
    srv.from('c', envelope('GETCERTIFICATE', { node_id: N2 }, { sender: N2, target: FAR }));
    expect(srv.sent('s')).toEqual([]);
    expect(srv.sent('c')).toMatchObject([{ msg_type: 'ACK' }, { msg_type: 'NACK' }]);
  });
});
