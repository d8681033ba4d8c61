import { describe, expect, it } from 'vitest';
import { formatEndpoint } from '../../src/index.js';
import { testIdentity } from '../helpers.js';
import { type HostNode, Net } from './sim.js';

function relayed(net: Net): number {
  return net.bases.reduce((n, b) => n + b.server.stats.relayedUdp + b.server.stats.relayedTcp, 0);
}

/** Pings `from` → `to` every `everyMs` for `forMs`, the echo answering each. */
function pingLoop(net: Net, from: HostNode, to: HostNode, count: number, everyMs = 1_000): void {
  for (let i = 0; i < count; i++) {
    from.send(to, `ping ${i}`);
    net.runFor(everyMs);
  }
}

function twoNattedHosts(kindA: 'eim' | 'symmetric', kindB: 'eim' | 'symmetric', baseCount = 1) {
  const net = new Net(5);
  const bases = Array.from({ length: baseCount }, (_, i) =>
    net.addBase(`b${i}`, `198.51.100.${i + 1}`),
  );
  const natA = net.addNat('203.0.113.10', kindA);
  const natB = net.addNat('203.0.113.20', kindB);
  const a = net.addHost('a', testIdentity(11), {
    lanIp: '192.168.1.10',
    lan: 'lanA',
    nat: natA,
    bases,
  });
  const b = net.addHost('b', testIdentity(12), {
    lanIp: '192.168.2.20',
    lan: 'lanB',
    nat: natB,
    bases,
  });
  a.start();
  b.start();
  net.runFor(1_000);
  return { net, bases, natA, natB, a, b };
}

