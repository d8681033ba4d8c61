// Bench child: the baseline. A raw forwarder of u32-length-prefixed frames between the
// connections it accepted: it reads the length, cuts the frame, and writes it to every other
// connection, parsing nothing. Writes are batched as the ptpchat node's are (@peerwire/transport
// corks a socket on the first write of a tick and uncorks it at the end of the tick).
import { createServer } from 'node:net';

const conns = new Set();
function corked(socket) {
  if (socket.corkedThisTick) return;
  socket.corkedThisTick = true;
  socket.cork();
  process.nextTick(() => {
    socket.corkedThisTick = false;
    socket.uncork();
  });
}
const server = createServer((socket) => {
  socket.setNoDelay(true);
  conns.add(socket);
  let held = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    let buf = held.length ? Buffer.concat([held, chunk]) : chunk;
    let at = 0;
    while (buf.length - at >= 4) {
      const len = buf.readUInt32BE(at);
      if (buf.length - at - 4 < len) break;
      const frame = buf.subarray(at, at + 4 + len);
      at += 4 + len;
      for (const other of conns) {
        if (other === socket) continue;
        corked(other);
        other.write(frame);
      }
    }
    held = at === buf.length ? Buffer.alloc(0) : buf.subarray(at);
    buf = undefined;
  });
  socket.on('close', () => conns.delete(socket));
  socket.on('error', () => {});
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.stdin.resume();
process.stdin.on('end', () => {
  const u = process.cpuUsage();
  process.stdout.write(`${JSON.stringify({ cpuMs: (u.user + u.system) / 1000 })}\n`);
  process.exit(0);
});
