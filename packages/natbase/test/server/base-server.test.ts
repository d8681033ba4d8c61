import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import {
  encodePeerToBase,
  encodeRecord,
  formatEndpoint,
  type Identity,
  meetsProofOfWork,
  NatbaseError,
} from '../../src/index.js';
import { BaseServer } from '../../src/server/index.js';
import { opensslVerify, seededRandom, testIdentity } from '../helpers.js';
import {
  closes,
  ep,
  PRIMARY,
  ScriptedHost,
  SECONDARY,
  ServerHarness,
  tcpMessages,
  udpMessages,
} from './harness.js';

const A = () => testIdentity(1);
const B = () => testIdentity(2);
const C = () => testIdentity(3);

function hosts(h: ServerHarness) {
  const a = new ScriptedHost(h, A(), 1, ep('203.0.113.10:40000'), ep('203.0.113.10:5582'));
  const b = new ScriptedHost(h, B(), 2, ep('203.0.113.20:40000'), ep('203.0.113.20:6000'));
  return { a, b };
}

/** A key that fails the proof of work, with the id it would have without the rule. */
function badPowIdentity(): Identity {
  const random = seededRandom(42);
  for (;;) {
    const secretKey = random(32);
    const publicKey = ed25519.getPublicKey(secretKey);
    if (meetsProofOfWork(publicKey)) continue;
    const deviceId = new Uint8Array(16);
    deviceId.set([0xfc, 0x94]);
    deviceId.set(sha256(publicKey).subarray(3, 17), 2);
    return { secretKey, publicKey, deviceId };
  }
}

describe('accept (§7.1)', () => {
  it('sends HELLO with a fresh 16-byte cookie, then STATE with the UDP addresses, primary first', () => {
    const h = new ServerHarness();
    const actions = h.server.tcpOpen(1, ep('203.0.113.10:40000'), h.now);
    const sends = actions.filter((a) => a.type === 'send');
    expect(sends).toHaveLength(2);
    const [hello, state] = tcpMessages(actions, 1);
    expect(hello?.kind).toBe('HELLO');
    expect(sends[0]!.bytes.length).toBe(5 + 17);
    expect(state).toEqual({ kind: 'STATE', addresses: [PRIMARY, SECONDARY] });
    // §16 decision: no transient range (1 + 2 × 18 bytes, no trailing 4).
    expect(sends[1]!.bytes.length).toBe(5 + 1 + 36);
    expect(actions.some((a) => a.type === 'timer')).toBe(true);
    const second = h.open(2, ep('203.0.113.11:40000')).cookie;
    expect(second).not.toEqual(hello?.kind === 'HELLO' ? hello.cookie : undefined);
  });

  it('rejects an empty UDP address list and a 6th address', () => {
    const random = seededRandom(1);
    const six = [1, 2, 3, 4, 5, 6].map((p) => ep(`198.51.100.1:${p}`));
    expect(() => new BaseServer({ udpAddresses: [], random })).toThrow(NatbaseError);
    expect(() => new BaseServer({ udpAddresses: six, random })).toThrow(NatbaseError);
    expect(() => new BaseServer({ udpAddresses: six.slice(0, 5), random })).not.toThrow();
  });
});

