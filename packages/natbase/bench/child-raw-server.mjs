// Baseline for bench/base-sockets.bench.ts: a bare node:net server on loopback that writes one
// 22-byte record (the size of a base HELLO) to each connection, reads and discards what arrives,
// and keeps, per connection, the socket in a Map with the least a base must know (the device's
// observed address and one INFO address). Same stdin/stdout protocol as child-base.mjs.
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';

const conns = new Map();
let next = 0;
const server = createServer((socket) => {
  const id = next++;
  conns.set(id, {
    socket,
    observed: `${socket.remoteAddress}:${socket.remotePort}`,
    info: ['10.0.0.1:5582'],
  });
  socket.write(Buffer.alloc(22, 1));
  socket.on('data', () => {});
  socket.on('error', () => {});
  socket.on('close', () => conns.delete(id));
});
server.maxConnections = 1e6;
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const memory = () => {
  globalThis.gc?.();
  globalThis.gc?.();
  const m = process.memoryUsage();
  return {
    rss: m.rss,
    heapUsed: m.heapUsed,
    external: m.external,
    stats: { connections: conns.size },
  };
};
process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
const input = createInterface({ input: process.stdin });
input.on('line', () => process.stdout.write(`${JSON.stringify(memory())}\n`));
input.on('close', () => {
  for (const c of conns.values()) c.socket.destroy();
  server.close(() => process.exit(0));
});
