// Bench child: `bob send`. Args: file, handshake port, secure port, password, and `default` for
// default options (else --no-compression).
import { sendPath } from '../dist/node/index.js';

const [file, port, securePort, password, mode] = process.argv.slice(2);
const result = await sendPath(file, {
  relay: `127.0.0.1:${port}`,
  securePort: Number(securePort),
  password,
  compression: mode === 'default',
});
process.stdout.write(
  `${JSON.stringify({ bytes: result.bytes, confirmed: result.confirmed, maxRSS: process.resourceUsage().maxRSS * 1024, cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000 })}\n`,
);
