// The base server and two host agents on real sockets over 127.0.0.1 (issue 12, I/O part).
import { afterEach, describe, expect, it } from 'vitest';
import { type BaseServerEvent, parseEndpoint } from '../../src/index.js';
import {
  type BaseServerHandle,
  type HostDatagram,
  listenBaseServer,
  MAX_SECURE_DATAGRAM,
  type NatbaseHost,
} from '../../src/node/index.js';
import { testIdentity } from '../helpers.js';
import { loopbackBase, loopbackHost, text, untext, until } from './loopback-helpers.js';

describe('natbase on loopback sockets', () => {
  const open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  async function setup(limits = {}, hostOptions = {}) {
    const events: BaseServerEvent[] = [];
    const base: BaseServerHandle = await loopbackBase(limits, events);
    open.push(base);
    const a: NatbaseHost = await loopbackHost(base, testIdentity(1), hostOptions);
    open.push(a);
    const b: NatbaseHost = await loopbackHost(base, testIdentity(2), hostOptions);
    open.push(b);
    await until(() => base.stats.devicesConnected === 2, 'both devices bound at the base');
    await until(() => a.core.baseUdpAlive && b.core.baseUdpAlive, 'NAT_OK on both');
    return { base, a, b, events };
  }

  it('two agents exchange secure DATA, first relayed, then over a direct path', async () => {
    const { base, a, b } = await setup();
    const atB: HostDatagram[] = [];
    const atA: HostDatagram[] = [];
    b.on('datagram', (d) => atB.push(d));
    a.on('datagram', (d) => atA.push(d));
    a.send(b.deviceId, text('hello b'));
    await until(() => atB.length === 1, 'b gets the first datagram');
    expect(untext(atB[0]!.data)).toBe('hello b');
    expect(atB[0]!.from).toEqual(a.deviceId);
    b.send(a.deviceId, text('hello a'));
    await until(() => atA.length === 1, 'a gets the answer');
    expect(untext(atA[0]!.data)).toBe('hello a');
    // The base's DEVICE_ADDRESSES carry each other's observed 127.0.0.1 address: HELLOs go direct.
    await until(
      () => a.peer(b.deviceId).path === 'direct' && b.peer(a.deviceId).path === 'direct',
      'a direct path both ways',
    );
    expect(a.peer(b.deviceId).target?.port).toBe(b.udpPort);
    expect(a.peer(b.deviceId).rttMs).toBeGreaterThanOrEqual(0);
    const relayed = base.stats.relayedUdp + base.stats.relayedTcp;
    for (let i = 0; i < 20; i++) a.send(b.deviceId, text(`m${i}`));
    await until(() => atB.length === 21, 'twenty more datagrams');
    expect(atB.slice(1).map((d) => untext(d.data))).toEqual(
      Array.from({ length: 20 }, (_, i) => `m${i}`),
    );
    expect(atB.at(-1)!.path).toBe('direct');
    expect(base.stats.relayedUdp + base.stats.relayedTcp).toBe(relayed); // nothing relayed
    expect(a.peer(b.deviceId).established).toBe(true);
    const rtt = await a.ping(b.deviceId);
    expect(rtt).toBeGreaterThanOrEqual(0);
    expect(a.peer(b.deviceId).latencyMs).toBe(rtt);
  });

  it('a datagram sent before the peer is at the base still arrives: the secure HELLO 1 is repeated once a path appears', async () => {
    const base = await loopbackBase();
    open.push(base);
    const a = await loopbackHost(base, testIdentity(1));
    open.push(a);
    await until(() => base.stats.devicesConnected === 1 && a.core.baseUdpAlive, 'a at the base');
    const b0 = testIdentity(2);
    a.send(b0.deviceId, text('early')); // HELLO 1 relayed to a device the base does not know: lost
    await new Promise((r) => setTimeout(r, 200));
    expect(a.secure!.peer(b0.deviceId)).toMatchObject({ established: false, queued: 1 });
    const b = await loopbackHost(base, b0);
    open.push(b);
    const got: string[] = [];
    b.on('datagram', (d) => got.push(untext(d.data)));
    // No further send: only the layer's own repeat (helloRetryMs, 1 s) can bring it.
    await until(() => got.length === 1, 'the early datagram at b', 5_000);
    expect(got).toEqual(['early']);
    expect(a.secure!.peer(b0.deviceId)).toMatchObject({ established: true, queued: 0 });
  });

  it('before a direct path exists, DATA is relayed by the base over UDP', async () => {
    const { base, a, b } = await setup({}, { secure: false });
    const atB: HostDatagram[] = [];
    b.on('datagram', (d) => atB.push(d));
    a.send(b.deviceId, text('first'));
    await until(() => atB.length === 1, 'the first datagram');
    expect(untext(atB[0]!.data)).toBe('first');
    expect(atB[0]!.path).toBe('base-udp');
    expect(base.stats.relayedUdp).toBe(1);
    expect(base.stats.natConfirmations).toBeGreaterThanOrEqual(2);
  });

  it('relays over base TCP when no NAT_OK ever comes back (UDP to the base lost)', async () => {
    // The base advertises a UDP address nobody listens on: NAT_INITs are lost, so the agents
    // never confirm UDP and have no candidate address for each other (no INFO addresses).
    const base = await listenBaseServer({
      tcp: { host: '127.0.0.1', port: 0 },
      udp: [{ host: '127.0.0.1', port: 0 }],
      advertise: [parseEndpoint('127.0.0.1:9')],
    });
    open.push(base);
    const a = await loopbackHost(base, testIdentity(1));
    open.push(a);
    const b = await loopbackHost(base, testIdentity(2));
    open.push(b);
    await until(() => base.stats.devicesConnected === 2, 'both bound');
    const atB: HostDatagram[] = [];
    b.on('datagram', (d) => atB.push(d));
    a.send(b.deviceId, text('over tcp'));
    await until(() => atB.length === 1, 'the datagram');
    expect(untext(atB[0]!.data)).toBe('over tcp');
    expect(atB[0]!.path).toBe('base-tcp');
    expect(a.peer(b.deviceId).path).toBe('base-tcp');
    expect(base.stats.relayedUdp).toBe(0);
    expect(base.stats.relayedTcp).toBeGreaterThan(0);
    expect(base.stats.natConfirmations).toBe(0);
  });
});

describe('NatbaseHost limits', () => {
  it('takes secure datagrams up to MAX_SECURE_DATAGRAM (1912), so a relayed one fits a TCP record', async () => {
    expect(MAX_SECURE_DATAGRAM).toBe(1912);
    const base = await loopbackBase();
    const a = await loopbackHost(base, testIdentity(1));
    try {
      expect(() =>
        a.send(testIdentity(2).deviceId, new Uint8Array(MAX_SECURE_DATAGRAM + 1)),
      ).toThrow(expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE' }));
      expect(() =>
        a.send(testIdentity(2).deviceId, new Uint8Array(MAX_SECURE_DATAGRAM)),
      ).not.toThrow();
    } finally {
      await a.close();
      await base.close();
    }
  });
});
