// Spot relay benchmarks, with the relay in its own process (it gets one core, the load
// generator the other):
// 1. routed instant messages/s, 100 sender/receiver pairs, 1 KiB bodies, beside a raw ws
//    forwarder that parses nothing (same run, same load generator); goal >= 0.8x;
// 2. p50/p99 latency at half the measured maximum rate;
// 3. 10,000 concurrent handshaked idle connections: relay memory per connection (goal <= 20 KiB)
//    and P-256 handshakes per second (goal >= 3,000/s).
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { encodeInstantMessage, MsgFlag } from '@peerwire/wire';
import WebSocket from 'ws';
import { median, report } from '../../../tooling/bench.js';
import {
  cpuSeconds,
  type Identity,
  identity,
  open,
  percentile,
  rssKiB,
  spotConnect,
  startRelayProcess,
  stopProcess,
} from './spot-load.js';

const PAIRS = Number(process.env.BENCH_PAIRS ?? 100);
const IDLE = Number(process.env.BENCH_IDLE ?? 10_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WINDOW = 32; // messages in flight per pair
const BODY = new Uint8Array(1024).fill(0x61);

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

async function startForwarder(): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(here('raw-forwarder.mjs'), ['0'], { stdio: 'inherit' });
  const port = await new Promise<number>((resolve) =>
    child.once('message', (m: { port: number }) => resolve(m.port)),
  );
  return { child, port };
}

interface Pair {
  send(): void;
}

/**
 * Closed-loop load: each pair keeps WINDOW messages in flight. Returns delivered messages/s
 * over SECONDS after a 1 s warm-up.
 */
async function closedLoop(pairs: Pair[], counter: { delivered: number }): Promise<number> {
  for (const p of pairs) for (let i = 0; i < WINDOW; i++) p.send();
  await new Promise((r) => setTimeout(r, 1000));
  const start = counter.delivered;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  return ((counter.delivered - start) * 1000) / (performance.now() - t0);
}

async function spotPairs(url: string, ids: Identity[]) {
  const counter = { delivered: 0 };
  let running = true;
  const latencies: number[] = [];
  let measureLatency = false;
  const pairs: (Pair & {
    sender: WebSocket;
    receiver: WebSocket;
    packet: Uint8Array;
    target: string;
  })[] = [];
  for (let i = 0; i < PAIRS; i++) {
    const recvId = ids[2 * i + 1]!;
    const packet = encodeInstantMessage({
      id: new Uint8Array(16),
      flags: MsgFlag.NotBottle,
      recipient: `${recvId.address}/bench`,
      sender: '/b',
      body: BODY,
    });
    const pair = {
      sender: undefined as unknown as WebSocket,
      receiver: undefined as unknown as WebSocket,
      packet,
      target: recvId.address,
      send: () => {},
    };
    pair.receiver = await spotConnect(url, recvId, (data) => {
      counter.delivered++;
      if (measureLatency) {
        const sent = data.readDoubleBE(data.length - 8);
        latencies.push(performance.now() - sent);
      } else if (running) pair.send();
    });
    pair.sender = await spotConnect(url, ids[2 * i]!);
    pair.send = () => pair.sender.send(packet);
    pairs.push(pair);
  }
  return {
    pairs,
    counter,
    stop() {
      running = false;
    },
    /** Open loop at `rate` messages/s overall for `seconds`; returns latencies (ms). */
    async openLoop(rate: number, seconds: number): Promise<number[]> {
      running = false;
      await new Promise((r) => setTimeout(r, 500));
      measureLatency = true;
      const perTick = rate / 1000; // 1 ms ticks
      let credit = 0;
      const end = performance.now() + seconds * 1000;
      let k = 0;
      await new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          credit += perTick;
          while (credit >= 1) {
            credit--;
            const p = pairs[k++ % pairs.length]!;
            const body = new Uint8Array(1024);
            new DataView(body.buffer).setFloat64(1016, performance.now(), false);
            p.sender.send(
              encodeInstantMessage({
                id: new Uint8Array(16),
                flags: MsgFlag.NotBottle,
                recipient: `${p.target}/bench`,
                sender: '/b',
                body,
              }),
            );
          }
          if (performance.now() > end) {
            clearInterval(timer);
            resolve();
          }
        }, 1);
      });
      await new Promise((r) => setTimeout(r, 500));
      measureLatency = false;
      return latencies;
    },
    close() {
      for (const p of pairs) {
        p.sender.terminate();
        p.receiver.terminate();
      }
    },
  };
}