describe('verification and binding (§7.2, §7.3)', () => {
  it('binds the connection to the device of its first valid signed message', () => {
    const h = new ServerHarness();
    const { a } = hosts(h);
    a.connect();
    expect(h.server.stats.devicesConnected).toBe(0);
    a.info([ep('192.168.1.10:5582')]);
    expect(h.server.stats.devicesConnected).toBe(1);
    expect(h.server.deviceOf(1)).toEqual(a.id);
    expect(h.events.some((e) => e.type === 'bound')).toBe(true);
  });

  it('drops a bad signature and does not bind', () => {
    const h = new ServerHarness();
    const { a } = hosts(h);
    a.connect();
    const msg = a.sealed({ kind: 'INFO', addresses: [] });
    msg[msg.length - 1]! ^= 1;
    h.tcp(1, msg);
    expect(h.drops('bad-signature')).toHaveLength(1);
    expect(h.server.stats.devicesConnected).toBe(0);
  });

  it('drops a key that fails the proof of work, even with a valid signature and cookie', () => {
    const h = new ServerHarness();
    const evil = new ScriptedHost(
      h,
      badPowIdentity(),
      1,
      ep('203.0.113.66:1'),
      ep('203.0.113.66:2'),
    );
    evil.connect();
    evil.info([]);
    evil.natInit();
    expect(h.drops('bad-device-id')).toHaveLength(2);
    expect(h.server.stats.devicesConnected).toBe(0);
  });

  it('drops a device id that is not that of the key', () => {
    const h = new ServerHarness();
    const liar = new ScriptedHost(
      h,
      { ...A(), deviceId: B().deviceId },
      1,
      ep('203.0.113.66:1'),
      ep('203.0.113.66:2'),
    );
    liar.connect();
    liar.info([]);
    expect(h.drops('bad-device-id')).toHaveLength(1);
  });

  it("drops a TCP message with another connection's cookie", () => {
    const h = new ServerHarness();
    const { a, b } = hosts(h);
    a.connect();
    b.connect();
    a.cookie = b.cookie;
    a.info([]);
    expect(h.drops('bad-cookie')).toHaveLength(1);
    expect(h.server.stats.devicesConnected).toBe(0);
  });

  it('drops signed messages of another device on a bound connection', () => {
    const h = new ServerHarness();
    const { a } = hosts(h);
    a.register();
    const c = new ScriptedHost(h, C(), 1, a.tcpRemote, a.udpSource);
    c.cookie = a.cookie;
    c.info([]);
    expect(h.drops('wrong-device')).toHaveLength(1);
    expect(h.server.deviceOf(1)).toEqual(a.id);
  });

  it('a newer connection for the same device replaces the older one', () => {
    const h = new ServerHarness();
    const { a } = hosts(h);
    a.register();
    const again = new ScriptedHost(h, A(), 9, ep('203.0.113.10:40001'), a.udpSource);
    again.connect();
    const actions = again.info([]);
    expect(closes(actions)).toEqual([1]);
    expect(h.server.connectionOf(a.id)).toBe(9);
    expect(h.events.some((e) => e.type === 'replaced')).toBe(true);
    // the old cookie died with the old connection: its NAT_INIT is refused
    a.natInit();
    expect(h.drops('bad-cookie')).toHaveLength(1);
    h.server.tcpClosed(1, h.now);
    expect(h.server.stats.devicesConnected).toBe(1);
  });

  it('ignores USER_AGENT and still serves the connection', () => {
    const h = new ServerHarness();
    const { a } = hosts(h);
    a.connect();
    h.tcp(1, encodePeerToBase({ kind: 'USER_AGENT', text: 'Husarnet,5582,amd64,2.0.343' }));
    a.info([]);
    expect(h.server.stats.devicesConnected).toBe(1);
    expect(h.drops()).toHaveLength(0);
  });
});

