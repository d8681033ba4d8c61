import { describe, expect, it } from 'vitest';
import { HostAgent } from '../../src/host/index.js';
import {
  encodeMulticast,
  encodePeerToPeer,
  formatEndpoint,
  type NatbaseError,
  parseEndpoint,
  signPeerHello,
} from '../../src/index.js';
import { expectCode, testIdentity } from '../helpers.js';
import {
  AgentHarness,
  BASE_UDP,
  BASE1,
  BASE2,
  COOKIE,
  hellos,
  toBaseTcp,
  toBaseUdp,
  toPeers,
} from './harness.js';

const B = () => testIdentity(12);
const C = () => testIdentity(13);
const B_PUBLIC = parseEndpoint('203.0.113.20:20000');
const B_LAN = parseEndpoint('192.168.2.20:5582');

function connects(actions: ReturnType<AgentHarness['start']>) {
  return actions.flatMap((a) => (a.type === 'connect' ? [a] : []));
}

/** Agent connected to BASE1, NAT confirmed, with peer B's addresses from the base. */
function withPeer() {
  const h = new AgentHarness();
  h.connected();
  h.baseUdp({ kind: 'NAT_OK' });
  h.take(h.agent.send(B().deviceId, Uint8Array.of(1), h.now));
  const out = h.baseTcp(1, {
    kind: 'DEVICE_ADDRESSES',
    deviceId: B().deviceId,
    addresses: [B_PUBLIC, B_LAN],
  });
  return { h, out };
}

describe('base connections (§8.1)', () => {
  it('connects to every base at once, keeps the first HELLO and closes the others', () => {
    const h = new AgentHarness();
    const started = connects(h.start());
    expect(started.map((c) => formatEndpoint(c.to))).toEqual([
      formatEndpoint(BASE1),
      formatEndpoint(BASE2),
    ]);
    const conn2 = started[1]!.conn;
    const out = h.baseTcp(conn2, { kind: 'HELLO', cookie: COOKIE });
    expect(out.filter((a) => a.type === 'close').map((a) => a.type === 'close' && a.conn)).toEqual([
      started[0]!.conn,
    ]);
    expect(formatEndpoint(h.agent.base!)).toBe(formatEndpoint(BASE2));
    // INFO at once, signed with the HELLO's cookie
    const info = toBaseTcp(out).find((m) => m.kind === 'INFO');
    expect(info && info.kind === 'INFO' && info.cookie).toEqual(COOKIE);
    expect(info?.kind === 'INFO' && info.addresses.map(formatEndpoint)).toEqual([
      '192.168.1.10:5582',
    ]);
  });

  it('fails over to a new round when the base in use drops, and backs off 3 s after a failed round', () => {
    const h = new AgentHarness();
    h.connected();
    const out = h.take(h.agent.tcpClosed(1, h.now));
    expect(connects(out)).toHaveLength(2); // at once
    expect(h.agent.base).toBeUndefined();
    for (const c of connects(out)) h.take(h.agent.tcpClosed(c.conn, h.now));
    expect(connects(h.timer(2_999))).toHaveLength(0);
    expect(connects(h.timer(1))).toHaveLength(2);
  });

  it('reconnects after 35 s without a TCP message from the base; any message counts', () => {
    const h = new AgentHarness();
    h.connected();
    h.now += 30_000;
    h.baseTcp(1, { kind: 'STATE', addresses: BASE_UDP }); // the server's keepalive
    expect(connects(h.timer(34_999))).toHaveLength(0);
    const out = h.timer(1);
    expect(out.some((a) => a.type === 'close' && a.conn === 1)).toBe(true);
    expect(connects(out)).toHaveLength(2);
  });

  it('ignores messages of a connection before its HELLO', () => {
    const h = new AgentHarness();
    h.start();
    h.baseTcp(1, { kind: 'STATE', addresses: BASE_UDP });
    expect(h.drops('not-active-base')).toHaveLength(1);
  });

  it('closes a base connection that sends a bad record', () => {
    const h = new AgentHarness();
    h.connected();
    const out = h.take(h.agent.tcpData(1, Uint8Array.of(0x16, 3, 3, 0, 0), h.now));
    expect(out.some((a) => a.type === 'close' && a.conn === 1)).toBe(true);
    expect(h.agent.base).toBeUndefined();
  });
});

