// Bench child: a bob relay in its own process. Args: handshake and secure ports (default 0: any).
// Prints its ports, then its stats and peak RSS when stdin closes or on SIGTERM.
import { startBobRelay } from '../dist/node/index.js';

const [port = '0', securePort = '0'] = process.argv.slice(2);
const relay = await startBobRelay({
  host: '127.0.0.1',
  port: Number(port),
  securePort: Number(securePort),
});
process.stdout.write(`${JSON.stringify({ ports: relay.ports })}\n`);
process.stdin.resume();
const stop = async () => {
  const stats = relay.stats;
  await relay.close();
  process.stdout.write(
    `${JSON.stringify({ bytesPiped: stats.bytesPiped, maxRSS: process.resourceUsage().maxRSS * 1024, cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000 })}\n`,
  );
  process.exit(0);
};
process.stdin.on('end', stop);
process.once('SIGTERM', stop);