describe('NAT handshake (§7.5)', () => {
  it('answers NAT_INIT with NAT_OK from the primary address, even when it came to another', () => {
    const h = new ServerHarness();
    const { a } = hosts(h);
    a.connect();
    a.info([]);
    a.counter++;
    const bytes = a.sealed({ kind: 'NAT_INIT', counter: a.counter });
    const out = udpMessages(h.udp(a.udpSource, bytes, SECONDARY));
    expect(out).toEqual([
      { from: formatEndpoint(PRIMARY), to: formatEndpoint(a.udpSource), msg: { kind: 'NAT_OK' } },
    ]);
    // the same NAT_INIT at the primary (the client sends it to every address) is answered too
    expect(udpMessages(h.udp(a.udpSource, bytes, PRIMARY))).toHaveLength(1);
    expect(h.server.stats.natOks).toBe(2);
  });

  it('NAT_OK_CONFIRM confirms the path and records the observed address', () => {
    const h = new ServerHarness();
    const { a } = hosts(h);
    a.connect();
    a.info([]);
    a.natInit();
    expect(h.server.observedAddressOf(a.id)).toBeUndefined();
    a.natConfirm();
    expect(h.server.observedAddressOf(a.id)).toEqual(a.udpSource);
    expect(h.server.stats.natConfirmations).toBe(1);
    a.natConfirm(); // the second copy (one per base address) is not a second confirmation
    expect(h.server.stats.natConfirmations).toBe(1);
  });

  it('binds a connection through a valid NAT_INIT carrying its cookie', () => {
    const h = new ServerHarness();
    const { a } = hosts(h);
    a.connect();
    a.natInit();
    expect(h.server.deviceOf(1)).toEqual(a.id);
  });

  it('refuses a replayed NAT_INIT from another source and an older counter', () => {
    const h = new ServerHarness();
    const { a } = hosts(h);
    a.register();
    const captured = a.sealed({ kind: 'NAT_INIT', counter: a.counter });
    const attacker = ep('203.0.113.99:7777');
    expect(udpMessages(h.udp(attacker, captured))).toHaveLength(0);
    const older = a.sealed({ kind: 'NAT_INIT', counter: a.counter - 1n });
    expect(udpMessages(h.udp(a.udpSource, older))).toHaveLength(0);
    expect(h.drops('replay')).toHaveLength(2);
    expect(h.server.observedAddressOf(a.id)).toEqual(a.udpSource);
  });

  it('a spoofed source that wins the race for a fresh NAT_INIT cannot confirm it', () => {
    const h = new ServerHarness();
    const { a } = hosts(h);
    a.register();
    a.counter++;
    const fresh = a.sealed({ kind: 'NAT_INIT', counter: a.counter });
    const attacker = ep('203.0.113.99:7777');
    h.udp(attacker, fresh); // the attacker relays it first, from its own address
    // the attacker replays the last confirm it saw, and a confirm for the fresh counter
    h.udp(attacker, a.sealed({ kind: 'NAT_OK_CONFIRM', counter: a.counter - 1n }));
    expect(h.server.observedAddressOf(a.id)).toEqual(a.udpSource);
    // the genuine copy from the real source is refused (same counter, other source) ...
    expect(udpMessages(h.udp(a.udpSource, fresh))).toHaveLength(0);
    // ... and the host's next NAT_INIT (3 s later) goes through
    a.natInit();
    a.natConfirm();
    expect(h.server.observedAddressOf(a.id)).toEqual(a.udpSource);
  });

  it('refuses the cookie of a closed connection (a replayed cookie)', () => {
    const h = new ServerHarness();
    const { a } = hosts(h);
    a.register();
    const oldCookie = a.cookie;
    h.server.tcpClosed(1, h.now);
    const again = new ScriptedHost(h, A(), 5, a.tcpRemote, a.udpSource);
    again.connect();
    again.info([]);
    again.cookie = oldCookie;
    again.counter = 10n;
    again.natInit();
    again.info([ep('192.168.9.9:1')]);
    expect(h.drops('bad-cookie')).toHaveLength(2);
    expect(h.server.stats.natOks).toBe(1);
  });

  it("refuses a UDP message of device C carrying device B's live cookie", () => {
    const h = new ServerHarness();
    const { b } = hosts(h);
    b.register();
    const c = new ScriptedHost(h, C(), 3, ep('203.0.113.30:1'), ep('203.0.113.30:2'));
    c.cookie = b.cookie;
    c.natInit();
    expect(h.drops('bad-cookie')).toHaveLength(1);
    expect(h.server.connectionOf(c.id)).toBeUndefined();
  });

  it('drops NAT_INIT_TRANSIENT (no range advertised), INFO over UDP and NAT_INIT over TCP', () => {
    const h = new ServerHarness();
    const { a } = hosts(h);
    a.connect();
    h.udp(a.udpSource, a.sealed({ kind: 'NAT_INIT_TRANSIENT' }));
    h.udp(a.udpSource, a.sealed({ kind: 'INFO', addresses: [] }));
    h.tcp(1, a.sealed({ kind: 'NAT_INIT', counter: 1n }));
    expect(h.drops('unsupported')).toHaveLength(1);
    expect(h.drops('wrong-transport')).toHaveLength(2);
  });
});

