// Bench child: raw TCP copy, receiving side. Arg: output file. Prints its port, then its result.
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { pipeline } from 'node:stream/promises';

const [file] = process.argv.slice(2);
const server = createServer(async (socket) => {
  server.close();
  const out = createWriteStream(file);
  await pipeline(socket, out);
  process.stdout.write(
    `${JSON.stringify({ bytes: out.bytesWritten, maxRSS: process.resourceUsage().maxRSS * 1024, cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000 })}\n`,
  );
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
