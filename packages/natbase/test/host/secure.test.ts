// The host agent under the secure layer, as the Node layer will compose them: SecureLayer
// packets travel as HostAgent datagrams, relayed or direct; the base only ever sees ciphertext.
import { describe, expect, it } from 'vitest';
import { formatIp, SecureLayer, type SecureOutput } from '../../src/index.js';
import { testIdentity } from '../helpers.js';
import { type HostNode, Net } from './sim.js';

class SecureApp {
  readonly layer: SecureLayer;
  readonly got: string[] = [];

  constructor(
    readonly net: Net,
    readonly node: HostNode,
  ) {
    node.echo = false;
    this.layer = new SecureLayer({
      identity: node.identity,
      random: net.randomFor(`secure ${node.name}`),
      now: () => net.now,
    });
  }

  send(to: HostNode, text: string): void {
    this.#out(this.layer.send(to.id, new TextEncoder().encode(text)));
  }

  /** Feeds the agent's new datagrams to the secure layer. */
  pump(seen: { n: number }): void {
    const events = this.node.events;
    for (; seen.n < events.length; seen.n++) {
      const e = events[seen.n]!;
      if (e.type !== 'datagram') continue;
      this.#out(this.layer.receive(e.from, e.data));
    }
  }

  #out(outputs: SecureOutput[]): void {
    for (const o of outputs) {
      if (o.type === 'send') this.node.apply(this.node.agent.send(o.peer, o.packet, this.net.now));
      if (o.type === 'deliver') {
        const text = new TextDecoder().decode(o.payload);
        this.got.push(text);
        const from = this.net.hostById(o.peer);
        if (from && text.startsWith('ping')) this.send(from, `pong${text.slice(4)}`);
      }
    }
  }
}

describe('the secure layer over the host agent', () => {
  it('handshakes through the base, then carries DATA direct; the base never sees cleartext', () => {
    const net = new Net(21);
    const base = net.addBase('b0', '198.51.100.1');
    const a = net.addHost('a', testIdentity(11), {
      lanIp: '192.168.1.10',
      lan: 'lanA',
      nat: net.addNat('203.0.113.10', 'eim'),
      bases: [base],
    });
    const b = net.addHost('b', testIdentity(12), {
      lanIp: '192.168.2.20',
      lan: 'lanB',
      nat: net.addNat('203.0.113.20', 'eim'),
      bases: [base],
    });
    const seenAtBase: Uint8Array[] = [];
    net.tap = (_src, _to, bytes) => {
      if (bytes[0] === 1) seenAtBase.push(bytes); // P2B DATA over UDP
    };
    a.start();
    b.start();
    net.runFor(1_000);
    const sa = new SecureApp(net, a);
    const sb = new SecureApp(net, b);
    const seenA = { n: 0 };
    const seenB = { n: 0 };
    const step = (ms: number) => {
      for (let t = 0; t < ms; t += 10) {
        net.runFor(10);
        sa.pump(seenA);
        sb.pump(seenB);
      }
    };
    for (let i = 0; i < 20; i++) {
      sa.send(b, `ping secret ${i}`);
      step(500);
    }
    expect(sb.got.filter((t) => t.startsWith('ping secret'))).toHaveLength(20);
    expect(sa.got.filter((t) => t.startsWith('pong secret'))).toHaveLength(20);
    expect(sa.layer.peer(b.id)?.established).toBe(true);
    expect(a.path(b).path).toBe('direct');
    // what the base relayed was secure-layer packets, never the text
    expect(seenAtBase.length).toBeGreaterThan(0);
    const needle = new TextEncoder().encode('secret');
    for (const d of seenAtBase) {
      const hay = Buffer.from(d);
      expect(hay.includes(Buffer.from(needle))).toBe(false);
      expect([0, 1, 2, 3]).toContain(d[33]); // a secure DATA or HELLO type after `01 ‖ src ‖ dst`
    }
    // the later pings went direct: the base relayed only the first few packets
    const relayed = base.server.stats.relayedUdp + base.server.stats.relayedTcp;
    expect(relayed).toBeLessThan(10);
    expect(formatIp(a.id)).toMatch(/^fc94:/);
  });
});