describe('REQUEST_INFO and pushes (§7.6, §7.7)', () => {
  it('answers with the observed address first, then the INFO addresses', () => {
    const h = new ServerHarness();
    const { a, b } = hosts(h);
    b.register([ep('192.168.2.20:6000'), ep('10.0.0.2:6000')]);
    a.register();
    const out = tcpMessages(a.requestInfo(b.id), 1);
    expect(out).toEqual([
      {
        kind: 'DEVICE_ADDRESSES',
        deviceId: b.id,
        addresses: [b.udpSource, ep('192.168.2.20:6000'), ep('10.0.0.2:6000')],
      },
    ]);
    expect(h.server.stats.addressAnswers).toBe(1);
  });

  it('sends nothing for a device with no known address, nor for one not connected', () => {
    const h = new ServerHarness();
    const { a, b } = hosts(h);
    a.register();
    expect(tcpMessages(a.requestInfo(b.id), 1)).toHaveLength(0);
    b.connect();
    b.info([]); // bound, no address yet
    expect(tcpMessages(a.requestInfo(b.id), 1)).toHaveLength(0);
  });

  it('pushes DEVICE_ADDRESSES to interested peers when INFO or the observed address change', () => {
    const h = new ServerHarness();
    const { a, b } = hosts(h);
    a.register();
    a.requestInfo(b.id); // b not connected yet: the interest waits
    b.connect();
    let pushed = tcpMessages(b.info([ep('192.168.2.20:6000')]), 1);
    expect(pushed).toHaveLength(1);
    expect(tcpMessages(b.info([ep('192.168.2.20:6000')]), 1)).toHaveLength(0); // unchanged
    b.natInit();
    pushed = tcpMessages(b.natConfirm(), 1);
    expect(pushed).toEqual([
      {
        kind: 'DEVICE_ADDRESSES',
        deviceId: b.id,
        addresses: [b.udpSource, ep('192.168.2.20:6000')],
      },
    ]);
    // the host's NAT gives it a new public port: pushed again
    b.udpSource = ep('203.0.113.21:6001');
    b.natInit();
    pushed = tcpMessages(b.natConfirm(), 1);
    expect(pushed[0]?.kind === 'DEVICE_ADDRESSES' && pushed[0].addresses[0]).toEqual(b.udpSource);
    expect(h.server.stats.addressPushes).toBe(3);
  });

  it('forgets the interests of a device when its connection goes', () => {
    const h = new ServerHarness();
    const { a, b } = hosts(h);
    a.register();
    a.requestInfo(b.id);
    h.server.tcpClosed(1, h.now);
    b.register([ep('192.168.2.20:6000')]);
    expect(h.server.stats.addressPushes).toBe(0);
  });

  it('bounds the REQUEST_INFO targets of one device', () => {
    const h = new ServerHarness({ maxInterestsPerDevice: 2 });
    const { a } = hosts(h);
    a.register();
    for (let i = 0; i < 3; i++)
      a.requestInfo(Uint8Array.of(0xfc, 0x94, i, ...new Array(13).fill(0)));
    expect(h.drops('interest-limit')).toHaveLength(1);
  });
});