describe('NAT handshake (§8.1)', () => {
  it('NAT_INIT to every base UDP address after STATE, retried every 3 s until NAT_OK', () => {
    const h = new AgentHarness();
    const out = h.connected();
    const first = toBaseUdp(out);
    expect(first.map((d) => d.to)).toEqual(BASE_UDP.map(formatEndpoint));
    expect(first.every((d) => d.msg.kind === 'NAT_INIT' && d.msg.counter === 1n)).toBe(true);
    const retry = toBaseUdp(h.timer(3_000));
    expect(retry).toHaveLength(2);
    expect(retry[0]!.msg.kind === 'NAT_INIT' && retry[0]!.msg.counter).toBe(2n);
    const confirm = toBaseUdp(h.baseUdp({ kind: 'NAT_OK' }));
    expect(confirm.map((d) => d.msg.kind)).toEqual(['NAT_OK_CONFIRM', 'NAT_OK_CONFIRM']);
    expect(confirm[0]!.msg.kind === 'NAT_OK_CONFIRM' && confirm[0]!.msg.counter).toBe(2n);
    expect(toBaseUdp(h.timer(3_000))).toHaveLength(0); // confirmed: no more retries
    expect(h.agent.baseUdpAlive).toBe(true);
  });

  it('takes NAT_OK only from the primary base address', () => {
    const h = new AgentHarness();
    h.connected();
    h.baseUdp({ kind: 'NAT_OK' }, BASE_UDP[1]);
    expect(h.agent.baseUdpAlive).toBe(false);
  });

  it('UDP to the base counts as alive for 35 s after the last NAT_OK', () => {
    const h = new AgentHarness();
    h.connected();
    h.baseUdp({ kind: 'NAT_OK' });
    h.take(h.agent.send(B().deviceId, Uint8Array.of(1), h.now));
    expect(h.agent.peer(B().deviceId).path).toBe('base-udp');
    h.now += 34_999;
    h.baseTcp(1, { kind: 'STATE', addresses: BASE_UDP });
    expect(h.agent.baseUdpAlive).toBe(true);
    h.timer(1);
    expect(h.agent.baseUdpAlive).toBe(false);
    expect(h.agent.peer(B().deviceId).path).toBe('base-tcp');
    expect(h.events.some((e) => e.type === 'base-udp' && !e.alive)).toBe(true);
  });

  it('never sends NAT_INIT_TRANSIENT, even when STATE advertises a range (§16)', () => {
    const h = new AgentHarness();
    h.start();
    h.take(h.agent.tcpConnected(1, h.now));
    h.baseTcp(
      1,
      { kind: 'HELLO', cookie: COOKIE },
      { kind: 'STATE', addresses: BASE_UDP, transient: { lo: 7000, hi: 7020 } },
    );
    for (let i = 0; i < 5; i++) h.timer(3_000);
    const kinds = h.log.flatMap((a) =>
      a.type === 'send' && a.transport === 'udp' && a.bytes.length === 129 ? [a.bytes[0]] : [],
    );
    expect(kinds).not.toContain(6);
    expect(toBaseUdp(h.log).some((d) => d.msg.kind === 'NAT_INIT_TRANSIENT')).toBe(false);
    expect(h.log.some((a) => a.type === 'send' && a.transport === 'udp' && a.to.port >= 7000)).toBe(
      false,
    );
  });
});