describe('simulated network', () => {
  it('both behind endpoint-independent NATs: a direct path comes up and nothing is relayed after', () => {
    const { net, bases, a, b } = twoNattedHosts('eim', 'eim');
    expect(bases[0]!.server.stats.devicesConnected).toBe(2);
    expect(bases[0]!.server.stats.natConfirmations).toBeGreaterThanOrEqual(2);
    a.send(b, 'ping first');
    const up = net.runUntil(
      () => a.path(b).path === 'direct' && b.path(a).path === 'direct',
      10_000,
    );
    expect(up).toBe(true);
    expect(b.textsFrom(a)).toContain('ping first'); // the first one went through the base
    const relayedBefore = relayed(net);
    expect(relayedBefore).toBeGreaterThan(0);
    pingLoop(net, a, b, 60); // a minute: two refreshes with their re-HELLOs
    expect(relayed(net)).toBe(relayedBefore);
    const got = b.received.filter((r) => /^ping \d+$/.test(r.text) && r.from === 'a');
    expect(got).toHaveLength(60);
    expect(got.every((r) => r.path === 'direct')).toBe(true);
    expect(a.textsFrom(b).filter((t) => /^pong \d+$/.test(t))).toHaveLength(60);
    const path = a.path(b);
    expect(path.target && formatEndpoint(path.target)).toBe('203.0.113.20:20000');
    expect(path.rttMs).toBe(20); // one hop each way in the simulation
    expect(a.events.some((e) => e.type === 'path' && e.path === 'direct')).toBe(true);
  });

  it('symmetric NAT on one side: traffic stays relayed over base UDP', () => {
    const { net, bases, a, b } = twoNattedHosts('symmetric', 'eim');
    pingLoop(net, a, b, 60);
    expect(a.path(b).path).toBe('base-udp');
    expect(b.path(a).path).toBe('base-udp');
    const s = bases[0]!.server.stats;
    expect(s.relayedUdp).toBe(120); // 60 pings and 60 pongs
    expect(s.relayedTcp).toBe(0);
    expect(b.received.filter((r) => r.from === 'a').every((r) => r.path === 'base-udp')).toBe(true);
    expect(a.textsFrom(b).filter((t) => /^pong \d+$/.test(t))).toHaveLength(60);
  });

  it('symmetric NAT and UDP to the base blocked: traffic is relayed over base TCP', () => {
    const net = new Net(6);
    const base = net.addBase('b0', '198.51.100.1');
    const a = net.addHost('a', testIdentity(11), {
      lanIp: '192.168.1.10',
      lan: 'lanA',
      nat: net.addNat('203.0.113.10', 'symmetric'),
      bases: [base],
    });
    const b = net.addHost('b', testIdentity(12), {
      lanIp: '192.168.2.20',
      lan: 'lanB',
      nat: net.addNat('203.0.113.20', 'eim'),
      bases: [base],
    });
    a.blockUdpToBases = true;
    a.start();
    b.start();
    net.runFor(5_000);
    expect(a.agent.baseUdpAlive).toBe(false);
    pingLoop(net, a, b, 30);
    expect(a.path(b).path).toBe('base-tcp');
    expect(a.textsFrom(b).filter((t) => /^pong \d+$/.test(t))).toHaveLength(30);
    const s = base.server.stats;
    expect(s.relayedTcp).toBe(30); // a's pings reach b over UDP (b's path is confirmed) ...
    expect(s.relayedUdp).toBe(30); // ... b's pongs reach a over TCP, the only path a has
    expect(a.received.filter((r) => r.from === 'b').every((r) => r.path === 'base-tcp')).toBe(true);
  });

  it('two bases: the first one dies and the hosts fail over without losing the peer', () => {
    const { net, bases, a, b } = twoNattedHosts('symmetric', 'eim', 2);
    const [b0, b1] = bases as [NonNullable<(typeof bases)[0]>, NonNullable<(typeof bases)[0]>];
    expect(formatEndpoint(a.agent.base!)).toBe(formatEndpoint(b0.tcp)); // the first to complete
    expect(b1.server.stats.connections).toBe(0); // the other attempt was closed
    pingLoop(net, a, b, 5);
    expect(b0.server.stats.relayedUdp).toBe(10);
    b0.kill();
    net.runFor(2_000);
    expect(formatEndpoint(a.agent.base!)).toBe(formatEndpoint(b1.tcp));
    expect(formatEndpoint(b.agent.base!)).toBe(formatEndpoint(b1.tcp));
    pingLoop(net, a, b, 10);
    expect(a.textsFrom(b).filter((t) => /^pong \d+$/.test(t))).toHaveLength(15);
    expect(b1.server.stats.relayedUdp).toBe(20);
    expect(a.path(b).path).toBe('base-udp');
  });

  it('a direct path survives the loss of its base', () => {
    const { net, bases, a, b } = twoNattedHosts('eim', 'eim', 2);
    a.send(b, 'ping hello');
    expect(
      net.runUntil(() => a.path(b).path === 'direct' && b.path(a).path === 'direct', 10_000),
    ).toBe(true);
    bases[0]!.kill();
    const before = relayed(net);
    pingLoop(net, a, b, 60);
    expect(a.textsFrom(b).filter((t) => /^pong \d+$/.test(t))).toHaveLength(60);
    expect(relayed(net)).toBe(before);
    expect(a.path(b).path).toBe('direct');
  });

  it('two hosts on one segment with no address for each other at the base: multicast finds the peer', () => {
    const net = new Net(7);
    const base = net.addBase('b0', '198.51.100.1');
    const nat = net.addNat('203.0.113.10', 'eim'); // no hairpinning: the public address is useless
    const a = net.addHost('a', testIdentity(11), {
      lanIp: '192.168.1.10',
      lan: 'lan',
      nat,
      bases: [base],
      info: [],
    });
    const b = net.addHost('b', testIdentity(12), {
      lanIp: '192.168.1.20',
      lan: 'lan',
      nat,
      bases: [base],
      info: [],
    });
    a.start();
    b.start();
    net.runFor(1_000);
    a.send(b, 'ping 0');
    // the next refresh's multicast (within 25 s) gives the LAN address; the HELLO round-trip wins
    expect(net.runUntil(() => a.path(b).path === 'direct', 26_000)).toBe(true);
    expect(formatEndpoint(a.path(b).target!)).toBe('192.168.1.20:5582');
    const before = relayed(net);
    pingLoop(net, a, b, 10);
    expect(
      b.received.filter((r) => r.from === 'a' && r.path === 'direct').length,
    ).toBeGreaterThanOrEqual(10);
    expect(a.textsFrom(b).filter((t) => /^pong \d+$/.test(t))).toHaveLength(11);
    expect(relayed(net) - before).toBeLessThanOrEqual(1); // at most b's first pong, before its own path
  });

  it("a host's address changes: the base pushes it and the path is back within one refresh", () => {
    const { net, bases, natA, a, b } = twoNattedHosts('eim', 'eim');
    a.send(b, 'ping hello');
    expect(
      net.runUntil(() => a.path(b).path === 'direct' && b.path(a).path === 'direct', 10_000),
    ).toBe(true);
    net.runFor(5_000);
    const pushesBefore = bases[0]!.server.stats.addressPushes;
    natA.rebind('203.0.113.77');
    const changedAt = net.now;
    let backAt: number | undefined;
    for (let i = 0; i < 30 && backAt === undefined; i++) {
      b.send(a, `ping ${i}`);
      const target = b.path(a).target;
      net.runFor(1_000);
      if (
        b.path(a).path === 'direct' &&
        target &&
        formatEndpoint(target).startsWith('203.0.113.77:') &&
        a.path(b).path === 'direct'
      ) {
        backAt = net.now;
      }
    }
    expect(backAt).toBeDefined();
    expect(backAt! - changedAt).toBeLessThanOrEqual(25_000);
    expect(bases[0]!.server.stats.addressPushes).toBeGreaterThan(pushesBefore);
    expect(formatEndpoint(bases[0]!.server.observedAddressOf(a.id)!)).toMatch(/^203\.0\.113\.77:/);
    // and data flows direct again
    const before = relayed(net);
    pingLoop(net, b, a, 10);
    expect(relayed(net)).toBe(before);
    expect(b.textsFrom(a).filter((t) => /^pong \d+$/.test(t))).not.toHaveLength(0);
  });
});

describe('simulated network, many hosts', () => {
  it('six hosts, half behind symmetric NATs: every pair talks; EIM pairs direct, the rest relayed', () => {
    const net = new Net(11);
    const base = net.addBase('b0', '198.51.100.1');
    const hosts = Array.from({ length: 6 }, (_, i) => {
      const kind = i % 2 === 0 ? 'eim' : 'symmetric';
      return net.addHost(`h${i}`, testIdentity(20 + i), {
        lanIp: `192.168.${10 + i}.2`,
        lan: `lan${i}`,
        nat: net.addNat(`203.0.113.${50 + i}`, kind),
        bases: [base],
      });
    });
    for (const h of hosts) h.start();
    net.runFor(2_000);
    expect(base.server.stats.devicesConnected).toBe(6);
    for (let round = 0; round < 3; round++) {
      for (const a of hosts) for (const b of hosts) if (a !== b) a.send(b, `ping ${round}`);
      net.runFor(5_000);
    }
    for (const a of hosts) {
      for (const b of hosts) {
        if (a === b) continue;
        expect(a.textsFrom(b).filter((t) => /^pong \d+$/.test(t))).toHaveLength(3);
        const bothEim = hosts.indexOf(a) % 2 === 0 && hosts.indexOf(b) % 2 === 0;
        expect(a.path(b).path).toBe(bothEim ? 'direct' : 'base-udp');
      }
    }
  });
});
