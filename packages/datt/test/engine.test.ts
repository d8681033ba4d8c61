import { toHex, utf8Encode } from '@peerwire/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addressFromPublicKey,
  DATT_COMMANDS,
  DattEngine,
  type DattEvent,
  type DattLimits,
  type DattOutput,
  type DattPolicy,
  encodeContentBody,
  encodeDmsg,
  encodeMessage,
  MemoryContentStore,
  publicKeyOf,
  sha256,
  signContentAuth,
} from '../src/index.js';
import { buildPayment, keyOf, ManualClock, seededRandom } from './helpers.js';

interface Node {
  readonly name: string;
  readonly engine: DattEngine;
  readonly store: MemoryContentStore;
  readonly events: DattEvent[];
  readonly outputs: DattOutput[];
}

/** Engines wired back to back in memory; peer ids are the other node's name. */
class Net {
  readonly clock = new ManualClock();
  readonly nodes = new Map<string, Node>();
  readonly links = new Map<string, string>(); // "a>b" -> delivered to b as peer a

  add(name: string, policy?: DattPolicy, limits?: DattLimits): Node {
    const store = new MemoryContentStore();
    const events: DattEvent[] = [];
    const outputs: DattOutput[] = [];
    const engine = new DattEngine({
      store,
      clock: this.clock,
      random: seededRandom(name),
      policy,
      limits,
      output: (out) => {
        outputs.push(out);
        if (out.type === 'event') events.push(out.event);
        if (out.type === 'send') {
          const to = this.nodes.get(out.peer);
          if (to) queueMicrotask(() => to.engine.receive(name, out.bytes));
        }
        if (out.type === 'close') {
          queueMicrotask(() => {
            engine.removePeer(out.peer);
            this.nodes.get(out.peer)?.engine.removePeer(name);
          });
        }
      },
    });
    const node = { name, engine, store, events, outputs };
    this.nodes.set(name, node);
    return node;
  }

  connect(from: Node, to: Node): void {
    to.engine.addPeer(from.name, { outbound: false, framing: 'stream' });
    from.engine.addPeer(to.name, { outbound: true, framing: 'stream' });
  }

  async settle(): Promise<void> {
    for (let i = 0; i < 20; i++) {
      await Promise.all([...this.nodes.values()].map((n) => n.engine.idle()));
      await new Promise((r) => setTimeout(r, 0));
    }
  }
}

function eventsOf<T extends DattEvent['type']>(
  node: Node,
  type: T,
): Extract<DattEvent, { type: T }>[] {
  return node.events.filter((e): e is Extract<DattEvent, { type: T }> => e.type === type);
}

const author = keyOf('author');
const serverKey = keyOf('server');
const payTo = addressFromPublicKey(publicKeyOf(serverKey));
const content = signContentAuth(
  { content: encodeContentBody({ name: 'a', label: 'science', title: 't', body: 'b' }), date: 1 },
  author,
);

async function pair(policy?: DattPolicy, limits?: DattLimits) {
  const net = new Net();
  const server = net.add('server', policy, limits);
  const client = net.add('client');
  net.connect(client, server);
  await net.settle();
  return { net, server, client };
}