describe('relaying DATA (§7.8)', () => {
  it('relays over UDP from the primary to a target whose UDP path is confirmed', () => {
    const h = new ServerHarness();
    const { a, b } = hosts(h);
    a.register();
    b.register();
    const out = udpMessages(a.dataUdp(b.id, Uint8Array.of(1, 2, 3)));
    expect(out).toEqual([
      {
        from: formatEndpoint(PRIMARY),
        to: formatEndpoint(b.udpSource),
        msg: { kind: 'DATA', source: a.id, data: Uint8Array.of(1, 2, 3) },
      },
    ]);
    expect(h.server.stats.relayedUdp).toBe(1);
  });

  it('relays over TCP when the target has no confirmed UDP path, or it is older than 35 s', () => {
    const h = new ServerHarness();
    const { a, b } = hosts(h);
    a.register();
    b.connect();
    b.info([]);
    expect(tcpMessages(a.dataTcp(b.id, Uint8Array.of(9)), 2)).toEqual([
      { kind: 'DATA', source: a.id, data: Uint8Array.of(9) },
    ]);
    b.natInit();
    b.natConfirm();
    h.now += 35_001;
    expect(tcpMessages(a.dataTcp(b.id, Uint8Array.of(8)), 2)).toHaveLength(1);
    expect(h.server.stats.relayedTcp).toBe(2);
    expect(h.server.stats.relayedUdp).toBe(0);
  });

  it('drops TCP DATA claiming another source device, and DATA on an unbound connection', () => {
    const h = new ServerHarness();
    const { a, b } = hosts(h);
    b.register();
    a.connect();
    a.dataTcp(b.id, Uint8Array.of(1)); // unbound
    a.info([]);
    const c = C().deviceId;
    a.dataTcp(b.id, Uint8Array.of(1), c); // claims C
    expect(h.drops('spoofed-source')).toHaveLength(2);
    expect(h.server.stats.relayedTcp + h.server.stats.relayedUdp).toBe(0);
  });

  it("drops UDP DATA not from the source device's observed address", () => {
    const h = new ServerHarness();
    const { a, b } = hosts(h);
    a.register();
    b.register();
    a.dataUdp(b.id, Uint8Array.of(1), a.id, ep('203.0.113.99:5582')); // spoofed source
    a.dataUdp(b.id, Uint8Array.of(1), C().deviceId); // unknown device
    b.dataUdp(b.id, Uint8Array.of(1), a.id, b.udpSource); // b claims to be a
    expect(h.drops('spoofed-source')).toHaveLength(3);
    expect(h.server.stats.relayedUdp).toBe(0);
  });

  it('drops DATA for a device that is not connected', () => {
    const h = new ServerHarness();
    const { a } = hosts(h);
    a.register();
    a.dataUdp(B().deviceId, Uint8Array.of(1));
    expect(h.drops('unknown-target')).toHaveLength(1);
  });

  it('drops relayed DATA to a connection whose send queue is full, control messages still go', () => {
    const h = new ServerHarness({ maxSendQueueBytes: 1000 });
    const { a, b } = hosts(h);
    a.register();
    b.connect();
    b.info([]);
    h.server.tcpBacklog(2, 990);
    a.dataTcp(b.id, new Uint8Array(100));
    expect(h.drops('send-queue-full')).toHaveLength(1);
    h.server.tcpBacklog(2, 0);
    expect(tcpMessages(a.dataTcp(b.id, new Uint8Array(100)), 2)).toHaveLength(1);
  });

  it('drops UDP DATA too large for a TCP record when the target has no UDP path', () => {
    const h = new ServerHarness();
    const { a, b } = hosts(h);
    a.register();
    b.connect();
    b.info([]);
    a.dataUdp(b.id, new Uint8Array(1978));
    expect(h.drops('too-large')).toHaveLength(1);
    expect(tcpMessages(a.dataUdp(b.id, new Uint8Array(1977)), 2)).toHaveLength(1);
  });

  it('rate-limits DATA per source device', () => {
    const h = new ServerHarness({ relayRatePerSecond: 10, relayBurst: 5 });
    const { a, b } = hosts(h);
    a.register();
    b.register();
    for (let i = 0; i < 8; i++) a.dataUdp(b.id, Uint8Array.of(i));
    expect(h.server.stats.relayedUdp).toBe(5);
    expect(h.drops('rate-limited')).toHaveLength(3);
    h.now += 1_000;
    a.dataUdp(b.id, Uint8Array.of(1));
    expect(h.server.stats.relayedUdp).toBe(6);
  });
});

