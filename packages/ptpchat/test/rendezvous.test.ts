import { describe, expect, it } from 'vitest';
import { envelope, N1, N2, N3, NODE, probe } from './harness.js';
import { SimNetwork as Net, type SimNetwork, type SimNode } from './sim.js';

const S_IP = '198.51.100.1';

interface Nat {
  readonly node: SimNode;
  readonly ip: string;
  readonly symmetric: boolean;
  readonly byDestination: Map<string, number>;
  /** public port → remote addresses this mapping sent to (address-and-port-dependent filtering). */
  readonly allowed: Map<number, Set<string>>;
  next: number;
}

/**
 * S public; A and B each behind its own NAT. Endpoint-independent mapping (one public port for
 * every destination, like Linux masquerade), or symmetric (a port per destination, like
 * `masquerade random`). Inbound datagrams pass only from addresses the mapping has sent to.
 */
async function lab(kind: 'eim' | 'symmetric', family: 4 | 6 = 4) {
  const net = new Net({ seed: 31 });
  const s = await net.addNode('server', { nodeType: 'server' });
  const a = await net.addNode('alice');
  const b = await net.addNode('bob');
  const ip = (n: number) => (family === 4 ? `203.0.113.${n}` : `2001:db8::${n}`);
  const fmt = (host: string, port: number) =>
    host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  const sUdp = fmt(family === 4 ? S_IP : '2001:db8::1', 9001);
  const nats = new Map<SimNode, Nat>();
  for (const [node, n] of [
    [a, 10],
    [b, 20],
  ] as const) {
    nats.set(node, {
      node,
      ip: ip(n),
      symmetric: kind === 'symmetric',
      byDestination: new Map(),
      allowed: new Map(),
      next: 30_000,
    });
  }
  net.routeDatagram = (from, address) => {
    let source = from === s ? sUdp : from.address;
    const out = nats.get(from);
    if (out) {
      const key = out.symmetric ? address : '*';
      let port = out.byDestination.get(key);
      if (port === undefined) {
        port = out.next++;
        out.byDestination.set(key, port);
        out.allowed.set(port, new Set());
      }
      out.allowed.get(port)!.add(address);
      source = fmt(out.ip, port);
    }
    if (address === sUdp) return { to: s, source };
    for (const nat of nats.values()) {
      const prefix = nat.ip.includes(':') ? `[${nat.ip}]:` : `${nat.ip}:`;
      if (!address.startsWith(prefix)) continue;
      const allowed = nat.allowed.get(Number(address.slice(prefix.length)));
      return allowed?.has(source) ? { to: nat.node, source } : undefined;
    }
    return undefined;
  };
  const sTcp = fmt(family === 4 ? S_IP : '2001:db8::1', 9001);
  net.connect(a, s, { aSees: sTcp, bSees: fmt(ip(10), 51_000) });
  net.connect(b, s, { aSees: sTcp, bSees: fmt(ip(20), 52_000) });
  await net.runFor(1000);
  return { net, s, a, b };
}

const states = (net: SimNetwork, n: SimNode) =>
  net.eventsOf(n, 'connect').map((e) => `${e.role}:${e.state}`);