async function rawPairs(port: number) {
  const counter = { delivered: 0 };
  let running = true;
  const pairs: (Pair & { sender: WebSocket; receiver: WebSocket })[] = [];
  const packet = encodeInstantMessage({
    id: new Uint8Array(16),
    flags: MsgFlag.NotBottle,
    recipient: 'k.x/bench',
    sender: '/b',
    body: BODY,
  });
  for (let i = 0; i < PAIRS; i++) {
    const receiver = await open(`ws://127.0.0.1:${port}/?pair=${i}&role=recv`);
    const sender = await open(`ws://127.0.0.1:${port}/?pair=${i}&role=send`);
    const pair = { sender, receiver, send: () => sender.send(packet) };
    receiver.on('message', () => {
      counter.delivered++;
      if (running) pair.send();
    });
    pairs.push(pair);
  }
  return {
    pairs,
    counter,
    stop() {
      running = false;
    },
    close() {
      for (const p of pairs) {
        p.sender.terminate();
        p.receiver.terminate();
      }
    },
  };
}

console.log(`\nPreparing ${2 * PAIRS} identities for the routing run…`);
const ids = await Promise.all(Array.from({ length: 2 * PAIRS }, identity));

// --- 1 & 2: routing throughput and latency -----------------------------------------------------
// Forwarder and relay alternate for ROUNDS rounds (medians): the machine's load drifts.
const rawRates: number[] = [];
const spotRates: number[] = [];
/** CPU µs per forwarded message of the forwarder / relay process (warm-up included). */
const rawCpu: number[] = [];
const spotCpu: number[] = [];
/** Runs the closed loop; returns its rate and the server process's CPU µs per message. */
async function measured(pairs: Pair[], counter: { delivered: number }, pid: number) {
  const cpu0 = cpuSeconds(pid);
  const n0 = counter.delivered;
  const rate = await closedLoop(pairs, counter);
  return { rate, cpu: ((cpuSeconds(pid) - cpu0) * 1e6) / (counter.delivered - n0) };
}
let latencies: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const forwarder = await startForwarder();
  const raw = await rawPairs(forwarder.port);
  const r = await measured(raw.pairs, raw.counter, forwarder.child.pid!);
  rawRates.push(r.rate);
  rawCpu.push(r.cpu);
  raw.stop();
  raw.close();
  await stopProcess(forwarder.child);

  const relay = await startRelayProcess();
  const spotUrl = `ws://127.0.0.1:${relay.port}/_websocket`;
  const spot = await spotPairs(spotUrl, ids);
  const m = await measured(spot.pairs, spot.counter, relay.child.pid!);
  spotRates.push(m.rate);
  spotCpu.push(m.cpu);
  spot.stop();
  if (round === ROUNDS - 1)
    latencies = (await spot.openLoop(median(spotRates) / 2, SECONDS)).sort((a, b) => a - b);
  spot.close();
  await stopProcess(relay.child);
}
const rawRate = median(rawRates);
const spotRate = median(spotRates);
console.log(
  `rounds: relay ${spotRates.map(Math.round).join(', ')} msg/s, ${spotCpu.map((x) => x.toFixed(2)).join(', ')} µs/msg; forwarder ${rawRates.map(Math.round).join(', ')} msg/s, ${rawCpu.map((x) => x.toFixed(2)).join(', ')} µs/msg`,
);

