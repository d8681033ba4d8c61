// MESSAGE throughput through one ptpchat node on loopback TCP, beside a raw forwarder.
//
// The node under test runs in its own process (bench/child-node.mjs, the built package): two
// raw TCP peers in this process say HELLO to it; the sender pushes targeted MESSAGEs (a 256-byte
// bottle, ~560-byte frames, fresh msg_ids) addressed to the receiver, the node relays each one
// (parse, validate, duplicate cache, TTL, next hop, ACK to the sender, re-encode), and the
// receiver ACKs each one as the protocol asks. Baseline, same run, same peers: a raw forwarder in
// its own process (bench/child-raw-forwarder.mjs) that cuts u32-length-prefixed frames and writes
// them to the other connection, parsing nothing, batching its writes per tick as the node does.
// Figure: MESSAGEs per second received, median of ROUNDS interleaved rounds.
// The node's per-neighbour flood rate (200/s by default) is lifted for the bench: it would be
// the figure otherwise. PTPCHAT_BENCH_MESSAGES (default 20000 per round), PTPCHAT_BENCH_ROUNDS (5).
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { median, report } from '../../../tooling/bench.js';

const N = Number(process.env.PTPCHAT_BENCH_MESSAGES ?? 20_000);
const ROUNDS = Number(process.env.PTPCHAT_BENCH_ROUNDS ?? 5);
const here = dirname(fileURLToPath(import.meta.url));

interface Child {
  readonly proc: ChildProcess;
  readonly port: number;
  readonly lines: AsyncIterator<string>;
}

async function child(script: string, arg?: object): Promise<Child> {
  const proc = spawn(
    process.execPath,
    [
      ...(process.env.PTPCHAT_BENCH_PROFILE
        ? ['--cpu-prof', '--cpu-prof-dir', process.env.PTPCHAT_BENCH_PROFILE]
        : []),
      join(here, script),
      ...(arg ? [JSON.stringify(arg)] : []),
    ],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
  const first = JSON.parse((await lines.next()).value as string) as { port: number };
  return { proc, port: first.port, lines };
}

async function stop(c: Child): Promise<{ cpuMs: number }> {
  c.proc.stdin!.end();
  return JSON.parse((await c.lines.next()).value as string);
}

function frame(json: string): Buffer {
  const body = Buffer.from(json);
  const out = Buffer.allocUnsafe(4 + body.length);
  out.writeUInt32BE(body.length, 0);
  body.copy(out, 4);
  return out;
}

const envelope = (
  verb: string,
  data: unknown,
  sender: string,
  o: { target?: string; ttl?: number; id?: string } = {},
) =>
  JSON.stringify({
    msg_type: verb,
    msg_data: data,
    ttl: o.ttl ?? 32,
    flood: false,
    sender_id: sender,
    target_id: o.target ?? null,
    msg_id: o.id ?? randomUUID(),
  });

const MESSAGE_PREFIX = Buffer.from('{"msg_type":"MESSAGE"');
const bottle = Buffer.alloc(256, 7).toString('base64');
const channelId = randomUUID();

/** One peer: says HELLO (again every 2 s), reads frames; the receiver ACKs each MESSAGE. */
class Peer {
  readonly nodeId = `${randomUUID().slice(0, 8).replace(/^\d/, 'p')}@${randomUUID()}`;
  readonly socket: Socket;
  received = 0;
  #held = Buffer.alloc(0);
  #waiting: { count: number; done: () => void } | undefined;
  #hello: ReturnType<typeof setInterval>;
  #corked = false;

  private constructor(
    socket: Socket,
    readonly acks: boolean,
  ) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.#data(chunk));
    socket.on('error', () => {});
    const hello = () =>
      socket.write(
        frame(
          envelope('HELLO', { node_id: this.nodeId, version: 'bench' }, this.nodeId, { ttl: 1 }),
        ),
      );
    hello();
    this.#hello = setInterval(hello, 2000);
  }

  static open(port: number, acks: boolean): Promise<Peer> {
    return new Promise((resolve) => {
      const s = connect({ host: '127.0.0.1', port }, () => resolve(new Peer(s, acks)));
    });
  }

  /** Resolves once `count` MESSAGEs have arrived in all. */
  until(count: number): Promise<void> {
    return new Promise((done) => {
      if (this.received >= count) done();
      else this.#waiting = { count, done };
    });
  }

  close(): void {
    clearInterval(this.#hello);
    this.socket.destroy();
  }

  #data(chunk: Buffer): void {
    const buf = this.#held.length ? Buffer.concat([this.#held, chunk]) : chunk;
    let at = 0;
    while (buf.length - at >= 4) {
      const len = buf.readUInt32BE(at);
      if (buf.length - at - 4 < len) break;
      const body = buf.subarray(at + 4, at + 4 + len);
      at += 4 + len;
      if (
        len < MESSAGE_PREFIX.length ||
        body.compare(MESSAGE_PREFIX, 0, MESSAGE_PREFIX.length, 0, MESSAGE_PREFIX.length) !== 0
      )
        continue;
      this.received++;
      if (this.acks) {
        // Both encoders put msg_id last: `..."msg_id":"<36 characters>"}`.
        const id = body.toString('latin1', len - 38, len - 2);
        if (!this.#corked) {
          this.#corked = true;
          this.socket.cork();
          process.nextTick(() => {
            this.#corked = false;
            this.socket.uncork();
          });
        }
        this.socket.write(frame(envelope('ACK', { msg_id: id }, this.nodeId, { ttl: 1, id })));
      }
    }
    this.#held = at === buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(at));
    if (this.#waiting && this.received >= this.#waiting.count) {
      const w = this.#waiting;
      this.#waiting = undefined;
      w.done();
    }
  }
}

