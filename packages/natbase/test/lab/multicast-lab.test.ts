// natbase lab: two hosts on one L2 segment (the NAT's LAN bridge), no base address for each
// other (no INFO addresses; the NAT does no hairpinning, so the observed public address is
// useless): §10 multicast discovery finds the peer and the path goes direct.
import { afterEach, describe, expect, it } from 'vitest';
import { createLab, type Lab } from '../../../../tooling/netlab/index.js';
import { baseStats, deliver, pathTo, startBase, startHost, state, until } from './lab-helpers.js';

describe('natbase multicast discovery on one L2 segment (netlab)', () => {
  let lab: Lab | undefined;
  afterEach(async () => {
    await lab?.close();
    lab = undefined;
  });

  it('two hosts behind one NAT with no usable base address: multicast finds the peer, the path goes direct', async () => {
    lab = await createLab({ public: ['base'], nats: [{ name: 'a', kind: 'eim', hosts: 2 }] });
    const base = await startBase(lab, 'base');
    const a = await startHost(lab, 'a1', 1, ['base'], { local: [], multicast: lab.address('a1') });
    const b = await startHost(lab, 'a2', 2, ['base'], { local: [], multicast: lab.address('a2') });
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
    expect(pathTo(sa, b.deviceId)!.target).toBe(`${lab.address('a2')}:5582`); // the LAN address
    await until(
      () => state(b),
      (s) => pathTo(s, a.deviceId)?.path === 'direct',
      'b → a direct',
    );
    const before = await baseStats(base);
    for (let i = 0; i < 10; i++) {
      expect((await deliver(a, b, `lan ${i}`)).path).toBe('direct');
      expect((await deliver(b, a, `lan back ${i}`)).path).toBe('direct');
    }
    const after = await baseStats(base);
    expect(after.relayedUdp + after.relayedTcp).toBe(before.relayedUdp + before.relayedTcp);
  });

  it('the first datagram, sent before either host is at the base, still arrives and the path goes direct', async () => {
    // What a first attempt at this lab case ran into: the secure HELLO 1 of a datagram sent at
    // start-up is lost (no base yet), and upstream repeats it only on the next send.
    lab = await createLab({ public: ['base'], nats: [{ name: 'a', kind: 'eim', hosts: 2 }] });
    await startBase(lab, 'base');
    const a = await startHost(lab, 'a1', 1, ['base'], { local: [], multicast: lab.address('a1') });
    const b = await startHost(lab, 'a2', 2, ['base'], { local: [], multicast: lab.address('a2') });
    await deliver(a, b, 'at once');
    await until(
      () => state(a),
      (s) => pathTo(s, b.deviceId)?.path === 'direct',
      'a → b direct',
    );
    expect((await deliver(a, b, 'then direct')).path).toBe('direct');
  });
});
