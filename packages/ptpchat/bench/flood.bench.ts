// Flood delivery through the 200-node in-process network (test/sim.ts): a public-channel MESSAGE
// from a random node, every other node a member (so each one verifies the Ed25519 signature),
// until every node has delivered it. Figures: deliveries per second (wall clock, one core) and
// transmissions per delivery. Baselines in the same run: the floor of one transmission per edge
// for a flood, and a raw flood over the same graph that only parses the JSON envelope, checks a
// Set of msg_ids and forwards the same bytes (no schema, no signature, no engine).
// Floods come from 10 origins whose certificates every node fetched during a warm-up flood.
// PTPCHAT_BENCH_FLOODS (default 20 per round) and PTPCHAT_BENCH_ROUNDS (default 3).
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { median, report } from '../../../tooling/bench.js';
import { randomTopology, SimNetwork, type SimNode } from '../test/sim.js';

const N = 200;
const EXTRA = 200;
const FLOODS = Number(process.env.PTPCHAT_BENCH_FLOODS ?? 20);
const ROUNDS = Number(process.env.PTPCHAT_BENCH_ROUNDS ?? 3);

const net = new SimNetwork({ seed: 42, keepEvents: false, latency: [1, 3] });
const nodes: SimNode[] = [];
for (let i = 0; i < N; i++) nodes.push(await net.addNode(`n${i}`));
randomTopology(net, nodes, EXTRA);
await net.runFor(5000);
const channel = nodes[0]!.node.createChannel('bench');
await net.runFor(1000);
for (const n of nodes.slice(1)) n.node.join(channel.channelId);
await net.runFor(2000);
const edges = net.edges;
// Floods come from 10 fixed origins; each floods once first, so that every node has fetched
// their certificates (GETCERTIFICATE/CERTIFICATE) before the measured rounds.
const origins = Array.from({ length: 10 }, () => nodes[Math.floor(net.rng() * N)]!);
for (const o of origins) {
  await o.node.sendMessage(channel.channelId, 'warm-up');
  await net.runFor(1000);
}
await net.runFor(2000);

let deliveries = 0;
let messageSends = 0;
let ackSends = 0;
net.onOutput = (_from, o) => {
  if (o.type === 'message') deliveries++;
  else if (o.type === 'send' && o.message.msg_type === 'MESSAGE') messageSends++;
  else if (o.type === 'send' && o.message.msg_type === 'ACK') ackSends++;
};

// The raw flood: adjacency from the engine's own neighbour tables.
const index = new Map(nodes.map((n, i) => [n.node.nodeId, i]));
const adjacency = nodes.map((n) => n.node.neighbours().map((nb) => index.get(nb.nodeId)!));
const key = generateKeyPairSync('ed25519');
const signed = new TextEncoder().encode('flood text');
const signature = sign(null, signed, key.privateKey);
/** `verifyEach`: one Ed25519 verification per delivery, what every member must do at least. */
function rawFlood(origin: number, frame: Uint8Array, verifyEach = false): number {
  const seen = nodes.map(() => new Set<string>());
  const queue: [number, number, Uint8Array][] = adjacency[origin]!.map((to) => [to, origin, frame]);
  const decoder = new TextDecoder();
  let delivered = 0;
  let sends = queue.length;
  seen[origin]!.add('x');
  while (queue.length) {
    const [at, from, bytes] = queue.shift()!;
    const msg = JSON.parse(decoder.decode(bytes.subarray(4))) as { msg_id: string };
    if (seen[at]!.has(msg.msg_id)) continue;
    seen[at]!.add(msg.msg_id);
    if (verifyEach && !verify(null, signed, key.publicKey, signature))
      throw new Error('bad signature');
    delivered++;
    for (const to of adjacency[at]!) {
      if (to === from) continue;
      queue.push([to, at, bytes]);
      sends++;
    }
  }
  void sends;
  return delivered;
}
let sample: Uint8Array | undefined;
net.onOutput = ((prev) => (from, o) => {
  if (!sample && o.type === 'send' && o.message.msg_type === 'MESSAGE') sample = o.bytes;
  prev?.(from, o);
})(net.onOutput);

const engineRates: number[] = [];
const rawRates: number[] = [];
const verifyRates: number[] = [];
const perDelivery: number[] = [];
const acksPerDelivery: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  deliveries = 0;
  messageSends = 0;
  ackSends = 0;
  const start = performance.now();
  for (let i = 0; i < FLOODS; i++) {
    const origin = origins[i % origins.length]!;
    await origin.node.sendMessage(channel.channelId, `flood ${r}.${i}`);
    await net.runFor(200);
  }
  await net.runFor(1000);
  const seconds = (performance.now() - start) / 1000;
  if (deliveries !== FLOODS * (N - 1))
    throw new Error(`only ${deliveries} of ${FLOODS * (N - 1)} deliveries`);
  engineRates.push(deliveries / seconds);
  perDelivery.push(messageSends / deliveries);
  acksPerDelivery.push(ackSends / deliveries);
  const rawStart = performance.now();
  let rawDelivered = 0;
  for (let i = 0; i < FLOODS; i++) {
    rawDelivered += rawFlood(Math.floor(net.rng() * N), sample!);
  }
  rawRates.push(rawDelivered / ((performance.now() - rawStart) / 1000));
  const verifyStart = performance.now();
  let verified = 0;
  for (let i = 0; i < FLOODS; i++) verified += rawFlood(Math.floor(net.rng() * N), sample!, true);
  verifyRates.push(verified / ((performance.now() - verifyStart) / 1000));
}

report(`ptpchat flood delivery: ${N} nodes, ${edges} edges, ${FLOODS} floods x ${ROUNDS} rounds`, [
  {
    name: 'deliveries per second (engine: schema, dedup, Ed25519 verification at every node)',
    value: median(engineRates),
    unit: 'deliveries/s',
    baseline: median(rawRates),
    baselineName: 'raw flood: JSON.parse + Set dedup + forward',
  },
  {
    name: 'deliveries per second, against the crypto floor',
    value: median(engineRates),
    unit: 'deliveries/s',
    baseline: median(verifyRates),
    baselineName: 'raw flood + one node:crypto Ed25519 verification per delivery',
  },
  {
    name: 'MESSAGE transmissions per delivery',
    value: median(perDelivery),
    unit: 'tx/delivery',
    baseline: edges / (N - 1),
    baselineName: 'floor: one per edge',
    lowerIsBetter: true,
  },
  {
    name: 'hop-by-hop ACKs per delivery (not counted above)',
    value: median(acksPerDelivery),
    unit: 'ACK/delivery',
  },
]);