describe('CONNECT rendezvous (§9)', () => {
  it('endpoint-independent NAT: the 5 stages end with a direct UDP path on both sides', async () => {
    const { net, s, a, b } = await lab('eim');
    expect(a.node.pathTo(b.node.nodeId)).toBe('relayed');
    a.node.connect(b.node.nodeId);
    await net.runFor(3000);
    expect(states(net, a)).toEqual(['initiator:started', 'initiator:punching', 'initiator:direct']);
    expect(states(net, b)).toEqual(['responder:punching', 'responder:direct']);
    expect(states(net, s)).toEqual(['rendezvous:started', 'rendezvous:punching']);
    expect(net.eventsOf(a, 'connect').at(-1)!.address).toBe('203.0.113.20:30000');
    expect(a.node.pathTo(b.node.nodeId)).toBe('direct');
    expect(b.node.pathTo(a.node.nodeId)).toBe('direct');
    expect(a.node.counters.connectSuccesses).toBe(1);
    // Messages to B now go over the punched path; the path stays up with HELLOs.
    const ch = a.node.createChannel('pair', { closed: true });
    a.node.invite(ch.channelId, b.node.nodeId);
    await net.runFor(2000);
    b.node.join(ch.channelId);
    await net.runFor(1000);
    const before = a.sent.get('MESSAGE') ?? 0;
    const viaS = s.sent.get('MESSAGE') ?? 0;
    await a.node.sendMessage(ch.channelId, 'punched!');
    await net.runFor(1000);
    expect(net.eventsOf(b, 'message').map((m) => m.text)).toEqual(['punched!']);
    expect(a.sent.get('MESSAGE')).toBe(before + 1);
    expect(s.sent.get('MESSAGE') ?? 0).toBe(viaS); // not relayed by S
    await net.runFor(60_000);
    expect(a.node.pathTo(b.node.nodeId)).toBe('direct');
  });

  it('symmetric NAT: the attempt fails cleanly and traffic stays relayed', async () => {
    const { net, a, b } = await lab('symmetric');
    a.node.connect(b.node.nodeId);
    await net.runFor(12_000);
    expect(states(net, a)).toEqual(['initiator:started', 'initiator:punching', 'initiator:failed']);
    expect(states(net, b)).toEqual(['responder:punching', 'responder:failed']);
    expect(a.node.pathTo(b.node.nodeId)).toBe('relayed');
    expect(a.node.counters.connectFailures).toBe(1);
    expect(a.node.sizes.rendezvous).toBe(0);
    const ch = a.node.createChannel('pub');
    await net.runFor(500);
    b.node.join(ch.channelId);
    await net.runFor(500);
    await a.node.sendMessage(ch.channelId, 'still works');
    await net.runFor(1000);
    expect(net.eventsOf(b, 'message').map((m) => m.text)).toEqual(['still works']);
  });

  it('IPv6 addresses are carried in brackets', async () => {
    const { net, a, b } = await lab('eim', 6);
    a.node.connect(b.node.nodeId);
    await net.runFor(3000);
    expect(net.eventsOf(a, 'connect').at(-1)).toMatchObject({
      state: 'direct',
      address: '[2001:db8::20]:30000',
    });
    expect(b.node.pathTo(a.node.nodeId)).toBe('direct');
  });

  it('the initiator refuses without a UDP port, a common neighbour, or beyond its rate', async () => {
    const { net, a, b } = await lab('eim');
    expect(() => a.node.connect(a.node.nodeId)).toThrowError(
      expect.objectContaining({ code: 'INVALID_ACTION' }),
    );
    expect(() => a.node.connect('x@99999999-9999-4999-8999-999999999999')).toThrowError(
      expect.objectContaining({ code: 'INVALID_ACTION' }),
    );
    const p = await probe({}, { udpPort: undefined });
    expect(() => p.node.connect(N1)).toThrowError(
      expect.objectContaining({ code: 'INVALID_ACTION' }),
    );
    void net;
    void b;
  });

  it('the initiator limits its attempts per responder (6 a minute by default)', async () => {
    const p = await probe({ connectTimeoutMs: 1000, deadAfterMs: 1e9 });
    p.neighbour('s', N1, '198.51.100.1:9001');
    p.from('s', envelope('ROUTING', { nodes: [{ node_id: N2, ttl: 1 }] }, { sender: N1, ttl: 1 }));
    for (let i = 0; i < 6; i++) {
      p.node.connect(N2);
      p.node.connect(N2); // already pending: no new attempt
      await p.advance(1100);
    }
    expect(p.events('connect').filter((e) => e.state === 'failed')).toHaveLength(6);
    expect(() => p.node.connect(N2)).toThrowError(
      expect.objectContaining({ code: 'LIMIT_EXCEEDED' }),
    );
    expect(p.node.counters.connectAttempts).toBe(6);
  });
});