/** N fresh MESSAGE frames from `from` to `to`, in batches of 200 frames. */
function messages(from: Peer, to: Peer): Buffer[] {
  const batches: Buffer[] = [];
  for (let i = 0; i < N; i += 200) {
    const frames: Buffer[] = [];
    for (let j = i; j < Math.min(N, i + 200); j++) {
      frames.push(
        frame(
          envelope(
            'MESSAGE',
            {
              node_id: from.nodeId,
              channel: 'bench',
              channel_id: channelId,
              recipient: [{ node_id: to.nodeId }],
              timestamp: new Date().toISOString(),
              message: bottle,
            },
            from.nodeId,
            { target: to.nodeId },
          ),
        ),
      );
    }
    batches.push(Buffer.concat(frames));
  }
  return batches;
}

async function push(socket: Socket, batches: readonly Buffer[]): Promise<void> {
  for (const b of batches) {
    if (!socket.write(b)) await new Promise((r) => socket.once('drain', r));
  }
}

interface Setup {
  readonly child: Child;
  readonly sender: Peer;
  readonly receiver: Peer;
}

async function setup(script: string, arg?: object): Promise<Setup> {
  const c = await child(script, arg);
  const receiver = await Peer.open(c.port, true);
  await new Promise((r) => setTimeout(r, 200));
  const sender = await Peer.open(c.port, false);
  await new Promise((r) => setTimeout(r, 500)); // HELLOs and ROUTING settle
  return { child: c, sender, receiver };
}

async function round(s: Setup): Promise<number> {
  const batches = messages(s.sender, s.receiver);
  const target = s.receiver.received + N;
  const t0 = performance.now();
  await push(s.sender.socket, batches);
  await s.receiver.until(target);
  return (N * 1000) / (performance.now() - t0);
}

const node = await setup('child-node.mjs', {
  limits: { floodRatePerSecond: 1e9, floodBurst: 1e9, maxUnacked: 1 << 20 },
});
const raw = await setup('child-raw-forwarder.mjs');
const samples = { node: [] as number[], raw: [] as number[] };
await round(node); // warm-up
await round(raw);
for (let r = 0; r < ROUNDS; r++) {
  samples.node.push(await round(node));
  samples.raw.push(await round(raw));
}
node.child.proc.stdin!.write('\n');
const nodeIo = JSON.parse((await node.child.lines.next()).value as string) as {
  writeDrops: number;
};
for (const s of [node, raw]) {
  s.sender.close();
  s.receiver.close();
}
const nodeStats = (await stop(node.child)) as {
  cpuMs: number;
  counters: { drops: Record<string, number>; retransmissions: number };
};
const rawStats = await stop(raw.child);
const total = N * (ROUNDS + 1);
report(`ptpchat: MESSAGE relay through one TCP node (${N} per round, ${ROUNDS} rounds, median)`, [
  {
    name: 'MESSAGEs relayed per second',
    value: median(samples.node),
    unit: 'msg/s',
    baseline: median(samples.raw),
    baselineName: 'raw length-prefixed forwarder, same batching, parses nothing',
    goalRatio: 0.7,
  },
  {
    name: 'forwarding process CPU per message',
    value: (nodeStats.cpuMs * 1000) / total,
    unit: 'µs',
    baseline: (rawStats.cpuMs * 1000) / total,
    baselineName: 'raw forwarder',
    lowerIsBetter: true,
  },
]);
const drops = Object.entries(nodeStats.counters.drops).filter(([, v]) => v > 0);
console.log(
  `node: drops ${JSON.stringify(Object.fromEntries(drops))}, retransmissions ${nodeStats.counters.retransmissions}, writes dropped on congested links ${nodeIo.writeDrops}`,
);
