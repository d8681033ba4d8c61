import { afterEach, describe, expect, it } from 'vitest';
import { linked, startTestNode, type TestNode, until } from './node-helpers.js';

const running: TestNode[] = [];
async function start(...args: Parameters<typeof startTestNode>): Promise<TestNode> {
  const n = await startTestNode(...args);
  running.push(n);
  return n;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((n) => n.close()));
});

describe.each([
  ['IPv4', '127.0.0.1', false],
  ['IPv6', '::1', false],
  ['IPv4 on the default dual-stack socket', '127.0.0.1', true],
])('CONNECT over the UDP socket on loopback (%s)', (_family, host, dual) => {
  it('ends with a punched path; a targeted message then goes by datagram', async () => {
    const udp = dual ? ('default' as const) : { host };
    const s = await start('rendezvous', { listen: { host }, udp, nodeType: 'server' });
    const alice = await start('alice', { udp });
    const bob = await start('bob', { udp });
    expect(s.udpPort).toBeGreaterThan(0);
    await alice.dial(host, s.tcpPort!);
    await bob.dial(host, s.tcpPort!);
    await linked(alice, s);
    await linked(bob, s);
    await until(() => alice.node.pathTo(bob.node.nodeId) === 'relayed', 'a route');

    alice.node.connect(bob.node.nodeId);
    const direct = await until(
      () => alice.events('connect').find((e) => e.state === 'direct' || e.state === 'failed'),
      'the CONNECT outcome',
    );
    expect(direct).toMatchObject({ role: 'initiator', state: 'direct' });
    expect(direct.address).toBe(
      host.includes(':') ? `[${host}]:${bob.udpPort}` : `${host}:${bob.udpPort}`,
    );
    await until(() => bob.node.pathTo(alice.node.nodeId) === 'direct', 'bob sees the path');
    expect(alice.node.pathTo(bob.node.nodeId)).toBe('direct');

    // A closed channel's messages are targeted, so they take the punched path.
    const secret = alice.node.createChannel('pair', { closed: true });
    alice.node.invite(secret.channelId, bob.node.nodeId);
    await until(() => bob.events('key').length > 0, 'the key');
    bob.node.join(secret.channelId);
    await until(
      () => alice.node.channel(secret.channelId)?.members.includes(bob.node.nodeId),
      'bob a member',
    );
    const relayedBefore = s.outputs.filter(
      (o) => o.type === 'send' && o.message.msg_type === 'MESSAGE',
    ).length;
    await alice.node.sendMessage(secret.channelId, 'by datagram');
    await until(() => bob.events('message').find((m) => m.text === 'by datagram'), 'the message');
    const datagrams = alice.outputs.filter(
      (o) => o.type === 'datagram' && o.message.msg_type === 'MESSAGE',
    );
    expect(datagrams).toHaveLength(1);
    expect(
      s.outputs.filter((o) => o.type === 'send' && o.message.msg_type === 'MESSAGE').length,
    ).toBe(relayedBefore);
    expect(alice.udpRemotes).toBeGreaterThanOrEqual(2); // the rendezvous node and bob
  });
});
