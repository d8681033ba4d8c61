// Cross-relay routing through real daemons: 100 sender/receiver pairs over loopback WebSocket,
// each pair split across two `peerwire-relay --cluster` processes joined by one redis-server,
// beside the same load and the same clients inside one `peerwire-relay` process, in the same run
// (alternating, 2 rounds each, medians). Both sides go through WebSocket clients the same way,
// so the latencies compare like for like:
// 1. closed loop (WINDOW messages in flight per pair): delivered messages/s, goal split >= 0.5x;
// 2. open loop at the same fixed rate for both (half the slower one's maximum): p50/p99
//    latency, goal split p99 < 2x;
// 3. where the CPU goes during the closed loop: CPU µs per message of each process, and the
//    PUBLISH commands Redis ran per message (INFO commandstats).
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { encodeInstantMessage, MsgFlag } from '@peerwire/wire';
import type WebSocket from 'ws';
import { median, report } from '../../../tooling/bench.js';
import { startTestRedis } from '../../../tooling/redis-server.js';
import {
  cpuSeconds,
  type Identity,
  identity,
  percentile,
  spotConnect,
  startRelayProcess,
  stopProcess,
} from './spot-load.js';

const PAIRS = Number(process.env.BENCH_PAIRS ?? 100);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const WINDOW = 8; // messages in flight per pair in the closed loop
const BODY_BYTES = 256;

const redis = await startTestRedis();
const redisCli = (...args: string[]) =>
  execFileSync('redis-cli', ['-p', String(redis.port), ...args], { encoding: 'utf8' });
const redisPid = Number(/process_id:(\d+)/.exec(redisCli('INFO', 'server'))![1]);
const publishCalls = () => {
  const m = /cmdstat_publish:calls=(\d+),usec=(\d+)/.exec(redisCli('INFO', 'commandstats'));
  return m ? { calls: Number(m[1]), usec: Number(m[2]) } : { calls: 0, usec: 0 };
};

interface Setup {
  name: string;
  relays: { child: ChildProcess; port: number }[];
  senderUrl: string;
  receiverUrl: string;
}

async function single(): Promise<Setup> {
  const r = await startRelayProcess();
  const url = `ws://127.0.0.1:${r.port}/_websocket`;
  return { name: 'single', relays: [r], senderUrl: url, receiverUrl: url };
}

async function split(): Promise<Setup> {
  const a = await startRelayProcess(['--cluster', redis.url, '--server-code', 'a']);
  const b = await startRelayProcess(['--cluster', redis.url, '--server-code', 'b']);
  return {
    name: 'split',
    relays: [a, b],
    senderUrl: `ws://127.0.0.1:${a.port}/_websocket`,
    receiverUrl: `ws://127.0.0.1:${b.port}/_websocket`,
  };
}

function message(recipient: string, sentAt = 0): Uint8Array {
  const body = new Uint8Array(BODY_BYTES);
  new DataView(body.buffer).setFloat64(BODY_BYTES - 8, sentAt);
  return encodeInstantMessage({
    id: new Uint8Array(16),
    flags: MsgFlag.NotBottle,
    recipient: `${recipient}/bench`,
    sender: '/b',
    body,
  });
}

/** The whole load against one setup: connect, closed loop, open loop, disconnect. */
async function run(setup: Setup, ids: Identity[], openRate?: number) {
  let delivered = 0;
  let errors = 0;
  let closed = true;
  let latencies: number[] | undefined;
  const pairs: { sender: WebSocket; receiver: WebSocket; packet: Uint8Array; to: string }[] = [];
  for (let i = 0; i < PAIRS; i++) {
    const to = ids[2 * i + 1]!.address;
    const pair = { packet: message(to), to } as (typeof pairs)[number];
    pair.receiver = await spotConnect(setup.receiverUrl, ids[2 * i + 1]!, (data) => {
      delivered++;
      if (latencies) latencies.push(performance.now() - data.readDoubleBE(data.length - 8));
      else if (closed) pair.sender.send(pair.packet);
    });
    pair.sender = await spotConnect(setup.senderUrl, ids[2 * i]!, () => {
      errors++; // a `no route` reply: the receiver was not (yet) in the sender relay's view
    });
    pairs.push(pair);
  }
  if (setup.relays.length > 1) {
    // every receiver visible to the sending relay before the clock starts
    const health = `http://127.0.0.1:${setup.relays[0]!.port}/healthz`;
    for (;;) {
      const h = (await (await fetch(health)).json()) as {
        services?: { cluster?: { presenceEntries?: number } };
      };
      if ((h.services?.cluster?.presenceEntries ?? 0) >= PAIRS) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const pids = [...setup.relays.map((r) => r.child.pid!), redisPid];
  for (const p of pairs) for (let i = 0; i < WINDOW; i++) p.sender.send(p.packet);
  await new Promise((r) => setTimeout(r, 1000));
  const start = delivered;
  const cpu0 = pids.map((pid) => cpuSeconds(pid));
  const gen0 = process.cpuUsage();
  const pub0 = publishCalls();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const n = delivered - start;
  const rate = (n * 1000) / (performance.now() - t0);
  const cpuPerMessage = pids.map((pid, i) => ((cpuSeconds(pid) - cpu0[i]!) * 1e6) / n);
  const gen = process.cpuUsage(gen0);
  const pub1 = publishCalls();
  closed = false;
  await new Promise((r) => setTimeout(r, 500)); // drain
  let lat: number[] = [];
  if (openRate !== undefined) {
    latencies = [];
    const perTick = openRate / 1000;
    let credit = 0;
    let k = 0;
    const end = performance.now() + SECONDS * 1000;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        credit += perTick;
        while (credit >= 1) {
          credit--;
          const p = pairs[k++ % pairs.length]!;
          p.sender.send(message(p.to, performance.now()));
        }
        if (performance.now() > end) {
          clearInterval(timer);
          resolve();
        }
      }, 1);
    });
    await new Promise((r) => setTimeout(r, 500));
    lat = latencies.sort((a, b) => a - b);
    latencies = undefined;
  }
  for (const p of pairs) {
    p.sender.terminate();
    p.receiver.terminate();
  }
  return {
    rate,
    errors,
    lat,
    cpu: {
      relays: cpuPerMessage.slice(0, -1),
      redis: cpuPerMessage.at(-1)!,
      generator: ((gen.user + gen.system) / n) * 1,
    },
    publishesPerMessage: (pub1.calls - pub0.calls) / n,
    usecPerPublish: (pub1.usec - pub0.usec) / Math.max(1, pub1.calls - pub0.calls),
  };
}

