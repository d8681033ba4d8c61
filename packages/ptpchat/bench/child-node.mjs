// Bench child: one ptpchat node (the built package) listening on loopback TCP. Prints its port,
// then, on each stdin line, its memory; when stdin closes, its counters and CPU time.
// Limits lifted for the bench (JSON in argv[2]), e.g. the per-neighbour flood rate.
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { createIdentity, createNodeId } from '../dist/index.js';
import { startPtpchatNode } from '../dist/node/index.js';

const { limits = {}, io = {} } = JSON.parse(process.argv[2] ?? '{}');
const random = (n) => new Uint8Array(randomBytes(n));
/** Links closed, by reason (what ended them tells why neighbours are missing). */
const closed = {};
const nodeId = createNodeId('bench', random);
const node = await startPtpchatNode({
  nodeId,
  identity: await createIdentity(nodeId),
  listen: { host: '127.0.0.1', port: 0 },
  udp: false,
  nodeType: 'server',
  limits,
  io,
  onLink: (e) => {
    if (e.type === 'closed') closed[e.reason] = (closed[e.reason] ?? 0) + 1;
  },
});
const out = (v) => process.stdout.write(`${JSON.stringify(v)}\n`);
out({ port: node.tcpPort, nodeId });
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'gc' && globalThis.gc) globalThis.gc();
  const m = process.memoryUsage();
  out({
    rss: m.rss,
    heapUsed: m.heapUsed,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
    neighbours: node.node.sizes.neighbours,
    tcpLinks: node.tcpLinks,
    writeDrops: node.writeDrops,
    closed,
    cpuMs: cpuMs(),
  });
});
process.stdin.on('end', async () => {
  const counters = node.node.counters;
  await node.close();
  out({ counters, cpuMs: cpuMs(), maxRSS: process.resourceUsage().maxRSS * 1024 });
  process.exit(0);
});