describe('sending (§8.2)', () => {
  it('relays over TCP without a confirmed NAT, over UDP with one, direct once a path is up', () => {
    const h = new AgentHarness();
    h.connected();
    let out = h.take(h.agent.send(B().deviceId, Uint8Array.of(7), h.now));
    const tcp = toBaseTcp(out);
    expect(tcp.map((m) => m.kind)).toEqual(['DATA', 'REQUEST_INFO']);
    expect(tcp[0]).toEqual({
      kind: 'DATA',
      source: h.identity.deviceId,
      target: B().deviceId,
      data: Uint8Array.of(7),
    });
    h.baseUdp({ kind: 'NAT_OK' });
    out = h.take(h.agent.send(B().deviceId, Uint8Array.of(8), h.now));
    expect(toBaseUdp(out)).toEqual([
      {
        to: formatEndpoint(BASE_UDP[0]!),
        msg: {
          kind: 'DATA',
          source: h.identity.deviceId,
          target: B().deviceId,
          data: Uint8Array.of(8),
        },
      },
    ]);
    expect(toBaseTcp(out)).toHaveLength(0); // REQUEST_INFO only for an inactive peer
    expect(h.agent.stats.sentBaseTcp).toBe(1);
    expect(h.agent.stats.sentBaseUdp).toBe(1);
  });

  it('rejects an empty or oversize datagram with a typed error', () => {
    const h = new AgentHarness();
    h.connected();
    expectCode(() => h.agent.send(B().deviceId, new Uint8Array(0), h.now), 'BAD_LENGTH');
    expectCode(() => h.agent.send(B().deviceId, new Uint8Array(1962), h.now), 'PAYLOAD_TOO_LARGE');
    expect(() => h.agent.send(B().deviceId, new Uint8Array(1961), h.now)).not.toThrow();
  });

  it('drops a datagram when there is neither a path nor a base', () => {
    const h = new AgentHarness();
    h.start();
    h.take(h.agent.send(B().deviceId, Uint8Array.of(1), h.now));
    expect(h.drops('no-path')).toHaveLength(1);
  });
});

