// natbase through real NATs (issue 12 "Proof"): a base on the lab's public segment, hosts behind
// their own NAT namespaces, each a real process (test/lab/fixtures/node.mjs on the built dist).
// Needs root, ip and nft: without them createLab throws and this file fails; it is never skipped.
import { afterEach, describe, expect, it } from 'vitest';
import { createLab, type Lab } from '../../../../tooling/netlab/index.js';
import { baseStats, deliver, pathTo, startBase, startHost, state, until } from './lab-helpers.js';

describe('natbase through real NATs (netlab)', () => {
  let lab: Lab | undefined;
  afterEach(async () => {
    await lab?.close();
    lab = undefined;
  });

  it('both behind EIM NAT: a direct path, then DATA peer to peer with nothing relayed', async () => {
    lab = await createLab({
      public: ['base'],
      nats: [
        { name: 'a', kind: 'eim' },
        { name: 'b', kind: 'eim' },
      ],
    });
    const base = await startBase(lab, 'base');
    const a = await startHost(lab, 'a1', 1, ['base']);
    const b = await startHost(lab, 'b1', 2, ['base']);
    await until(
      () => baseStats(base),
      (s) => s.devicesConnected === 2,
      'both devices at the base',
    );
    await deliver(a, b, 'hello');
    await deliver(b, a, 'hello back');
    const sa = await until(
      () => state(a),
      (s) => pathTo(s, b.deviceId)?.path === 'direct',
      'a → b direct',
    );
    expect(pathTo(sa, b.deviceId)!.target).toMatch(/^203\.0\.113\.101:/); // b's NAT, not the base
    await until(
      () => state(b),
      (s) => pathTo(s, a.deviceId)?.path === 'direct',
      'b → a direct',
    );
    const before = await baseStats(base);
    for (let i = 0; i < 10; i++) {
      const d = await deliver(a, b, `p2p ${i}`);
      expect(d.path).toBe('direct');
    }
    const after = await baseStats(base);
    expect(after.relayedUdp + after.relayedTcp).toBe(before.relayedUdp + before.relayedTcp);
  });

  it('one side symmetric: relayed over base UDP, and over base TCP when UDP to the base is blocked', async () => {
    lab = await createLab({
      public: ['base'],
      nats: [
        { name: 'a', kind: 'eim' },
        { name: 'b', kind: 'symmetric' },
      ],
    });
    const base = await startBase(lab, 'base');
    const a = await startHost(lab, 'a1', 1, ['base']);
    const b = await startHost(lab, 'b1', 2, ['base']);
    await until(
      () => state(b),
      (s) => s.baseUdp,
      'b has UDP to the base',
    );
    await deliver(a, b, 'one');
    await deliver(b, a, 'two');
    // Several refreshes of HELLOs: no direct path through the symmetric NAT.
    await new Promise((r) => setTimeout(r, 7_000));
    const d = await deliver(b, a, 'three');
    expect(d.path).toBe('base-udp');
    expect(pathTo(await state(b), a.deviceId)?.path).toBe('base-udp');
    const s1 = await baseStats(base);
    expect(s1.relayedUdp).toBeGreaterThan(0);
    const block = await lab.blockUdp('b1', 'base');
    await until(
      () => state(b),
      (s) => !s.baseUdp,
      'b sees UDP to the base expire',
      15_000,
    );
    const tcpBefore = (await baseStats(base)).relayedTcp;
    const got = await deliver(b, a, 'over tcp');
    expect(got.path).toBe('base-udp'); // the base reaches a over UDP; b's leg went over TCP
    expect(pathTo(await state(b), a.deviceId)?.path).toBe('base-tcp');
    const back = await deliver(a, b, 'back over tcp');
    expect(back.path).toBe('base-tcp'); // b's UDP confirmation at the base expired too
    expect((await baseStats(base)).relayedTcp).toBeGreaterThan(tcpBefore);
    expect(await block.dropped()).toBeGreaterThan(0);
  });

  it('two bases: the first is killed and the hosts fail over without losing the peer', async () => {
    lab = await createLab({
      public: ['base', 'base2'],
      nats: [
        { name: 'a', kind: 'eim' },
        { name: 'b', kind: 'symmetric' },
      ],
    });
    // base2 starts once both hosts are on base: with both bases up from the start, "the first to
    // complete" can differ between the hosts under load, and two bases do not relay to each other.
    const b1 = await startBase(lab, 'base');
    const a = await startHost(lab, 'a1', 1, ['base', 'base2']);
    const b = await startHost(lab, 'b1', 2, ['base', 'base2']);
    const first = `${lab.address('base')}:5443`;
    const second = `${lab.address('base2')}:5443`;
    await until(
      () => state(a),
      (s) => s.base === first,
      'a on the first base',
    );
    await until(
      () => state(b),
      (s) => s.base === first && s.baseUdp,
      'b on the first base',
    );
    await deliver(a, b, 'before');
    await startBase(lab, 'base2');
    await b1.kill('SIGKILL');
    await until(
      () => state(a),
      (s) => s.base === second,
      'a fails over',
      20_000,
    );
    await until(
      () => state(b),
      (s) => s.base === second,
      'b fails over',
      20_000,
    );
    await deliver(a, b, 'after failover', 20_000);
    await deliver(b, a, 'and back', 20_000);
  });
});
