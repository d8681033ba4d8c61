// Hostile input at a running base on loopback: each case while two devices are still served.
import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BaseServerEvent, formatIp } from '../../src/index.js';
import type { BaseServerHandle, HostDatagram, NatbaseHost } from '../../src/node/index.js';
import { testIdentity } from '../helpers.js';
import { loopbackBase, loopbackHost, text, untext, until } from './loopback-helpers.js';

function rawTcp(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.resume(); // read (and drop) what the base sends, so that its end is seen
    s.on('error', reject);
  });
}
const closedSoon = (s: Socket) => new Promise<void>((r) => s.once('close', () => r()));

describe('a running base under hostile input', () => {
  let base: BaseServerHandle;
  let a: NatbaseHost;
  let b: NatbaseHost;
  const events: BaseServerEvent[] = [];
  const atB: HostDatagram[] = [];

  beforeAll(async () => {
    base = await loopbackBase({ bindTimeoutMs: 500, sweepIntervalMs: 100 }, events);
    a = await loopbackHost(base, testIdentity(1), { secure: false });
    b = await loopbackHost(base, testIdentity(2), { secure: false });
    b.on('datagram', (d) => atB.push(d));
    await until(() => base.stats.devicesConnected === 2, 'both bound');
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await base?.close();
  });

  /** a → b still works, and the base still counts both devices. */
  async function stillServed(tag: string): Promise<void> {
    const before = atB.length;
    a.send(b.deviceId, text(tag));
    await until(() => atB.length > before, `b still served after ${tag}`);
    expect(untext(atB.at(-1)!.data)).toBe(tag);
    expect(base.stats.devicesConnected).toBe(2);
  }

  it('an oversize TCP frame closes only that connection', async () => {
    const s = await rawTcp(base.tcpPort);
    const gone = closedSoon(s);
    s.write(Uint8Array.of(0x17, 0x03, 0x03, 0xff, 0xff)); // 65,535 > 1994
    await gone;
    expect(base.stats.drops['bad-frame']).toBeGreaterThanOrEqual(1);
    await stillServed('after oversize');
  });

  it('a record with a bad header closes only that connection', async () => {
    const s = await rawTcp(base.tcpPort);
    const gone = closedSoon(s);
    s.write(Uint8Array.of(0x16, 0x03, 0x01, 0x05, 0x00, 1, 2, 3, 4, 5)); // a real TLS ClientHello start
    await gone;
    await stillServed('after bad header');
  });

  it('connections that never speak are closed after bindTimeoutMs', async () => {
    const silent = await Promise.all([1, 2, 3].map(() => rawTcp(base.tcpPort)));
    const gone = Promise.all(silent.map(closedSoon));
    await gone;
    expect(
      events.filter((e) => e.type === 'timeout' && e.why === 'unbound').length,
    ).toBeGreaterThanOrEqual(3);
    await stillServed('after silent connections');
  });

  it('garbage and oversize UDP datagrams are dropped and counted', async () => {
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const primary = base.udpAddresses[0]!;
    const send = (bytes: Uint8Array) =>
      new Promise<void>((r) => sock.send(bytes, primary.port, formatIp(primary.ip), () => r()));
    const malformed = base.stats.drops.malformed;
    for (let i = 0; i < 50; i++) await send(Uint8Array.of(9, i, 1, 2, 3));
    await send(new Uint8Array(5000).fill(3));
    // DATA claiming to come from a: the source is not a's observed address.
    const spoof = new Uint8Array(33 + 4);
    spoof[0] = 1;
    spoof.set(a.deviceId, 1);
    spoof.set(b.deviceId, 17);
    await send(spoof);
    await until(() => base.stats.drops.malformed >= malformed + 50, 'the garbage counted');
    await until(() => base.stats.drops.oversize >= 1, 'the oversize datagram counted');
    await until(() => base.stats.drops['spoofed-source'] >= 1, 'the spoofed DATA counted');
    sock.close();
    expect(atB.some((d) => d.data.length === 4 && d.data.every((x) => x === 0))).toBe(false);
    await stillServed('after garbage UDP');
  });
});
