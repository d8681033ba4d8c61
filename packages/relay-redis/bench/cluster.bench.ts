// Cross-relay routing cost: 100 sender/receiver pairs split across two relay cores joined by
// RedisCluster (a real redis-server on loopback), against the same load inside one relay core,
// interleaved in the same run. Then the presence cost of 10,000 identities in Redis.
import { Relay } from '@peerwire/relay';
import { encodeInstantMessage, MsgFlag, PacketType, readPacketType } from '@peerwire/wire';
import { Redis } from 'ioredis';
import { measureAllAsync, median, report } from '../../../tooling/bench.js';
import { startTestRedis } from '../../../tooling/redis-server.js';
import { onlinePeer } from '../../relay/bench/online-peer.js';
import { RedisCluster } from '../src/index.js';

const PAIRS = 100;
const unlimited = {
  messagesPerSecond: 1e12,
  messageBurst: 1e12,
  bytesPerSecond: 1e15,
  byteBurst: 1e15,
};

const redis = await startTestRedis();
try {
  /** arrival callbacks by message number */
  const sentAt = new Float64Array(1 << 22);
  const latencies = { single: [] as number[], split: [] as number[] };
  let current: number[] = latencies.single;
  let waiting = 0;
  let wake: () => void = () => {};

  let peers = 0;
  const peer = (relay: Relay) =>
    // one address each: per-IP limit
    onlinePeer(relay, `10.0.${++peers >> 8}.${peers & 255}`, (packet) => {
      if (readPacketType(packet) !== PacketType.InstantMessage) return;
      // the message number is the last 4 bytes of the body, the end of the packet
      const n = new DataView(packet.buffer, packet.byteOffset + packet.length - 4, 4).getUint32(0);
      current.push(performance.now() - sentAt[n]!);
      if (--waiting === 0) wake();
    });

  // one relay holding every pair
  const single = new Relay({ serverCode: 'one', limits: unlimited });
  await single.start();
  type Peer = Awaited<ReturnType<typeof peer>>;
  const singlePairs: (readonly [Peer, Peer])[] = [];
  for (let i = 0; i < PAIRS; i++)
    singlePairs.push([await peer(single), await peer(single)] as const);

  // two relays, senders on A, receivers on B
  const nodes = [];
  for (const srv of ['a', 'b']) {
    const cluster = await RedisCluster.connect({
      url: redis.url,
      serverCode: srv,
      keyPrefix: 'bench:',
    });
    const relay = new Relay({
      serverCode: srv,
      bus: cluster.bus,
      store: cluster.store,
      limits: unlimited,
    });
    cluster.attach((t, p, o) => relay.deliverFromBus(t, p, o));
    await relay.start();
    nodes.push({ cluster, relay });
  }
  const splitPairs: (readonly [Peer, Peer])[] = [];
  for (let i = 0; i < PAIRS; i++)
    splitPairs.push([await peer(nodes[0]!.relay), await peer(nodes[1]!.relay)] as const);
  while (nodes[0]!.cluster.view.size < PAIRS) await new Promise((r) => setTimeout(r, 20));

  let seq = 0;
  const body = new Uint8Array(256);
  const view = new DataView(body.buffer);
  /** One batch: every sender sends one instant message to its receiver; wait for all 100. */
  const batch =
    (pairs: typeof singlePairs, into: number[], perPair = 1) =>
    () => {
      current = into;
      waiting = pairs.length * perPair;
      const all = new Promise<void>((r) => {
        wake = r;
      });
      for (let k = 0; k < perPair; k++)
        for (const [s, r] of pairs) {
          const n = seq++ & ((1 << 22) - 1);
          view.setUint32(body.length - 4, n);
          sentAt[n] = performance.now();
          // unique ids from the counter: drawing 16 random bytes per message cost the load
          // generator more than the single relay's whole routing (a profile showed it)
          const id = new Uint8Array(16);
          new DataView(id.buffer).setUint32(12, n);
          s.session.receive(
            encodeInstantMessage({
              id,
              flags: MsgFlag.NotBottle,
              recipient: `${r.address}/bench`,
              sender: '/bench',
              body,
            }),
          );
        }
      return all;
    };
  const r = await measureAllAsync(
    { single: batch(singlePairs, latencies.single), split: batch(splitPairs, latencies.split) },
    { rounds: 5, roundMs: 1000, warmupMs: 600 },
  );
  const pct = (xs: number[], p: number) =>
    [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * p)]!;
  const rows = {
    singleRate: r.single! * PAIRS,
    splitRate: r.split! * PAIRS,
    singleP50: median(latencies.single),
    singleP99: pct(latencies.single, 0.99),
    splitP50: median(latencies.split),
    splitP99: pct(latencies.split, 0.99),
  };
  report(
    `Routed instant messages, ${PAIRS} pairs, 256-byte bodies, batches of ${PAIRS} in flight`,
    [
      {
        name: 'pairs split across two relays (RedisCluster, one redis-server)',
        value: rows.splitRate,
        unit: 'msg/s',
        baseline: rows.singleRate,
        baselineName: 'all pairs in one relay',
        goalRatio: 0.5,
      },
      {
        name: 'p50 latency, split',
        value: rows.splitP50,
        unit: 'ms',
        baseline: rows.singleP50,
        baselineName: 'one relay',
        lowerIsBetter: true,
      },
      {
        name: 'p99 latency, split',
        value: rows.splitP99,
        unit: 'ms',
        baseline: rows.singleP99,
        baselineName: 'one relay',
        goalRatio: 2,
        lowerIsBetter: true,
      },
    ],
  );
  // Deeper pipeline: 8 messages per pair in flight (800 at once).
  const deep = { single: [] as number[], split: [] as number[] };
  const d = await measureAllAsync(
    { single: batch(singlePairs, deep.single, 8), split: batch(splitPairs, deep.split, 8) },
    { rounds: 5, roundMs: 1000, warmupMs: 600 },
  );
  report(`Same, 8 messages per pair in flight (${PAIRS * 8} at once)`, [
    {
      name: 'pairs split across two relays',
      value: d.split! * PAIRS * 8,
      unit: 'msg/s',
      baseline: d.single! * PAIRS * 8,
      baselineName: 'all pairs in one relay',
      goalRatio: 0.5,
    },
    {
      name: 'p50 latency, split',
      value: median(deep.split),
      unit: 'ms',
      baseline: median(deep.single),
      baselineName: 'one relay',
      lowerIsBetter: true,
    },
    {
      name: 'p99 latency, split',
      value: pct(deep.split, 0.99),
      unit: 'ms',
      baseline: pct(deep.single, 0.99),
      baselineName: 'one relay',
      goalRatio: 2,
      lowerIsBetter: true,
    },
  ]);
  for (const n of nodes) await n.cluster.close();

  // Presence cost: 10,000 identities coming online on relay P, seen by relay Q.
  const IDS = 10_000;
  const admin = new Redis(redis.url);
  const info = async () => {
    const text = await admin.info();
    const num = (k: string) => Number(new RegExp(`${k}:(\\d+)`).exec(text)![1]);
    return { memory: num('used_memory'), commands: num('total_commands_processed') };
  };
  const p = await RedisCluster.connect({ url: redis.url, serverCode: 'p', keyPrefix: 'presence:' });
  const q = await RedisCluster.connect({ url: redis.url, serverCode: 'q', keyPrefix: 'presence:' });
  const before = await info();
  const hashes = Array.from({ length: IDS }, (_, i) =>
    Buffer.alloc(32, i).toString('base64url').slice(0, 43),
  );
  for (let i = 0; i < IDS; i++) {
    const hash = `${hashes[i]!.slice(0, 37)}${String(i).padStart(6, '0')}`;
    p.bus.announce({ type: 'online', cid: `p.conn-${i}`, hash, groups: [] });
  }
  while (q.view.size < IDS) await new Promise((res) => setTimeout(res, 20));
  const after = await info();
  const perId = {
    bytes: (after.memory - before.memory) / IDS,
    commands: (after.commands - before.commands - 1) / IDS, // less the INFO itself
  };
  const hb0 = await info();
  await new Promise((res) => setTimeout(res, 2 * 2000 + 200)); // two heartbeats of each relay
  const hb1 = await info();
  report(`Presence cost in Redis, ${IDS.toLocaleString('en-US')} identities online on one relay`, [
    { name: 'Redis memory per identity', value: perId.bytes, unit: 'bytes' },
    { name: 'Redis commands per identity coming online', value: perId.commands, unit: 'commands' },
    {
      name: 'Redis commands per heartbeat period (2 s), both relays, any number of identities',
      value: (hb1.commands - hb0.commands - 1) / 2,
      unit: 'commands',
    },
  ]);
  await p.close();
  await q.close();
  admin.disconnect();
} finally {
  await redis.stop();
}
