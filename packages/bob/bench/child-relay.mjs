// Bench child: a bob relay in its own process. Prints its ports, then its stats and peak RSS
// when stdin closes.
import { startBobRelay } from '../dist/node/index.js';

const relay = await startBobRelay({ host: '127.0.0.1', port: 0, securePort: 0 });
process.stdout.write(`${JSON.stringify({ ports: relay.ports })}\n`);
process.stdin.resume();
process.stdin.on('end', async () => {
  const stats = relay.stats;
  await relay.close();
  process.stdout.write(
    `${JSON.stringify({ bytesPiped: stats.bytesPiped, maxRSS: process.resourceUsage().maxRSS * 1024, cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000 })}\n`,
  );
  process.exit(0);
});
