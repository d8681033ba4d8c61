import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BorrowedReader } from '../../src/node/connection.js';

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

/** A loopback server that writes `data` in pieces of random sizes, then ends. */
async function serve(data: Buffer): Promise<number> {
  server = createServer((socket) => {
    socket.on('error', () => {}); // the client may hang up before reading everything
    let at = 0;
    const next = () => {
      while (at < data.length) {
        const n = 1 + Math.floor(Math.random() * 50_000);
        const ok = socket.write(data.subarray(at, at + n));
        at += n;
        if (!ok) return void socket.once('drain', next);
      }
      socket.end();
    };
    next();
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return (server.address() as { port: number }).port;
}

describe('BorrowedReader (one reused read buffer)', () => {
  it('hands out every byte in order to a slow consumer, pausing the socket when it falls behind', async () => {
    const data = randomBytes(6 * 1024 * 1024 + 3);
    const port = await serve(data);
    const reader = await BorrowedReader.connect('127.0.0.1', port, undefined, {
      bufferBytes: 4096,
      queueBytes: 64 * 1024,
    });
    const head = await reader.readExactly(10);
    expect(head && Buffer.from(head).equals(data.subarray(0, 10))).toBe(true);
    const got: Buffer[] = [Buffer.from(head!)];
    let maxQueued = 0;
    let reads = 0;
    for (;;) {
      const chunk = await reader.read();
      if (chunk === null) break;
      got.push(Buffer.from(chunk)); // used before the next await, as the contract says
      maxQueued = Math.max(maxQueued, reader.buffered);
      if (++reads % 7 === 0) await new Promise((r) => setTimeout(r, 1)); // a busy consumer
    }
    expect(Buffer.concat(got).equals(data)).toBe(true);
    // Bounded: the queue never grows far past its limit (one read buffer over it at most).
    expect(maxQueued).toBeLessThanOrEqual(64 * 1024 + 4096);
    reader.socket.destroy();
  });

  it('unread puts a copy back in front', async () => {
    const data = randomBytes(1_000_000); // more than one read buffer (256 KiB)
    const port = await serve(data);
    const reader = await BorrowedReader.connect('127.0.0.1', port);
    const first = await reader.read();
    reader.unread(first!.subarray(5));
    const again = await reader.readExactly(first!.length - 5 + 10);
    expect(Buffer.from(again!).equals(data.subarray(5, first!.length + 10))).toBe(true);
    reader.socket.destroy();
  });
});