describe('direct paths (§8.3, §9)', () => {
  it('HELLOs every candidate from DEVICE_ADDRESSES; the first valid HELLO_REPLY wins', () => {
    const { h, out } = withPeer();
    const sent = hellos(out);
    expect(sent.map((s) => s.to).sort()).toEqual(
      [formatEndpoint(B_LAN), formatEndpoint(B_PUBLIC)].sort(),
    );
    const cookie = sent[0]!.cookie;
    h.now += 40;
    h.helloFrom(B(), B_PUBLIC, 'HELLO_REPLY', cookie);
    expect(h.agent.peer(B().deviceId)).toMatchObject({ path: 'direct', rttMs: 40 });
    h.helloFrom(B(), B_LAN, 'HELLO_REPLY', cookie); // later reply: ignored
    expect(formatEndpoint(h.agent.peer(B().deviceId).target!)).toBe(formatEndpoint(B_PUBLIC));
    expect(h.drops('stale-reply')).toHaveLength(1);
    // DATA goes direct now, as `02 ‖ payload` to the winning address
    const data = toPeers(h.take(h.agent.send(B().deviceId, Uint8Array.of(5, 6), h.now)));
    expect(data).toEqual([
      { to: formatEndpoint(B_PUBLIC), msg: { kind: 'DATA', payload: Uint8Array.of(5, 6) } },
    ]);
    expect(h.events.some((e) => e.type === 'path' && e.path === 'direct')).toBe(true);
  });

  it('ignores a HELLO_REPLY with the wrong cookie, a bad signature, or for another device', () => {
    const { h, out } = withPeer();
    const cookie = hellos(out)[0]!.cookie;
    h.helloFrom(B(), B_PUBLIC, 'HELLO_REPLY', new Uint8Array(16));
    const forged = encodePeerToPeer(signPeerHello('HELLO_REPLY', B(), h.identity.deviceId, cookie));
    forged[100]! ^= 1;
    h.udp(B_PUBLIC, forged);
    h.helloFrom(B(), B_PUBLIC, 'HELLO_REPLY', cookie, C().deviceId);
    expect(h.agent.peer(B().deviceId).path).not.toBe('direct');
    expect(h.drops('stale-reply')).toHaveLength(1);
    expect(h.drops('bad-hello')).toHaveLength(2);
  });

  it('answers a HELLO with a HELLO_REPLY echoing its cookie and learns the source address', () => {
    const h = new AgentHarness();
    h.connected();
    const cookie = Uint8Array.from({ length: 16 }, () => 0xab);
    const out = toPeers(h.helloFrom(B(), B_PUBLIC, 'HELLO', cookie));
    expect(out).toHaveLength(1);
    const reply = out[0]!;
    expect(reply.to).toBe(formatEndpoint(B_PUBLIC));
    expect(reply.msg.kind === 'HELLO_REPLY' && reply.msg.helloCookie).toEqual(cookie);
    expect(reply.msg.kind === 'HELLO_REPLY' && reply.msg.yourId).toEqual(B().deviceId);
    // DATA from that source is B's
    h.udp(B_PUBLIC, encodePeerToPeer({ kind: 'DATA', payload: Uint8Array.of(42) }));
    const got = h.events.find((e) => e.type === 'datagram');
    expect(got).toMatchObject({ type: 'datagram', from: B().deviceId, path: 'direct' });
  });

  it('drops DATA from an unknown source and HELLOs for another device', () => {
    const h = new AgentHarness();
    h.connected();
    h.udp(B_PUBLIC, encodePeerToPeer({ kind: 'DATA', payload: Uint8Array.of(1) }));
    h.helloFrom(B(), B_PUBLIC, 'HELLO', new Uint8Array(16), C().deviceId);
    expect(h.drops('unknown-source')).toHaveLength(1);
    expect(h.drops('bad-hello')).toHaveLength(1);
    expect(toPeers(h.log)).toHaveLength(0);
  });

  it('keeps at most 5 source addresses per peer and moves an address to the newer peer', () => {
    const h = new AgentHarness();
    h.connected();
    const cookie = new Uint8Array(16);
    const addrs = [1, 2, 3, 4, 5, 6].map((i) => parseEndpoint(`203.0.113.20:${30000 + i}`));
    for (const a of addrs) h.helloFrom(B(), a, 'HELLO', cookie);
    const data = encodePeerToPeer({ kind: 'DATA', payload: Uint8Array.of(1) });
    let known = 0;
    for (const a of addrs) {
      const before = h.events.filter((e) => e.type === 'datagram').length;
      h.udp(a, data);
      known += h.events.filter((e) => e.type === 'datagram').length - before;
    }
    expect(known).toBe(5); // one of the six was evicted
    // C takes over one of B's addresses
    const taken = addrs[5]!;
    h.helloFrom(C(), taken, 'HELLO', cookie);
    h.udp(taken, data);
    const last = h.events.filter((e) => e.type === 'datagram').at(-1);
    expect(last?.type === 'datagram' && last.from).toEqual(C().deviceId);
  });

  it('falls back to the relay when a re-establish gets no reply within 3 s', () => {
    const { h, out } = withPeer();
    h.helloFrom(B(), B_PUBLIC, 'HELLO_REPLY', hellos(out)[0]!.cookie);
    expect(h.agent.peer(B().deviceId).path).toBe('direct');
    h.take(h.agent.send(B().deviceId, Uint8Array.of(1), h.now));
    const refresh = h.timer(25_000); // the refresh HELLOs B again; nobody answers
    expect(hellos(refresh).length).toBeGreaterThanOrEqual(2);
    h.baseUdp({ kind: 'NAT_OK' });
    h.timer(2_999);
    expect(h.agent.peer(B().deviceId).path).toBe('direct');
    h.timer(1);
    expect(h.agent.peer(B().deviceId).path).toBe('base-udp');
    expect(
      h.events.filter((e) => e.type === 'path').map((e) => e.type === 'path' && e.path),
    ).toContain('base-udp');
  });

  it('stops send-triggered re-establishes after 5 failures; the refresh still tries', () => {
    const { h } = withPeer();
    let triggered = 0;
    for (let i = 0; i < 10; i++) {
      h.now += 3_001;
      if (hellos(h.take(h.agent.send(B().deviceId, Uint8Array.of(1), h.now))).length > 0)
        triggered++;
    }
    // the first send and DEVICE_ADDRESSES made 2 failed attempts: 4 more sends try, then none
    expect(triggered).toBe(4);
    expect(hellos(h.timer(25_000)).length).toBeGreaterThan(0);
  });

  it('tears down a peer inactive for 120 s', () => {
    const { h } = withPeer();
    h.timer(119_000);
    expect(h.agent.peers()).toHaveLength(1);
    h.timer(1_000);
    expect(h.agent.peers()).toHaveLength(0);
    expect(h.events.some((e) => e.type === 'peer-gone')).toBe(true);
  });

  it('asks the base about active peers again on a new base connection', () => {
    const h = new AgentHarness();
    h.connected();
    h.take(h.agent.send(B().deviceId, Uint8Array.of(1), h.now));
    const round = connects(h.take(h.agent.tcpClosed(1, h.now)));
    const out = h.baseTcp(round[1]!.conn, { kind: 'HELLO', cookie: COOKIE });
    expect(toBaseTcp(out).map((m) => m.kind)).toEqual(['REQUEST_INFO', 'INFO']);
  });

  it('never HELLOs fc94 (overlay) addresses', () => {
    const h = new AgentHarness();
    h.connected();
    h.take(h.agent.send(B().deviceId, Uint8Array.of(1), h.now));
    const out = h.baseTcp(1, {
      kind: 'DEVICE_ADDRESSES',
      deviceId: B().deviceId,
      addresses: [{ ip: C().deviceId, port: 5582 }, B_PUBLIC],
    });
    expect(hellos(out).map((x) => x.to)).toEqual([formatEndpoint(B_PUBLIC)]);
  });
});

