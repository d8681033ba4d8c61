// Memory per connected device at a base with real sockets: 10,000 TCP connections on loopback
// to a base server running in its own process (bench/child-base.mjs: listenBaseServer on the
// built dist/, --expose-gc). Each connection reads the base's HELLO, takes the cookie and sends a
// signed INFO (one address) and a REQUEST_INFO (an interest in the next device), so every device
// is bound, has addresses and one interest. The base's RSS and V8 heap + external memory are read
// after two GCs before the devices connect and once all are bound. Baseline, same run: a bare
// node:net server holding as many connections (bench/child-raw-server.mjs), fed the same bytes.
// No UDP (NAT confirmation needs one UDP socket per device on the client side): the core bench
// (base-server.bench.ts) covers the UDP state. Kernel socket buffers are not in RSS.
// Client sockets live in this process, spread over 127.0.0.1–127.0.0.4 as source addresses;
// needs `ulimit -n` above the device count for this process and the child.
// NATBASE_BENCH_SOCKET_DEVICES (default 10000).
import { type ChildProcess, spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { report } from '../../../tooling/bench.js';
import {
  encodePeerToBase,
  encodeRecord,
  type PeerToBaseBody,
  parseEndpoint,
} from '../src/index.js';
import { type FakeIdentity, fakeIdentities } from './fake-identities.js';

const DEVICES = Number(process.env.NATBASE_BENCH_SOCKET_DEVICES ?? 10_000);
/** Connections being opened at once. */
const IN_FLIGHT = 200;
/** How long all devices may take to be bound before the run counts as failed. */
const SETTLE_MS = 120_000;
const here = dirname(fileURLToPath(import.meta.url));

interface Memory {
  rss: number;
  heapUsed: number;
  external: number;
  stats: { devicesConnected?: number; connections?: number };
}
interface Child {
  readonly port: number;
  memory(): Promise<Memory>;
  stop(): Promise<void>;
}

async function child(script: string): Promise<Child> {
  const proc: ChildProcess = spawn(
    process.execPath,
    ['--expose-gc', join(here, script), String(DEVICES)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
  const next = async () => JSON.parse((await lines.next()).value as string);
  const { port } = (await next()) as { port: number };
  return {
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

const sig = new Uint8Array(64);
const seal = (id: FakeIdentity, cookie: Uint8Array, body: PeerToBaseBody) =>
  encodeRecord(encodePeerToBase({ ...body, ...id, cookie, signature: sig } as never));

/** Opens one device's connection: HELLO in, INFO and REQUEST_INFO out. */
function device(port: number, i: number, ids: readonly FakeIdentity[]): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress: `127.0.0.${1 + (i % 4)}` });
    let got = Buffer.alloc(0);
    let sent = false;
    socket.on('error', reject);
    socket.on('data', (d: Buffer) => {
      if (sent) return;
      got = Buffer.concat([got, d]);
      if (got.length < 22) return;
      sent = true;
      const cookie = new Uint8Array(got.subarray(6, 22));
      const id = ids[i]!;
      socket.write(
        seal(id, cookie, {
          kind: 'INFO',
          addresses: [parseEndpoint(`10.${(i >> 8) & 255}.${i & 255}.1:5582`)],
        }),
      );
      socket.write(
        seal(id, cookie, { kind: 'REQUEST_INFO', target: ids[(i + 1) % ids.length]!.deviceId }),
      );
      resolve(socket);
    });
  });
}

async function run(script: string, ids: readonly FakeIdentity[]) {
  const server = await child(script);
  const before = await server.memory();
  const sockets: Socket[] = [];
  let nextIndex = 0;
  const worker = async () => {
    while (nextIndex < ids.length) sockets.push(await device(server.port, nextIndex++, ids));
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const end = Date.now() + SETTLE_MS;
  let after = await server.memory();
  const bound = (m: Memory) => m.stats.devicesConnected ?? m.stats.connections ?? 0;
  while (bound(after) < ids.length && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 500));
    after = await server.memory();
  }
  for (const s of sockets) s.destroy();
  await server.stop();
  const n = bound(after);
  if (n < ids.length) console.log(`# ${script}: only ${n} of ${ids.length} devices bound`);
  return {
    n,
    rss: (after.rss - before.rss) / n,
    js: (after.heapUsed + after.external - before.heapUsed - before.external) / n,
  };
}

const ids = fakeIdentities(DEVICES);
const raw = await run('child-raw-server.mjs', ids);
const base = await run('child-base.mjs', ids);
const title = `natbase base server on real sockets: memory per connected device (${DEVICES.toLocaleString('en-US')} TCP connections on loopback)`;
report(title, [
  {
    name: `listenBaseServer, RSS per device (${base.n} bound)`,
    value: base.rss,
    unit: 'bytes',
    baseline: raw.rss,
    baselineName: `bare node:net server holding the connections (${raw.n})`,
    lowerIsBetter: true,
  },
  {
    name: 'listenBaseServer, V8 heap + external per device',
    value: base.js,
    unit: 'bytes',
    baseline: raw.js,
    baselineName: 'bare node:net server, V8 heap + external',
    lowerIsBetter: true,
  },
]);
