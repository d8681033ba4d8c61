import { describe, expect, it } from 'vitest';
import { SimNetwork } from './sim.js';

describe('smoke', () => {
  it('three nodes: a public channel message reaches the others', async () => {
    const net = new SimNetwork({ seed: 7 });
    const a = await net.addNode('alice');
    const b = await net.addNode('bob');
    const c = await net.addNode('carol');
    net.connect(a, b);
    net.connect(b, c);
    await net.runFor(1000);
    expect(
      a.node
        .routes()
        .map((r) => r.distance)
        .sort(),
    ).toEqual([1, 2]);
    const ch = a.node.createChannel('general');
    await net.runFor(1000);
    b.node.join(ch.channelId);
    c.node.join(ch.channelId);
    await net.runFor(1000);
    await a.node.sendMessage(ch.channelId, 'hello all');
    await net.runFor(2000);
    const got = (n: typeof b) => net.eventsOf(n, 'message').map((m) => m.text);
    expect(got(b)).toEqual(['hello all']);
    expect(got(c)).toEqual(['hello all']);
    console.log(c.events.filter((e) => e.type === 'drop'));
  });
});