describe('peerwire decisions of the host agent', () => {
  it('HELLOs back, with the pending cookie, a peer that HELLOs us while we try to reach it', () => {
    const { h, out } = withPeer();
    const pending = hellos(out)[0]!.cookie;
    const back = toPeers(h.helloFrom(B(), B_PUBLIC, 'HELLO', new Uint8Array(16).fill(7)));
    expect(back.map((d) => d.msg.kind)).toEqual(['HELLO_REPLY', 'HELLO']);
    const hello = back[1]!.msg;
    expect(hello.kind === 'HELLO' && hello.helloCookie).toEqual(pending);
    expect(back[1]!.to).toBe(formatEndpoint(B_PUBLIC));
  });

  it('does not HELLO back a peer that is not active', () => {
    const h = new AgentHarness();
    h.connected();
    const out = toPeers(h.helloFrom(B(), B_PUBLIC, 'HELLO', new Uint8Array(16)));
    expect(out.map((d) => d.msg.kind)).toEqual(['HELLO_REPLY']);
  });

  it("maps the winning HELLO_REPLY's source to the peer, so its DATA is recognised", () => {
    const { h, out } = withPeer();
    h.helloFrom(B(), B_PUBLIC, 'HELLO_REPLY', hellos(out)[0]!.cookie);
    h.udp(B_PUBLIC, encodePeerToPeer({ kind: 'DATA', payload: Uint8Array.of(9) }));
    expect(h.events.filter((e) => e.type === 'datagram')).toHaveLength(1);
    expect(h.drops('unknown-source')).toHaveLength(0);
  });

  it('relayed DATA from a new peer makes it active and asks the base about it', () => {
    const h = new AgentHarness();
    h.connected();
    const out = h.baseTcp(1, { kind: 'DATA', source: B().deviceId, data: Uint8Array.of(1) });
    expect(toBaseTcp(out).map((m) => m.kind)).toEqual(['REQUEST_INFO']);
    expect(h.events.find((e) => e.type === 'datagram')).toMatchObject({ path: 'base-tcp' });
    // active now: the next refresh re-establishes towards it
    h.baseTcp(1, { kind: 'DEVICE_ADDRESSES', deviceId: B().deviceId, addresses: [B_PUBLIC] });
    expect(hellos(h.timer(25_000)).map((x) => x.to)).toContain(formatEndpoint(B_PUBLIC));
  });
});

