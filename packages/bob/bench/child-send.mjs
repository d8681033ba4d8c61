// Bench child: `bob send` without compression. Args: file, handshake port, secure port, password.
import { sendPath } from '../dist/node/index.js';

const [file, port, securePort, password] = process.argv.slice(2);
const result = await sendPath(file, {
  relay: `127.0.0.1:${port}`,
  securePort: Number(securePort),
  password,
  compression: false,
});
process.stdout.write(
  `${JSON.stringify({ bytes: result.bytes, confirmed: result.confirmed, maxRSS: process.resourceUsage().maxRSS * 1024, cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000 })}\n`,
);