try {
  console.log(`\nPreparing ${2 * PAIRS} identities…`);
  const ids = await Promise.all(Array.from({ length: 2 * PAIRS }, identity));
  type Result = Awaited<ReturnType<typeof run>>;
  const results: Record<'single' | 'split', Result[]> = { single: [], split: [] };
  // Round 1 and 2: closed loop only (the open-loop rate comes from these).
  for (let round = 0; round < ROUNDS; round++) {
    for (const make of [single, split]) {
      const setup = await make();
      results[setup.name as 'single' | 'split'].push(await run(setup, ids));
      for (const r of setup.relays) await stopProcess(r.child);
    }
  }
  const rate = (xs: Result[]) => median(xs.map((x) => x.rate));
  const singleRate = rate(results.single);
  const splitRate = rate(results.split);
  // Latency: the same open-loop rate for both, half of the slower maximum.
  const openRate = Math.round(Math.min(singleRate, splitRate) / 2);
  const lat: Record<'single' | 'split', number[]> = { single: [], split: [] };
  for (const make of [single, split]) {
    const setup = await make();
    const r = await run(setup, ids, openRate);
    lat[setup.name as 'single' | 'split'] = r.lat;
    for (const x of setup.relays) await stopProcess(x.child);
  }
  const last = { single: results.single.at(-1)!, split: results.split.at(-1)! };
  report(
    `Routed instant messages through relay daemons, ${PAIRS} pairs over loopback WebSocket, ${BODY_BYTES}-byte bodies, ${WINDOW} in flight per pair (medians of ${ROUNDS} rounds)`,
    [
      {
        name: 'pairs split across two relays (--cluster, one redis-server)',
        value: splitRate,
        unit: 'msg/s',
        baseline: singleRate,
        baselineName: 'all pairs in one relay',
        goalRatio: 0.5,
      },
      {
        name: 'no-route replies during the split runs',
        value: results.split.reduce((s, x) => s + x.errors, 0),
        unit: 'messages',
      },
    ],
  );
  report(`Latency, open loop at ${openRate} msg/s for both (${lat.split.length} samples split)`, [
    {
      name: 'p50 latency, split',
      value: percentile(lat.split, 50),
      unit: 'ms',
      baseline: percentile(lat.single, 50),
      baselineName: 'one relay',
      lowerIsBetter: true,
    },
    {
      name: 'p99 latency, split',
      value: percentile(lat.split, 99),
      unit: 'ms',
      baseline: percentile(lat.single, 99),
      baselineName: 'one relay',
      goalRatio: 2,
      lowerIsBetter: true,
    },
  ]);
  report('Where the CPU goes in the closed loop (last round), µs per delivered message', [
    { name: 'one relay: the relay process', value: last.single.cpu.relays[0]!, unit: 'µs' },
    { name: 'one relay: load generator', value: last.single.cpu.generator, unit: 'µs' },
    { name: 'split: sending relay (a)', value: last.split.cpu.relays[0]!, unit: 'µs' },
    { name: 'split: receiving relay (b)', value: last.split.cpu.relays[1]!, unit: 'µs' },
    { name: 'split: redis-server', value: last.split.cpu.redis, unit: 'µs' },
    { name: 'split: load generator', value: last.split.cpu.generator, unit: 'µs' },
    {
      name: 'split: Redis PUBLISH commands per message',
      value: last.split.publishesPerMessage,
      unit: 'commands',
    },
    {
      name: 'split: Redis time per PUBLISH (commandstats)',
      value: last.split.usecPerPublish,
      unit: 'µs',
    },
  ]);
} finally {
  await redis.stop();
}
