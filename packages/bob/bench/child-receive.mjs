// Bench child: `bob recv`. Args: output directory, handshake port, secure port, password.
import { receive } from '../dist/node/index.js';

const [outDir, port, securePort, password] = process.argv.slice(2);
const result = await receive(password, {
  relay: `127.0.0.1:${port}`,
  securePort: Number(securePort),
  outDir,
});
process.stdout.write(
  `${JSON.stringify({ bytes: result.bytes, path: result.path, maxRSS: process.resourceUsage().maxRSS * 1024, cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000 })}\n`,
);