describe('DattEngine', () => {
  it('runs the init exchange and announces services', async () => {
    const { server, client } = await pair({
      acceptPosts: false,
      advertise: ['tcp://127.0.0.1:4000'],
    });
    expect(server.engine.readyPeers()).toEqual(['client']);
    expect(client.engine.readyPeers()).toEqual(['server']);
    expect(client.engine.remoteInfo('server')).toEqual({
      version: 1,
      services: 1n,
      addresses: ['tcp://127.0.0.1:4000'],
    });
    expect(eventsOf(client, 'peer-ready').length).toBe(1);
  });

  it('serves free content by hash and the client keeps it', async () => {
    const { net, server, client } = await pair();
    await server.engine.publish(content.hash, content.bytes);
    client.engine.requestContent('server', content.hash);
    await net.settle();
    const got = eventsOf(client, 'content-received');
    expect(got.length).toBe(1);
    expect(got[0]!.requested).toBe(true);
    expect(toHex(got[0]!.contentAuth)).toBe(toHex(content.bytes));
    expect(await client.store.has(content.hash)).toBe(true);
    expect(server.engine.stats.contentServed).toBe(1);
  });

  it('reports NOT_FOUND through the barrier ping, without waiting for a timeout', async () => {
    const { net, client } = await pair();
    client.engine.requestContent('server', sha256(utf8Encode('nothing')));
    await net.settle();
    expect(eventsOf(client, 'request-failed').map((e) => e.reason)).toEqual(['NOT_FOUND']);
  });

  it('stores free posts after verifying them', async () => {
    const { net, server, client } = await pair();
    client.engine.postContent('server', content.hash, content.bytes);
    await net.settle();
    expect(eventsOf(client, 'post-result').length).toBe(1);
    expect(await server.store.has(content.hash)).toBe(true);
    expect(eventsOf(server, 'content-stored')[0]?.peer).toBe('client');
  });

  it('asks for payment before serving, verifies the transaction, acks, then serves', async () => {
    const { net, server, client } = await pair({ getPrice: 1_000n, payTo });
    await server.engine.publish(content.hash, content.bytes);
    client.engine.requestContent('server', content.hash);
    await net.settle();
    const [asked] = eventsOf(client, 'payment-requested');
    expect(asked?.request.amount).toBe(1_000n);
    expect(toHex(asked!.request.address)).toBe(toHex(payTo));
    expect(eventsOf(client, 'content-received').length).toBe(0);
    const tx = buildPayment([{ address: payTo, satoshis: 1_000n }]);
    client.engine.pay('server', content.hash, tx);
    await net.settle();
    expect(eventsOf(client, 'content-received').length).toBe(1);
    expect(eventsOf(server, 'payment-accepted').length).toBe(1);
    expect(server.engine.stats.paymentsAccepted).toBe(1);
    expect(eventsOf(client, 'request-failed')).toEqual([]);

    // The same transaction cannot pay twice.
    client.engine.requestContent('server', content.hash);
    await net.settle();
    client.engine.pay('server', content.hash, tx);
    await net.settle();
    expect(eventsOf(server, 'payment-rejected').map((e) => e.code)).toEqual(['PAYMENT_REUSED']);
    expect(eventsOf(client, 'request-failed').map((e) => e.reason)).toEqual(['PAYMENT_REJECTED']);
  });

  it('remembers at most maxSeenTxids transactions (the oldest is forgotten first)', async () => {
    const { net, server, client } = await pair({ getPrice: 1_000n, payTo }, { maxSeenTxids: 1 });
    await server.engine.publish(content.hash, content.bytes);
    const payWith = async (tx: Uint8Array) => {
      client.engine.requestContent('server', content.hash);
      await net.settle();
      client.engine.pay('server', content.hash, tx);
      await net.settle();
    };
    const a = buildPayment([{ address: payTo, satoshis: 1_000n }], 1);
    const b = buildPayment([{ address: payTo, satoshis: 1_000n }], 2);
    await payWith(a);
    await payWith(a); // still remembered
    expect(eventsOf(server, 'payment-rejected').map((e) => e.code)).toEqual(['PAYMENT_REUSED']);
    await payWith(b); // forgets a
    await payWith(a);
    expect(eventsOf(server, 'payment-accepted').length).toBe(3);
    expect(eventsOf(server, 'payment-rejected').length).toBe(1);
  });

  it('stores a paid post only after a sufficient payment, and acks with the txid', async () => {
    const { net, server, client } = await pair({ postPrice: 500n, payTo });
    client.engine.postContent('server', content.hash, content.bytes);
    await net.settle();
    expect(eventsOf(client, 'payment-requested')[0]?.purpose).toBe('post');
    client.engine.pay('server', content.hash, buildPayment([{ address: payTo, satoshis: 499n }]));
    await net.settle();
    expect(eventsOf(server, 'payment-rejected').map((e) => e.code)).toEqual([
      'PAYMENT_INSUFFICIENT',
    ]);
    expect(await server.store.has(content.hash)).toBe(false);
    expect(eventsOf(client, 'request-failed').map((e) => e.reason)).toEqual(['PAYMENT_REJECTED']);

    client.engine.postContent('server', content.hash, content.bytes);
    await net.settle();
    client.engine.pay(
      'server',
      content.hash,
      buildPayment([{ address: payTo, satoshis: 600n }], 1),
    );
    await net.settle();
    const [result] = eventsOf(client, 'post-result');
    expect(result?.txid?.length).toBe(32);
    expect(await server.store.has(content.hash)).toBe(true);
  });

  it('gives up when the application declines to pay', async () => {
    const { net, server, client } = await pair({ getPrice: 1n, payTo });
    await server.engine.publish(content.hash, content.bytes);
    client.engine.requestContent('server', content.hash);
    await net.settle();
    client.engine.declinePayment('server', content.hash);
    expect(eventsOf(client, 'request-failed').map((e) => e.reason)).toEqual(['PAYMENT_DECLINED']);
  });

  it('times out handshakes and requests with the injected clock', async () => {
    const net = new Net();
    const server = net.add('server', undefined, {
      handshakeTimeoutMs: 1000,
      requestTimeoutMs: 5000,
    });
    server.engine.addPeer('silent', { outbound: false, framing: 'stream' });
    const timers = server.outputs.filter((o) => o.type === 'timer');
    expect(timers.at(-1)).toEqual({ type: 'timer', at: net.clock.time + 1000 });
    net.clock.time += 999;
    server.engine.tick();
    expect(server.engine.stats.disconnects.HANDSHAKE_TIMEOUT).toBe(0);
    net.clock.time += 1;
    server.engine.tick();
    expect(server.engine.stats.disconnects.HANDSHAKE_TIMEOUT).toBe(1);
    expect(server.engine.stats.misbehaving).toBe(1);
  });

  it('asks for a timer at the earliest live deadline only', async () => {
    const net = new Net();
    const server = net.add('server', undefined, { handshakeTimeoutMs: 1000 });
    const client = net.add('client');
    const t0 = net.clock.time;
    const lastTimer = () => server.outputs.filter((o) => o.type === 'timer').at(-1);
    server.engine.addPeer('a', { outbound: false, framing: 'stream' });
    net.clock.time += 500;
    server.engine.addPeer('b', { outbound: false, framing: 'stream' });
    expect(lastTimer()).toEqual({ type: 'timer', at: t0 + 1000 });
    // A peer that completes the init exchange releases its deadline: it never times out.
    net.connect(client, server);
    await net.settle();
    net.clock.time = t0 + 1000;
    server.engine.tick();
    expect(server.engine.stats.disconnects.HANDSHAKE_TIMEOUT).toBe(1);
    expect(lastTimer()).toEqual({ type: 'timer', at: t0 + 1500 });
    net.clock.time = t0 + 1500;
    server.engine.tick();
    await net.settle();
    expect(server.engine.stats.disconnects.HANDSHAKE_TIMEOUT).toBe(2);
    expect(server.engine.readyPeers()).toEqual(['client']);
    // Nothing left to wait for: no further timer is requested.
    const timers = server.outputs.filter((o) => o.type === 'timer').length;
    net.clock.time += 60_000;
    server.engine.tick();
    expect(server.outputs.filter((o) => o.type === 'timer').length).toBe(timers);
    expect(server.engine.readyPeers()).toEqual(['client']);
  });

  it('remembers at most maxPingsPerPeer unanswered pings per peer (oldest forgotten)', async () => {
    for (const [limits, pongs] of [
      [{ maxPingsPerPeer: 2 }, 2],
      [undefined, 3],
    ] as const) {
      const net = new Net();
      const server = net.add('server');
      const client = net.add('client', undefined, limits);
      net.connect(client, server);
      await net.settle();
      for (let i = 0; i < 3; i++) client.engine.ping('server');
      await net.settle();
      expect(eventsOf(client, 'pong').length).toBe(pongs);
    }
  });

  describe('misbehaving peers are disconnected and counted', () => {
    async function raw(bytes: Uint8Array, handshake = true) {
      const net = new Net();
      const server = net.add('server');
      server.engine.addPeer('raw', { outbound: false, framing: 'stream' });
      if (handshake)
        server.engine.receive(
          'raw',
          encodeMessage({ type: 'init', version: 1, services: 0n, addresses: [] }),
        );
      server.engine.receive('raw', bytes);
      await server.engine.idle();
      const closes = server.outputs.filter((o) => o.type === 'close');
      return { server, closes };
    }

    it('bad frames', async () => {
      const frame = encodeMessage({ type: 'getdata', hash: content.hash }).slice();
      frame[23]! ^= 1; // checksum
      const { server, closes } = await raw(frame);
      expect(closes).toMatchObject([{ type: 'close', peer: 'raw', reason: 'BAD_FRAME' }]);
      expect(server.engine.stats.disconnects.BAD_FRAME).toBe(1);
      expect(server.engine.stats.misbehaving).toBe(1);
      expect(eventsOf(server, 'misbehaved')[0]?.message).toMatch(/checksum/);
    });

    it('bad signatures', async () => {
      const forged = content.bytes.slice();
      forged[200]! ^= 1; // content changed after signing; hash recomputed so only the signature fails
      const { server, closes } = await raw(
        encodeMessage({ type: 'postdata', hash: sha256(forged), contentAuth: forged }),
      );
      expect(closes).toMatchObject([{ reason: 'BAD_SIGNATURE' }]);
      expect(server.engine.stats.disconnects.BAD_SIGNATURE).toBe(1);
      expect(await server.store.has(sha256(forged))).toBe(false);
    });

    it('content hashes that do not match', async () => {
      const { closes } = await raw(
        encodeMessage({
          type: 'postdata',
          hash: sha256(utf8Encode('x')),
          contentAuth: content.bytes,
        }),
      );
      expect(closes).toMatchObject([{ reason: 'BAD_SIGNATURE' }]);
    });

    it('unknown commands, bad layouts and messages before init', async () => {
      expect((await raw(encodeDmsg('inv', new Uint8Array(0)))).closes).toMatchObject([
        { reason: 'UNKNOWN_COMMAND' },
      ]);
      expect((await raw(encodeDmsg('getdata', new Uint8Array(5)))).closes).toMatchObject([
        { reason: 'BAD_MESSAGE' },
      ]);
      expect(
        (await raw(encodeMessage({ type: 'getdata', hash: content.hash }), false)).closes,
      ).toMatchObject([{ reason: 'PROTOCOL' }]);
    });

    it('floods', async () => {
      const net = new Net();
      const server = net.add('server', undefined, { maxQueuedMessages: 10 });
      server.engine.addPeer('raw', { outbound: false, framing: 'stream' });
      server.engine.receive(
        'raw',
        encodeMessage({ type: 'init', version: 1, services: 0n, addresses: [] }),
      );
      const ping = encodeMessage({ type: 'ping', nonce: new Uint8Array(8) });
      const burst = new Uint8Array(ping.length * 20);
      for (let i = 0; i < 20; i++) burst.set(ping, i * ping.length);
      server.engine.receive('raw', burst);
      expect(server.engine.stats.disconnects.FLOODING).toBe(1);
    });

    it('and other peers are not affected', async () => {
      const { net, server, client } = await pair();
      await server.engine.publish(content.hash, content.bytes);
      server.engine.addPeer('evil', { outbound: false, framing: 'message' });
      server.engine.receive('evil', utf8Encode('GET / HTTP/1.1\r\n\r\n'));
      client.engine.requestContent('server', content.hash);
      await net.settle();
      expect(server.engine.stats.disconnects.BAD_FRAME).toBe(1);
      expect(eventsOf(client, 'content-received').length).toBe(1);
    });
  });

  it('survives arbitrary message sequences from a peer', async () => {
    const arbFrame = fc.oneof(
      fc
        .record({ cmd: fc.constantFrom(...DATT_COMMANDS), data: fc.uint8Array({ maxLength: 300 }) })
        .map(({ cmd, data }) => encodeDmsg(cmd, data)),
      fc.constantFrom(
        encodeMessage({ type: 'init', version: 1, services: 3n, addresses: [] }),
        encodeMessage({ type: 'postdata', hash: content.hash, contentAuth: content.bytes }),
        encodeMessage({ type: 'getdata', hash: content.hash }),
        encodeMessage({
          type: 'sendpayment',
          ref: content.hash,
          transaction: buildPayment([{ address: payTo, satoshis: 5n }]),
        }),
      ),
      fc.uint8Array({ maxLength: 40 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(arbFrame, { maxLength: 8 }), fc.boolean(), async (frames, paid) => {
        const net = new Net();
        const server = net.add('server', paid ? { getPrice: 5n, postPrice: 5n, payTo } : undefined);
        server.engine.addPeer('fuzz', { outbound: false, framing: 'message' });
        for (const f of frames) server.engine.receive('fuzz', f);
        await server.engine.idle();
        const s = server.engine.stats;
        expect(s.messagesIn).toBeLessThanOrEqual(frames.length);
        expect(
          eventsOf(server, 'ignored').filter(
            (e) => e.command !== 'auth' && /is not a function|undefined/.test(e.why),
          ),
        ).toEqual([]);
      }),
      { numRuns: 500 }, // signature checks and async store work in each case
    );
  });
});
