// Memory per idle neighbour: up to 5,000 TCP neighbours on loopback, each said HELLO (and says it
// again every 2 s, as a live neighbour does) and otherwise idle. The node runs in its own
// process (bench/child-node.mjs, --expose-gc); its RSS and V8 heap are read after a GC before
// the neighbours connect and once they are all neighbours and the node has settled. Baseline,
// same run: a bare Node TCP server holding as many idle connections (bench/child-idle-server.mjs).
// Needs `ulimit -n` above 5,100 for this process and the child (Node cannot raise it itself).
// Runs 1,000, 2,000 and 5,000 neighbours (PTPCHAT_BENCH_NEIGHBOURS=a,b,c); a run that has not
// got all its neighbours within SETTLE_MS (60 s) is reported as such, with the memory per
// neighbour the node did accept.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { report } from '../../../tooling/bench.js';

const COUNTS = (process.env.PTPCHAT_BENCH_NEIGHBOURS ?? '1000,2000,5000').split(',').map(Number);
const SETTLE_MS = 60_000;
let COUNT = 0;
const here = dirname(fileURLToPath(import.meta.url));

interface Memory {
  rss: number;
  heapUsed: number;
  external: number;
  tcpLinks: number;
  neighbours?: number;
  cpuMs?: number;
  closed?: Record<string, number>;
}
interface Child {
  readonly proc: ChildProcess;
  readonly port: number;
  memory(): Promise<Memory>;
  stop(): Promise<void>;
}

async function child(script: string, arg?: object): Promise<Child> {
  const proc = spawn(
    process.execPath,
    ['--expose-gc', join(here, script), ...(arg ? [JSON.stringify(arg)] : [])],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
  const next = async () => JSON.parse((await lines.next()).value as string);
  const { port } = (await next()) as { port: number };
  return {
    proc,
    port,
    async memory() {
      proc.stdin!.write('gc\n');
      return (await next()) as Memory;
    },
    async stop() {
      proc.stdin!.end();
      await new Promise((r) => proc.once('exit', r));
    },
  };
}

function frame(value: object): Buffer {
  const body = Buffer.from(JSON.stringify(value));
  const out = Buffer.allocUnsafe(4 + body.length);
  out.writeUInt32BE(body.length, 0);
  body.copy(out, 4);
  return out;
}

const hello = (nodeId: string) =>
  frame({
    msg_type: 'HELLO',
    msg_data: { node_id: nodeId, version: 'bench' },
    ttl: 1,
    flood: false,
    sender_id: nodeId,
    target_id: null,
    msg_id: randomUUID(),
  });

/** Opens COUNT connections (250 at a time), each saying HELLO now and every 2 s. */
async function neighbours(port: number): Promise<{ sockets: Socket[]; stop(): void }> {
  const sockets: Socket[] = [];
  const ids: string[] = [];
  // From the start: opening thousands takes longer than the node's 15 s dead-after.
  const timer = setInterval(() => {
    sockets.forEach((s, i) => {
      s.write(hello(ids[i]!));
    });
  }, 2000);
  for (let i = 0; i < COUNT; i += 250) {
    await Promise.all(
      Array.from({ length: Math.min(250, COUNT - i) }, (_, k) => {
        const nodeId = `n${i + k}@${randomUUID()}`;
        return new Promise<void>((resolve, reject) => {
          const s = connect({ host: '127.0.0.1', port }, () => {
            s.write(hello(nodeId));
            resolve();
          });
          s.once('error', reject);
          s.on('data', () => {}); // read and discard: a live neighbour reads
          sockets.push(s);
          ids.push(nodeId);
        });
      }),
    );
  }
  return {
    sockets,
    stop() {
      clearInterval(timer);
      for (const s of sockets) s.destroy();
    },
  };
}

/** Waits until `ready` (true) or SETTLE_MS have passed (false). */
async function settle(c: Child, ready: (m: Memory) => boolean): Promise<boolean> {
  const end = Date.now() + SETTLE_MS;
  while (Date.now() < end) {
    if (ready(await c.memory())) return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

async function measure(script: string, arg: object | undefined, isReady: (m: Memory) => boolean) {
  const c = await child(script, arg);
  await new Promise((r) => setTimeout(r, 300));
  const before = await c.memory();
  const t0 = Date.now();
  const n = await neighbours(c.port);
  const settled = await settle(c, isReady);
  const connectedMs = Date.now() - t0;
  if (settled) await new Promise((r) => setTimeout(r, 12_000)); // past a ROUTING period (10 s)
  const after = await c.memory();
  n.stop();
  await c.stop();
  return { before, after, connectedMs, settled };
}

for (const count of COUNTS) {
  COUNT = count;
  const node = await measure(
    'child-node.mjs',
    { limits: { maxNeighbours: COUNT + 100 }, io: { maxTcpLinks: COUNT + 100 } },
    (m) => m.neighbours === COUNT,
  );
  const bare = await measure('child-idle-server.mjs', undefined, (m) => m.tcpLinks === COUNT);
  const got = node.after.neighbours ?? 0;
  const per = (r: typeof node, k: 'rss' | 'heapUsed', n: number) =>
    (r.after[k] - r.before[k]) / Math.max(1, n);
  report(
    `ptpchat: memory per idle neighbour, ${COUNT} TCP neighbours on loopback, after GC${node.settled ? '' : ` — NOT REACHED: ${got} neighbours after ${SETTLE_MS / 1000} s, per accepted neighbour`}`,
    [
      {
        name: 'RSS per neighbour',
        value: per(node, 'rss', got) / 1024,
        unit: 'KiB',
        baseline: per(bare, 'rss', COUNT) / 1024,
        baselineName: 'bare Node TCP server, idle connection',
        lowerIsBetter: true,
      },
      {
        name: 'V8 heap per neighbour',
        value: per(node, 'heapUsed', got) / 1024,
        unit: 'KiB',
        baseline: per(bare, 'heapUsed', COUNT) / 1024,
        baselineName: 'bare Node TCP server, idle connection',
        lowerIsBetter: true,
      },
    ],
  );
  console.log(
    `node: ${got} neighbours in ${node.connectedMs} ms; RSS ${(node.before.rss / 2 ** 20).toFixed(0)} -> ${(node.after.rss / 2 ** 20).toFixed(0)} MiB, heap ${(node.before.heapUsed / 2 ** 20).toFixed(0)} -> ${(node.after.heapUsed / 2 ** 20).toFixed(0)} MiB, CPU ${node.after.cpuMs?.toFixed(0)} ms, links closed ${JSON.stringify(node.after.closed ?? {})}; bare server RSS ${(bare.before.rss / 2 ** 20).toFixed(0)} -> ${(bare.after.rss / 2 ** 20).toFixed(0)} MiB`,
  );
}
