// A natbase base server in its own process for bench/base-sockets.bench.ts: listenBaseServer on
// loopback (the built dist/, as an application runs it), the signature check injected as
// always-true (the bench's device keys meet the proof of work but are not Ed25519 keys), caps
// raised for one bench client. Prints {"port"} once listening; each "gc" line on stdin prints the
// memory after two GCs and the core's stats. Exits when stdin ends.
import { createInterface } from 'node:readline';
import { listenBaseServer } from '../dist/node/index.js';

const devices = Number(process.argv[2] ?? 10_000);
const base = await listenBaseServer({
  tcp: { host: '127.0.0.1', port: 0 },
  udp: [{ host: '127.0.0.1', port: 0 }],
  verify: () => true,
  limits: {
    maxConnectionsPerIp: devices + 16,
    signedRatePerSecond: 1e9,
    signedBurst: 1e9,
    idleTimeoutMs: 600_000, // the bench's devices send nothing after binding
  },
});
const memory = () => {
  globalThis.gc?.();
  globalThis.gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, stats: base.stats };
};
process.stdout.write(`${JSON.stringify({ port: base.tcpPort })}\n`);
const input = createInterface({ input: process.stdin });
input.on('line', () => process.stdout.write(`${JSON.stringify(memory())}\n`));
input.on('close', async () => {
  await base.close();
  process.exit(0);
});