describe('application inputs', () => {
  it('setLocalAddresses sends INFO and refreshes at once, and nothing when unchanged', () => {
    const h = new AgentHarness();
    h.connected();
    const same = h.take(h.agent.setLocalAddresses([parseEndpoint('192.168.1.10:5582')], h.now));
    expect(toBaseTcp(same)).toHaveLength(0);
    const moved = h.take(
      h.agent.setLocalAddresses(
        [parseEndpoint('10.9.9.9:5582'), { ip: C().deviceId, port: 5582 }],
        h.now,
      ),
    );
    const info = toBaseTcp(moved).find((m) => m.kind === 'INFO');
    expect(info?.kind === 'INFO' && info.addresses.map(formatEndpoint)).toEqual(['10.9.9.9:5582']); // fc94 left out
    expect(toBaseUdp(moved).some((d) => d.msg.kind === 'NAT_INIT')).toBe(true);
  });

  it('addCandidate HELLOs a manual address at once and at every refresh', () => {
    const h = new AgentHarness();
    h.connected();
    const manual = parseEndpoint('203.0.113.99:7000');
    expect(
      hellos(h.take(h.agent.addCandidate(B().deviceId, manual, h.now))).map((x) => x.to),
    ).toEqual(['203.0.113.99:7000']);
    h.take(h.agent.send(B().deviceId, Uint8Array.of(1), h.now)); // active
    expect(hellos(h.timer(25_000)).map((x) => x.to)).toContain('203.0.113.99:7000');
  });

  it('stop closes the base connection and timers stop', () => {
    const h = new AgentHarness();
    h.connected();
    const out = h.take(h.agent.stop(h.now));
    expect(out).toEqual([{ type: 'close', conn: 1 }]);
    expect(h.timer(60_000)).toEqual([]);
  });
});

describe('link-local discovery (§10)', () => {
  const lan = parseEndpoint('192.168.1.20:5581');
  const announce = (id: Uint8Array, port = 5582) => encodeMulticast({ port, deviceId: id });

  it('sends the announcement to both groups every refresh', () => {
    const h = new AgentHarness();
    const out = h.start();
    const groups = out.flatMap((a) =>
      a.type === 'send' && a.transport === 'multicast' ? [a] : [],
    );
    expect(groups.map((g) => formatEndpoint(g.to)).sort()).toEqual(
      ['224.3.252.148:5581', '[ff02:88bb:31e4:95f7:2b87:6b52:e112:19ac]:5581'].sort(),
    );
    expect(groups[0]!.bytes).toEqual(announce(h.identity.deviceId));
  });

  it('a known peer announced from the LAN is HELLOed at the announced port', () => {
    const h = new AgentHarness();
    h.connected();
    h.take(h.agent.send(B().deviceId, Uint8Array.of(1), h.now));
    const out = h.take(h.agent.multicastData(lan, announce(B().deviceId, 6001), h.now));
    expect(hellos(out).map((x) => x.to)).toEqual(['192.168.1.20:6001']);
  });

  it('ignores announcements from public sources, of unknown peers and of itself', () => {
    const h = new AgentHarness();
    h.connected();
    h.take(h.agent.send(B().deviceId, Uint8Array.of(1), h.now));
    const n = h.log.length;
    h.take(h.agent.multicastData(parseEndpoint('203.0.113.5:5581'), announce(B().deviceId), h.now));
    h.take(h.agent.multicastData(lan, announce(C().deviceId), h.now));
    h.take(h.agent.multicastData(lan, announce(h.identity.deviceId), h.now));
    h.take(h.agent.multicastData(lan, Uint8Array.of(1, 2, 3), h.now));
    expect(hellos(h.log.slice(n))).toHaveLength(0);
    expect(h.drops('bad-multicast')).toHaveLength(2);
  });
});

describe('options', () => {
  it('refuses limits that are not positive numbers', () => {
    let err: NatbaseError | undefined;
    try {
      new AgentHarness(undefined, { limits: { refreshIntervalMs: 0 } });
    } catch (e) {
      err = e as NatbaseError;
    }
    expect(err?.code).toBe('BAD_VALUE');
  });
});

describe('injected verifier', () => {
  it('checks peer HELLOs with the given Ed25519 verify', () => {
    const calls: number[] = [];
    const h = new AgentHarness();
    const strict = new HostAgent({
      identity: h.identity,
      bases: [BASE1],
      sourcePort: 5582,
      random: () => new Uint8Array(16),
      verify: (_signature, message, _publicKey) => {
        calls.push(message.length);
        return false;
      },
    });
    const hello = encodePeerToPeer(
      signPeerHello('HELLO', B(), h.identity.deviceId, new Uint8Array(16)),
    );
    expect(toPeers(strict.udpData(B_PUBLIC, hello, 0))).toHaveLength(0);
    expect(calls).toEqual([11 + 81]); // "ng-p2p-msg\n" ‖ the first 81 bytes
    expect(strict.stats.drops['bad-hello']).toBe(1);
  });
});

