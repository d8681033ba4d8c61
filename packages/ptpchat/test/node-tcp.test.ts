import { afterEach, describe, expect, it } from 'vitest';
import { PtpchatError } from '../src/index.js';
import { startPtpchatNode } from '../src/node/index.js';
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

describe('@peerwire/ptpchat/node over loopback TCP', () => {
  it('three nodes: a channel message and a closed-channel message through a relaying node', async () => {
    const s = await start('server', { listen: { host: '127.0.0.1' }, nodeType: 'server' });
    const alice = await start('alice');
    const bob = await start('bob');
    expect(s.tcpPort).toBeGreaterThan(0);
    await alice.dial('127.0.0.1', s.tcpPort!);
    await bob.dial('127.0.0.1', s.tcpPort!);
    await linked(alice, s);
    await linked(bob, s);
    await until(() => alice.node.pathTo(bob.node.nodeId) === 'relayed', 'a route alice -> bob');

    const general = alice.node.createChannel('general');
    await until(() => bob.node.channel(general.channelId), 'bob hears of #general');
    bob.node.join(general.channelId);
    await until(
      () => alice.node.channel(general.channelId)?.members.includes(bob.node.nodeId),
      'bob a member at alice',
    );
    await alice.node.sendMessage(general.channelId, 'hello bob');
    const got = await until(() => bob.events('message')[0], 'bob gets the message');
    expect(got).toMatchObject({ from: alice.node.nodeId, text: 'hello bob', closed: false });

    const secret = alice.node.createChannel('secret', { closed: true });
    alice.node.invite(secret.channelId, bob.node.nodeId);
    await until(() => bob.events('key').length > 0, 'bob gets the key');
    bob.node.join(secret.channelId);
    await until(
      () => alice.node.channel(secret.channelId)?.members.includes(bob.node.nodeId),
      'bob a member of the closed channel',
    );
    await alice.node.sendMessage(secret.channelId, 'for bob only');
    const closed = await until(
      () => bob.events('message').find((m) => m.closed),
      'bob reads the closed message',
    );
    expect(closed).toMatchObject({ text: 'for bob only', from: alice.node.nodeId });
    // The relaying node forwarded it without reading it.
    expect(s.events('message')).toEqual([]);
    expect(s.node.channel(secret.channelId)).toBeUndefined();
  });

  it('IPv6 loopback, and a neighbour that goes away is reported down', async () => {
    const s = await start('server', { listen: { host: '::1' } });
    const alice = await start('alice');
    const peer = await alice.dial('::1', s.tcpPort!);
    await linked(alice, s);
    expect(s.node.neighbours()[0]!.remoteAddress).toMatch(/^\[::1\]:\d+$/);
    alice.disconnect(peer);
    await until(() => s.events('neighbour-down').length === 1, 'neighbour-down at the server');
    expect(s.node.neighbours()).toEqual([]);
    expect(s.tcpLinks).toBe(0);
  });

  it('dial failures and a closed node are PtpchatErrors', async () => {
    const alice = await start('alice');
    const probe = await start('probe', { listen: { host: '127.0.0.1' } });
    const port = probe.tcpPort!;
    await probe.close();
    await expect(alice.dial('127.0.0.1', port)).rejects.toMatchObject({ code: 'DIAL_FAILED' });
    await alice.close();
    await expect(alice.dial('127.0.0.1', port)).rejects.toBeInstanceOf(PtpchatError);
    await expect(alice.dial('127.0.0.1', port)).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('bad adapter options are BAD_OPTION, a taken port LISTEN_FAILED', async () => {
    const s = await start('server', { listen: { host: '127.0.0.1' } });
    const base = await startTestNode('x');
    await base.close();
    const opts = { nodeId: base.node.nodeId, identity: undefined as never };
    await expect(
      startPtpchatNode({ ...opts, io: { maxWriteQueueBytes: 10 } }),
    ).rejects.toMatchObject({ code: 'BAD_OPTION' });
    await expect(
      start('dup', { listen: { host: '127.0.0.1', port: s.tcpPort! } }),
    ).rejects.toMatchObject({ code: 'LISTEN_FAILED' });
  });
});