describe('CONNECT cannot aim traffic at a third party', () => {
  const stage = (n: number, initiator: string, responder: string, dst = '', src = '40001') =>
    envelope(
      'CONNECT',
      { stage: n, initiator_id: initiator, responder_id: responder, dst, src },
      { sender: initiator, ttl: 1, target: NODE },
    );

  async function rendezvousNode() {
    const p = await probe({}, { nodeType: 'server' });
    p.neighbour('l1', N1, '198.51.100.7:5000');
    p.neighbour('l2', N2, '192.0.2.9:6000');
    p.neighbour('l3', N3, '192.0.2.77:7000');
    p.clear();
    return p;
  }

  it('S fills in only the addresses it observed, whatever the stage says', async () => {
    const p = await rendezvousNode();
    p.from('l1', stage(1, N1, N2, '6.6.6.6:53', '6.6.6.6:1234'));
    const [s2] = p.sent('l2');
    expect(s2).toMatchObject({
      msg_type: 'CONNECT',
      msg_data: {
        stage: 2,
        initiator_id: N1,
        responder_id: N2,
        dst: '198.51.100.7:1234',
        src: '192.0.2.9',
      },
    });
    // Over UDP, the datagram's source is the address, and it must come from the claimed node's IP.
    p.node.receiveDatagram(
      '198.51.100.7:31000',
      new TextEncoder().encode(JSON.stringify(stage(1, N1, N3, '', '6.6.6.6:1'))),
      p.now,
    );
    expect(p.sent('l3')[0]).toMatchObject({ msg_data: { stage: 2, dst: '198.51.100.7:31000' } });
    p.node.receiveDatagram(
      '6.6.6.6:31000',
      new TextEncoder().encode(JSON.stringify(stage(1, N1, N3))),
      p.now,
    );
    expect(p.sent('l3')).toHaveLength(1);
    expect(p.node.counters.drops['connect-rejected']).toBe(1);
  });

  it('S refuses a stage 1 naming another initiator, a stage 3 it never asked for, and non-neighbours', async () => {
    const p = await rendezvousNode();
    p.from('l3', stage(1, N1, N2)); // N3 pretends to be N1: B would punch toward N1
    p.from('l3', stage(3, N1, N3, '198.51.100.7:1')); // stage 3 without a stage 1: no stage 4 to N1
    p.from('l1', stage(1, N1, 'x@99999999-9999-4999-8999-999999999999'));
    expect(p.sent()).toEqual([]);
    expect(p.node.counters.drops['connect-rejected']).toBe(3);
  });

  it('S rate-limits CONNECT per node', async () => {
    const p = await rendezvousNode();
    for (let i = 0; i < 10; i++) p.from('l1', stage(1, N1, i % 2 ? N2 : N3));
    expect(p.sent().filter((m) => m.msg_type === 'CONNECT')).toHaveLength(6);
    expect(p.node.counters.drops['connect-rate-limited']).toBe(4);
    p.now += 60_000;
    p.from('l1', stage(1, N1, N2));
    expect(p.sent().filter((m) => m.msg_type === 'CONNECT')).toHaveLength(7);
  });

  it('B punches only toward what S gave, and only for a stage 2 from a neighbour for itself', async () => {
    const p = await probe();
    p.neighbour('s', N1, '198.51.100.1:9001', { udp_port: 9001 });
    p.clear();
    p.from('s', stage(2, N2, N3, '203.0.113.10:30000', '1.2.3.4')); // for someone else
    p.from('s', stage(2, N2, NODE, '40001', '1.2.3.4')); // no full address to punch to
    expect(p.events('datagram')).toEqual([]);
    p.from('s', stage(2, N2, NODE, '203.0.113.10:30000', '203.0.113.20'));
    const sent = p.events('datagram');
    expect(sent.map((d) => [d.address, d.message.msg_type])).toEqual([
      ['198.51.100.1:9001', 'CONNECT'], // stage 3 to S over UDP, so that S sees B's mapping
      ['203.0.113.10:30000', 'HELLO'], // the first probe toward A
    ]);
    // A stage 5 from an unexpected address does not open a path.
    p.node.receiveDatagram(
      '6.6.6.6:1',
      new TextEncoder().encode(
        JSON.stringify(stage(5, N2, NODE, '203.0.113.20:30000', '203.0.113.10:30000')),
      ),
      p.now,
    );
    expect(p.node.pathTo(N2)).not.toBe('direct');
    // Probes stop at the timeout.
    await p.advance(11_000);
    const probes = p.events('datagram').filter((d) => d.address === '203.0.113.10:30000').length;
    await p.advance(5000);
    expect(p.events('datagram').filter((d) => d.address === '203.0.113.10:30000').length).toBe(
      probes,
    );
    expect(probes).toBeLessThanOrEqual(1 + 10_000 / 250);
  });
});