describe('HELLO floods', () => {
  it('a full peer table forgets its oldest peer without DATA for a newcomer; peers in use are kept', () => {
    const h = new AgentHarness(undefined, { limits: { maxPeers: 2 } });
    h.connected();
    const D = testIdentity(1);
    const E = testIdentity(2);
    const ids = () => h.agent.peers().map((p) => formatEndpoint({ ip: p.deviceId, port: 0 }));
    const idOf = (x: { deviceId: Uint8Array }) => formatEndpoint({ ip: x.deviceId, port: 0 });
    h.take(h.agent.send(B().deviceId, Uint8Array.of(1), h.now)); // B: DATA sent, in use
    h.helloFrom(C(), parseEndpoint('203.0.113.30:1'), 'HELLO', new Uint8Array(16)); // C: HELLO only
    expect(ids()).toEqual([idOf(B()), idOf(C())]);
    // A third identity HELLOs: C (no DATA ever) goes, D is answered.
    const out = toPeers(
      h.helloFrom(D, parseEndpoint('203.0.113.40:1'), 'HELLO', new Uint8Array(16)),
    );
    expect(out.map((o) => o.msg.kind)).toEqual(['HELLO_REPLY']);
    expect(h.events).toContainEqual({ type: 'peer-gone', deviceId: C().deviceId });
    expect(ids()).toEqual([idOf(B()), idOf(D)]);
    expect(h.drops('peer-limit')).toHaveLength(0);
    // D gets DATA too: both peers are in use, so a newcomer is refused and nobody is forgotten.
    h.take(h.agent.send(D.deviceId, Uint8Array.of(2), h.now));
    expect(
      toPeers(h.helloFrom(E, parseEndpoint('203.0.113.50:1'), 'HELLO', new Uint8Array(16))),
    ).toHaveLength(0);
    expect(h.drops('peer-limit')).toHaveLength(1);
    expect(ids()).toEqual([idOf(B()), idOf(D)]);
    // peerTeardownMs after its last DATA, B is evictable again (and the timer tears it down).
    h.now += h.agent.limits.peerTeardownMs;
    expect(
      toPeers(h.helloFrom(E, parseEndpoint('203.0.113.50:1'), 'HELLO', new Uint8Array(16))),
    ).toHaveLength(1);
    expect(ids()).toEqual([idOf(D), idOf(E)]);
  });

  it('verifies at most helloBurst HELLOs from one IP at once, then helloRatePerSecond', () => {
    const h = new AgentHarness(undefined, { limits: { helloBurst: 5, helloRatePerSecond: 2 } });
    h.connected();
    const hello = encodePeerToPeer(
      signPeerHello('HELLO', B(), h.identity.deviceId, new Uint8Array(16)),
    );
    let replies = 0;
    for (let i = 0; i < 20; i++)
      replies += toPeers(h.udp(parseEndpoint(`203.0.113.20:${1000 + i}`), hello)).length;
    expect(replies).toBe(5);
    expect(h.drops('rate-limited')).toHaveLength(15);
    // another IP is unaffected; a second later the first gets 2 more
    expect(toPeers(h.udp(parseEndpoint('203.0.113.21:1'), hello))).toHaveLength(1);
    h.now += 1_000;
    for (let i = 0; i < 5; i++) replies += toPeers(h.udp(B_PUBLIC, hello)).length;
    expect(replies).toBe(7);
  });
});

describe('undecoded base messages', () => {
  it('drops a REDIRECT (kind 5, never decoded upstream) and keeps the base', () => {
    const h = new AgentHarness();
    h.connected();
    const redirect = Uint8Array.of(0x17, 0x03, 0x03, 19, 0, 5, ...new Array(18).fill(0));
    h.take(h.agent.tcpData(1, redirect, h.now));
    expect(h.drops('malformed')).toHaveLength(1);
    expect(formatEndpoint(h.agent.base!)).toBe(formatEndpoint(BASE1));
  });
});