describe('keepalive and timeouts (§7.9)', () => {
  it('sends STATE on a connection quiet for 25 s', () => {
    const h = new ServerHarness();
    const { a } = hosts(h);
    a.register();
    h.now += 24_999;
    expect(tcpMessages(h.server.timer(h.now), 1)).toHaveLength(0);
    h.now += 1;
    expect(tcpMessages(h.server.timer(h.now), 1)).toEqual([
      { kind: 'STATE', addresses: [PRIMARY, SECONDARY] },
    ]);
  });

  it('closes a connection that never sends a valid signed message', () => {
    const h = new ServerHarness({ bindTimeoutMs: 10_000 });
    const { a, b } = hosts(h);
    a.connect();
    b.register();
    h.now += 10_000;
    const actions = h.server.timer(h.now);
    expect(closes(actions)).toEqual([1]);
    expect(h.events.some((e) => e.type === 'timeout' && e.why === 'unbound')).toBe(true);
  });

  it('closes a bound connection silent for idleTimeoutMs, not one that speaks', () => {
    const h = new ServerHarness({ idleTimeoutMs: 60_000 });
    const { a, b } = hosts(h);
    a.register();
    b.register();
    for (let t = 0; t < 3; t++) {
      h.now += 25_000;
      b.info([]);
      h.server.timer(h.now);
    }
    expect(h.server.connectionOf(a.id)).toBeUndefined();
    expect(h.server.connectionOf(b.id)).toBe(2);
  });
});

