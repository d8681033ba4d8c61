// natbase lab: a host's NAT gets a new public address while both hosts run on a direct path. The
// base sees the next NAT_INIT (or the reconnect) from the new address, pushes DEVICE_ADDRESSES to
// the interested peer, and the peer's direct path comes back on the new address within one
// refresh (the seed's "instant reconnect").
import { afterEach, describe, expect, it } from 'vitest';
import { createLab, type Lab } from '../../../../tooling/netlab/index.js';
import {
  baseStats,
  deliver,
  FAST_HOST_LIMITS,
  type LabHost,
  pathTo,
  request,
  startBase,
  startHost,
  state,
  until,
} from './lab-helpers.js';

describe('natbase address change (netlab)', () => {
  let lab: Lab | undefined;
  afterEach(async () => {
    await lab?.close();
    lab = undefined;
  });

  /**
   * Two EIM-NATted hosts on a direct path; `change` moves a somehow and names the public address
   * b must reach a on afterwards. Asserts the push and b's direct path to a's new public
   * endpoint within one refresh; returns how long it took.
   */
  async function changeUnderDirectPath(
    change: (lab: Lab, a: LabHost) => Promise<string>,
  ): Promise<number> {
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
    const old = lab.publicAddress('a1');
    const before0 = await until(
      () => state(b),
      (s) => pathTo(s, a.deviceId)?.target?.startsWith(`${old}:`) === true,
      'b → a direct to the old address',
    );
    const oldTarget = pathTo(before0, a.deviceId)!.target;
    await until(
      () => state(a),
      (s) => pathTo(s, b.deviceId)?.path === 'direct',
      'a → b direct',
    );
    const pushesBefore = (await baseStats(base)).addressPushes;
    const changedAt = Date.now();
    const changed = await change(lab, a);
    // b keeps sending to a (fire and forget, as an application would; the first ones go to the
    // stale address and are lost) and we watch b's path.
    let i = 0;
    const back = await until(
      async () => {
        await request(b.proc, { op: 'send', to: a.deviceId, text: `ping ${i++}` }, 'sent');
        return state(b);
      },
      (s) => {
        const t = pathTo(s, a.deviceId)?.target;
        return t !== undefined && t !== oldTarget && t.startsWith(`${changed}:`);
      },
      "b → a direct to a's new address",
      30_000,
    );
    const backAfterMs = Date.now() - changedAt;
    expect(pathTo(back, a.deviceId)!.path).toBe('direct');
    expect((await baseStats(base)).addressPushes).toBeGreaterThan(pushesBefore);
    // One refresh (3 s in the lab) plus a second for the polling and the HELLO round trip.
    expect(backAfterMs).toBeLessThanOrEqual(FAST_HOST_LIMITS.refreshIntervalMs + 1_000);
    console.log(
      `b's path to a back on ${pathTo(back, a.deviceId)!.target} ${backAfterMs} ms after the change`,
    );
    const before = await baseStats(base);
    for (let k = 0; k < 5; k++) {
      expect((await deliver(b, a, `after ${k}`)).path).toBe('direct');
      expect((await deliver(a, b, `after back ${k}`)).path).toBe('direct');
    }
    const after = await baseStats(base);
    expect(after.relayedUdp + after.relayedTcp).toBe(before.relayedUdp + before.relayedTcp);
    return backAfterMs;
  }

  it("a NAT's public address changes: the base pushes it and the peer's path is back within one refresh", async () => {
    await changeUnderDirectPath(async (l) => {
      const old = l.publicAddress('a1');
      const next = await l.changeAddress('a');
      expect(next).not.toBe(old);
      return next;
    });
  });

  it("a host's inner address changes (new NAT mapping): INFO at once, the push, the path back within one refresh", async () => {
    await changeUnderDirectPath(async (l, a) => {
      await l.changeAddress('a1');
      await request(a.proc, { op: 'refresh-addresses' }, 'refreshed');
      return l.publicAddress('a1'); // the same NAT address, on another port
    });
  });
});
