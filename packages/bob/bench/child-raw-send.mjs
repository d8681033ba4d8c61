// Bench child: raw TCP copy, sending side. Args: file, port.
import { createReadStream } from 'node:fs';
import { connect } from 'node:net';
import { pipeline } from 'node:stream/promises';

const [file, port] = process.argv.slice(2);
const socket = connect(Number(port), '127.0.0.1');
await new Promise((resolve) => socket.once('connect', resolve));
await pipeline(createReadStream(file, { highWaterMark: 1 << 18 }), socket);
process.stdout.write(
  `${JSON.stringify({ maxRSS: process.resourceUsage().maxRSS * 1024, cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000 })}\n`,
);