describe('caps (§7.10)', () => {
  it('closes a connection that announces a record over 1994 bytes, others unaffected', () => {
    const h = new ServerHarness();
    const { a, b } = hosts(h);
    a.register();
    b.register();
    const actions = h.server.tcpData(1, Uint8Array.of(0x17, 0x03, 0x03, 0xcb, 0x07), h.now); // 1995
    expect(closes(actions)).toEqual([1]);
    expect(h.drops('bad-frame')).toHaveLength(1);
    expect(h.server.connectionOf(a.id)).toBeUndefined();
    expect(udpMessages(b.dataUdp(b.id, Uint8Array.of(1)))).toHaveLength(1);
  });

  it('closes a connection whose record header is not 17 03 03', () => {
    const h = new ServerHarness();
    h.open(1, ep('203.0.113.10:1'));
    expect(closes(h.server.tcpData(1, Uint8Array.of(0x16, 3, 1, 0, 5), h.now))).toEqual([1]);
  });

  it('accepts a 1994-byte record', () => {
    const h = new ServerHarness();
    const { a, b } = hosts(h);
    a.register();
    b.register();
    const payload = encodePeerToBase({
      kind: 'DATA',
      source: a.id,
      target: b.id,
      data: new Uint8Array(1961),
    });
    expect(payload.length).toBe(1994);
    h.server.tcpData(1, encodeRecord(payload), h.now);
    expect(h.server.stats.relayedUdp).toBe(1);
  });

  it('drops oversize and malformed datagrams', () => {
    const h = new ServerHarness({ maxUdpDatagram: 100 });
    h.udp(ep('203.0.113.9:1'), new Uint8Array(101));
    h.udp(ep('203.0.113.9:1'), Uint8Array.of(3, 1, 2));
    h.udp(ep('203.0.113.9:1'), new Uint8Array(0));
    expect(h.drops('oversize')).toHaveLength(1);
    expect(h.drops('malformed')).toHaveLength(2);
  });

  it('bounds connections in all, per IP and without a device', () => {
    const perIp = new ServerHarness({ maxConnectionsPerIp: 2 });
    expect(closes(perIp.server.tcpOpen(1, ep('203.0.113.1:1'), 0))).toEqual([]);
    expect(closes(perIp.server.tcpOpen(2, ep('203.0.113.1:2'), 0))).toEqual([]);
    expect(closes(perIp.server.tcpOpen(3, ep('203.0.113.1:3'), 0))).toEqual([3]);
    expect(closes(perIp.server.tcpOpen(4, ep('203.0.113.2:3'), 0))).toEqual([]);
    perIp.server.tcpClosed(1, 0);
    expect(closes(perIp.server.tcpOpen(5, ep('203.0.113.1:5'), 0))).toEqual([]);

    const pending = new ServerHarness({ maxPendingConnections: 1 });
    const { a } = hosts(pending);
    a.connect();
    expect(closes(pending.server.tcpOpen(7, ep('203.0.113.7:1'), 0))).toEqual([7]);
    a.info([]); // bound: no longer pending
    expect(closes(pending.server.tcpOpen(8, ep('203.0.113.7:1'), 0))).toEqual([]);

    const all = new ServerHarness({ maxConnections: 1 });
    all.server.tcpOpen(1, ep('203.0.113.1:1'), 0);
    expect(closes(all.server.tcpOpen(2, ep('203.0.113.2:1'), 0))).toEqual([2]);
    expect(all.drops('connection-limit')).toHaveLength(1);
  });

  it('ignores a second tcpOpen for an open connection id without closing it', () => {
    const h = new ServerHarness();
    const { a } = hosts(h);
    a.register();
    expect(h.server.tcpOpen(1, ep('203.0.113.99:1'), h.now)).toEqual([]);
    expect(h.server.connectionOf(a.id)).toBe(1);
  });

  it('bounds devices', () => {
    const h = new ServerHarness({ maxDevices: 1 });
    const { a, b } = hosts(h);
    a.register();
    b.register();
    expect(h.drops('device-limit').length).toBeGreaterThan(0);
    expect(h.server.stats.devicesConnected).toBe(1);
  });

  it('rate-limits signed messages per connection and per UDP source IP before verifying', () => {
    const h = new ServerHarness({ signedRatePerSecond: 1, signedBurst: 3 });
    const { a, b } = hosts(h);
    a.register(); // INFO (tcp) + NAT_INIT + confirm (udp)
    for (let i = 0; i < 5; i++) a.info([]);
    for (let i = 0; i < 5; i++) a.natInit();
    expect(h.drops('rate-limited').length).toBe(3 + 4);
    b.register();
    expect(h.server.observedAddressOf(b.id)).toEqual(b.udpSource);
  });
});

describe('options', () => {
  it('uses an injected Ed25519 verify (node:crypto here) over "ng-p2b-msg\\n" ‖ message', () => {
    const seen: Uint8Array[] = [];
    const server = new BaseServer({
      udpAddresses: [PRIMARY],
      random: seededRandom(1),
      verify: (signature, message, publicKey) => {
        seen.push(message);
        return opensslVerify(message, signature, publicKey);
      },
    });
    const h = new ServerHarness();
    h.server = server;
    const { a } = hosts(h);
    a.connect();
    a.info([]);
    expect(server.stats.devicesConnected).toBe(1);
    expect(new TextDecoder().decode(seen[0]!.subarray(0, 11))).toBe('ng-p2b-msg\n');
    const refusing = new BaseServer({
      udpAddresses: [PRIMARY],
      random: seededRandom(1),
      verify: () => false,
    });
    h.server = refusing;
    a.connect();
    a.info([]);
    expect(refusing.stats.devicesConnected).toBe(0);
    expect(refusing.stats.drops['bad-signature']).toBe(1);
  });

  it('sweeps its connections at most once per sweepIntervalMs', () => {
    const h = new ServerHarness();
    for (let i = 0; i < 100; i++) h.server.tcpOpen(i, ep(`203.0.113.${i}:1`), h.now + i * 10);
    const next = h.server.timer(h.now + 25_000).find((a) => a.type === 'timer');
    expect(next?.type === 'timer' && next.at).toBeGreaterThanOrEqual(h.now + 26_000);
  });
});
