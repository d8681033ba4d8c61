// Bench child: a plain TCP forwarder (the baseline's relay). Arg: target port. Prints its port,
// then its peak RSS when stdin closes.
import { connect, createServer } from 'node:net';

const target = Number(process.argv[2]);
const server = createServer((client) => {
  const upstream = connect(target, '127.0.0.1');
  client.pipe(upstream);
  upstream.pipe(client);
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.stdin.resume();
process.stdin.on('end', () => {
  process.stdout.write(
    `${JSON.stringify({ maxRSS: process.resourceUsage().maxRSS * 1024, cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000 })}\n`,
  );
  process.exit(0);
});
