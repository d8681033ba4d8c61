// Bench child: the baseline for memory per neighbour. A bare TCP server that holds its
// connections open and discards what they send. Prints its port, then its memory on each stdin
// line ("gc" first collects garbage when run with --expose-gc).
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';

let open = 0;
const server = createServer((socket) => {
  open++;
  socket.on('data', () => {});
  socket.on('error', () => {});
  socket.on('close', () => open--);
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'gc' && globalThis.gc) globalThis.gc();
  const m = process.memoryUsage();
  process.stdout.write(
    `${JSON.stringify({ rss: m.rss, heapUsed: m.heapUsed, external: m.external, tcpLinks: open })}\n`,
  );
});
process.stdin.on('end', () => process.exit(0));
