// natbase lab: two hosts on one L2 segment (the NAT's LAN bridge) that reach each other only on
// their IPv6 link-local addresses: no INFO addresses, no IPv4 multicast (`ipv4: false`), the NAT
// does no hairpinning. The §10 IPv6 group ff02:88bb:…:19ac finds the peer and the path goes
// direct on its fe80:: address; with IPv6 discovery off as well the path stays relayed.
// (Lab namespaces have DAD off, so the link-local addresses are usable at once: netlab README.)
import { afterEach, describe, expect, it } from 'vitest';
import { createLab, type Lab } from '../../../../tooling/netlab/index.js';
import {
  baseStats,
  deliver,
  FAST_HOST_LIMITS,
  pathTo,
  startBase,
  startHost,
  state,
  until,
} from './lab-helpers.js';

describe('natbase IPv6 link-local discovery on one L2 segment (netlab)', () => {
  let lab: Lab | undefined;
  afterEach(async () => {
    await lab?.close();
    lab = undefined;
  });

  it('IPv6 group only: the hosts find each other and the path goes direct on an fe80:: address', async () => {
    lab = await createLab({ public: ['base'], nats: [{ name: 'a', kind: 'eim', hosts: 2 }] });
    const base = await startBase(lab, 'base');
    const a = await startHost(lab, 'a1', 1, ['base'], { local: [], multicast6: true });
    const b = await startHost(lab, 'a2', 2, ['base'], { local: [], multicast6: true });
    await until(
      () => baseStats(base),
      (s) => s.devicesConnected === 2,
      'both devices at the base',
    );
    await deliver(a, b, 'hello'); // relayed: a and b now know each other
    await deliver(b, a, 'hello back');
    const sa = await until(
      () => state(a),
      (s) => pathTo(s, b.deviceId)?.path === 'direct',
      'a → b direct',
    );
    const sb = await until(
      () => state(b),
      (s) => pathTo(s, a.deviceId)?.path === 'direct',
      'b → a direct',
    );
    // The peer's link-local address on the LAN, at its source port.
    expect(pathTo(sa, b.deviceId)!.target).toMatch(/^\[fe80:[0-9a-f:]+\]:5582$/);
    expect(pathTo(sb, a.deviceId)!.target).toMatch(/^\[fe80:[0-9a-f:]+\]:5582$/);
    const linkLocalOf = async (node: string) => {
      const out = await lab!.exec(node, 'ip', ['-6', '-o', 'addr', 'show', 'dev', 'eth0']);
      return /inet6 (fe80:[0-9a-f:]+)\//.exec(out.stdout)?.[1];
    };
    expect(pathTo(sa, b.deviceId)!.target).toBe(`[${await linkLocalOf('a2')}]:5582`);
    expect(pathTo(sb, a.deviceId)!.target).toBe(`[${await linkLocalOf('a1')}]:5582`);
    const before = await baseStats(base);
    for (let i = 0; i < 10; i++) {
      expect((await deliver(a, b, `lan ${i}`)).path).toBe('direct');
      expect((await deliver(b, a, `lan back ${i}`)).path).toBe('direct');
    }
    const after = await baseStats(base);
    expect(after.relayedUdp + after.relayedTcp).toBe(before.relayedUdp + before.relayedTcp);
  });

  it('an interface that comes up later is joined at the next refresh and the path goes direct over it', async () => {
    lab = await createLab({ public: ['base'], nats: [{ name: 'a', kind: 'eim', hosts: 2 }] });
    // No link-local address on the LAN: nothing to join at start-up.
    for (const h of ['a1', 'a2'])
      await lab.exec(h, 'ip', ['-6', 'addr', 'flush', 'dev', 'eth0', 'scope', 'link']);
    const base = await startBase(lab, 'base');
    const a = await startHost(lab, 'a1', 1, ['base'], { local: [], multicast6: true });
    const b = await startHost(lab, 'a2', 2, ['base'], { local: [], multicast6: true });
    await until(
      () => baseStats(base),
      (s) => s.devicesConnected === 2,
      'both devices at the base',
    );
    await deliver(a, b, 'hello');
    await deliver(b, a, 'hello back');
    await new Promise((r) => setTimeout(r, FAST_HOST_LIMITS.refreshIntervalMs + 500));
    expect(pathTo(await state(a), b.deviceId)?.path).not.toBe('direct');
    // A new link between the two hosts, link-local addresses only (nodad: usable at once).
    await lab.exec('a1', 'ip', ['link', 'add', 'x0', 'type', 'veth', 'peer', 'name', 'x1']);
    await lab.exec('a1', 'ip', ['link', 'set', 'x1', 'netns', lab.ns('a2')]);
    for (const [h, dev, ip] of [
      ['a1', 'x0', 'fe80::a1'],
      ['a2', 'x1', 'fe80::a2'],
    ] as const) {
      await lab.exec(h, 'ip', ['link', 'set', dev, 'addrgenmode', 'none']);
      await lab.exec(h, 'ip', ['-6', 'addr', 'add', `${ip}/64`, 'dev', dev, 'nodad']);
      await lab.exec(h, 'ip', ['link', 'set', dev, 'up']);
    }
    const t0 = Date.now();
    await until(
      () => state(a),
      (s) => pathTo(s, b.deviceId)?.path === 'direct',
      'a → b direct over the new link',
    );
    const sb = await until(
      () => state(b),
      (s) => pathTo(s, a.deviceId)?.path === 'direct',
      'b → a direct over the new link',
    );
    console.log(`direct over the new link ${Date.now() - t0} ms after it came up`);
    expect(pathTo(await state(a), b.deviceId)!.target).toBe('[fe80::a2]:5582');
    expect(pathTo(sb, a.deviceId)!.target).toBe('[fe80::a1]:5582');
    expect((await deliver(a, b, 'over x0')).path).toBe('direct');
    expect((await deliver(b, a, 'over x1')).path).toBe('direct');
  });

  it('with IPv6 discovery off too the path stays relayed (three refreshes)', async () => {
    lab = await createLab({ public: ['base'], nats: [{ name: 'a', kind: 'eim', hosts: 2 }] });
    const base = await startBase(lab, 'base');
    const a = await startHost(lab, 'a1', 1, ['base'], { local: [], multicast6: false });
    const b = await startHost(lab, 'a2', 2, ['base'], { local: [], multicast6: false });
    await until(
      () => baseStats(base),
      (s) => s.devicesConnected === 2,
      'both devices at the base',
    );
    await deliver(a, b, 'hello');
    await deliver(b, a, 'hello back');
    await new Promise((r) => setTimeout(r, 3 * FAST_HOST_LIMITS.refreshIntervalMs));
    expect(pathTo(await state(a), b.deviceId)?.path).not.toBe('direct');
    expect(pathTo(await state(b), a.deviceId)?.path).not.toBe('direct');
    expect((await deliver(a, b, 'still relayed')).path).not.toBe('direct');
  });
});