report(
  `Routed instant messages, ${PAIRS} pairs over loopback WebSocket, 1 KiB bodies (medians of ${ROUNDS} rounds)`,
  [
    {
      name: 'peerwire relay',
      value: spotRate,
      unit: 'msg/s',
      baseline: rawRate,
      baselineName: 'raw ws forwarder, parses nothing',
      goalRatio: 0.8,
    },
  ],
);
report(
  `Latency at half the maximum rate (${Math.round(spotRate / 2)} msg/s, ${latencies.length} samples)`,
  [
    { name: 'p50', value: percentile(latencies, 50), unit: 'ms', lowerIsBetter: true },
    { name: 'p99', value: percentile(latencies, 99), unit: 'ms', lowerIsBetter: true },
  ],
);

// --- 3: idle connections: memory and handshake rate --------------------------------------------
const CONCURRENCY = 256;

/** Runs `connect` IDLE times, CONCURRENCY at a time; returns the sockets and the rate. */
async function connectAll(
  connect: (i: number) => Promise<WebSocket>,
): Promise<{ sockets: WebSocket[]; rate: number }> {
  const sockets: WebSocket[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < IDLE) sockets.push(await connect(next++));
    }),
  );
  return { sockets, rate: (IDLE * 1000) / (performance.now() - t0) };
}

if (IDLE === 0) process.exit(0); // BENCH_IDLE=0: the routing figures only

console.log(`\nPreparing ${IDLE} identities for the idle-connection run…`);
const idleIds: Identity[] = [];
for (let i = 0; i < IDLE; i++) idleIds.push(await identity());

// baseline: the same number of raw ws connections, each with a challenge/response exchange
const forwarder2 = await startForwarder();
const raw2 = await connectAll(
  () =>
    new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${forwarder2.port}/challenge`, {
        perMessageDeflate: false,
      });
      let n = 0;
      ws.on('message', () => {
        if (++n === 1) ws.send(Buffer.alloc(300, 2));
        else resolve(ws);
      });
      ws.once('error', reject);
    }),
);
for (const s of raw2.sockets) s.terminate();
await stopProcess(forwarder2.child);

const relay2 = await startRelayProcess();
const url2 = `ws://127.0.0.1:${relay2.port}/_websocket`;
await new Promise((r) => setTimeout(r, 500));
const before = rssKiB(relay2.child.pid!);
const cpuBefore = cpuSeconds(relay2.child.pid!);
const loopBefore = cpuSeconds(relay2.child.pid!, true);
const spot2 = await connectAll((i) => spotConnect(url2, idleIds[i]!));
const relayCpu = cpuSeconds(relay2.child.pid!) - cpuBefore;
const relayLoopCpu = cpuSeconds(relay2.child.pid!, true) - loopBefore;
await new Promise((r) => setTimeout(r, 2000));
const after = rssKiB(relay2.child.pid!);
const perConnection = (after - before) / IDLE;
const health = (await (await fetch(`http://127.0.0.1:${relay2.port}/healthz`)).json()) as {
  online: number;
};
for (const s of spot2.sockets) s.terminate();
await stopProcess(relay2.child);

report(`${IDLE} concurrent handshaked idle connections (${health.online} online at the relay)`, [
  {
    name: 'relay memory per connection (RSS)',
    value: perConnection,
    unit: 'KiB',
    goal: 20,
    lowerIsBetter: true,
  },
  {
    name: 'P-256 handshakes per second',
    value: spot2.rate,
    unit: 'handshakes/s',
    baseline: raw2.rate,
    baselineName: 'raw ws connections with a challenge/response exchange, no crypto',
    goal: 3000,
  },
  {
    name: 'relay CPU per handshake (all threads)',
    value: (relayCpu * 1e6) / IDLE,
    unit: 'µs',
    lowerIsBetter: true,
  },
  {
    // What bounds the handshake rate on a machine with cores to spare.
    name: 'relay event-loop (main thread) CPU per handshake',
    value: (relayLoopCpu * 1e6) / IDLE,
    unit: 'µs',
    lowerIsBetter: true,
  },
]);
process.exit(0);
