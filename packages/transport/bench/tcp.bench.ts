// 1 KiB messages echoed over one TCP Link pair (listenTcp + connectTcp, u32 length prefix)
// beside a raw net socket echo with a hand-written length prefix, in the same run.
// Goal: at least 0.9x the raw socket. One operation is a burst of BURST messages and their echoes.
// Links batch the sends of one tick into one writev (the socket is corked until the tick ends);
// a second baseline does the same by hand on the raw socket, to compare with batching equal.
import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { measureAllAsync, report } from '../../../tooling/bench.js';
import { connectTcp, lengthPrefixed, listenTcp } from '../src/node/index.js';

const BURST = 100;
const message = new Uint8Array(1024).fill(0x5a);

// peerwire Links
const framing = lengthPrefixed();
const server = await listenTcp({ host: '127.0.0.1', port: 0, framing }, (link) => {
  link.on('message', (data) => link.send(data));
});
const client = await connectTcp({ host: '127.0.0.1', port: server.port, framing });
let linkPending = 0;
let linkDone: () => void = () => {};
client.on('message', () => {
  if (--linkPending === 0) linkDone();
});
const linkBurst = () =>
  new Promise<void>((resolve) => {
    linkDone = resolve;
    linkPending = BURST;
    for (let i = 0; i < BURST; i++) client.send(message);
  });

// raw net sockets: u32 BE length prefix by hand
function frame(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(4 + payload.length);
  out.writeUInt32BE(payload.length, 0);
  out.set(payload, 4);
  return out;
}
/** Calls onFrame for each complete frame in the stream of chunks. */
function reader(onFrame: (frame: Buffer) => void): (chunk: Buffer) => void {
  let pending: Buffer | undefined;
  return (chunk) => {
    let buf = pending ? Buffer.concat([pending, chunk]) : chunk;
    let offset = 0;
    while (buf.length - offset >= 4) {
      const length = buf.readUInt32BE(offset);
      if (buf.length - offset - 4 < length) break;
      onFrame(buf.subarray(offset + 4, offset + 4 + length));
      offset += 4 + length;
    }
    pending = offset < buf.length ? buf.subarray(offset) : undefined;
    buf = chunk;
  };
}
let corked = false;
const rawServer = createServer((socket: Socket) => {
  socket.setNoDelay(true);
  let held = false; // corked until the end of this tick
  const uncork = () => {
    held = false;
    socket.uncork();
  };
  socket.on(
    'data',
    reader((f) => {
      if (corked && !held) {
        held = true;
        socket.cork();
        process.nextTick(uncork);
      }
      socket.write(frame(f));
    }),
  );
});
rawServer.listen(0, '127.0.0.1');
await once(rawServer, 'listening');
const raw = connect((rawServer.address() as AddressInfo).port, '127.0.0.1');
raw.setNoDelay(true);
await once(raw, 'connect');
let rawPending = 0;
let rawDone: () => void = () => {};
raw.on(
  'data',
  reader(() => {
    if (--rawPending === 0) rawDone();
  }),
);
const rawBurst = () =>
  new Promise<void>((resolve) => {
    corked = false;
    rawDone = resolve;
    rawPending = BURST;
    for (let i = 0; i < BURST; i++) raw.write(frame(message));
  });
const rawCorkedBurst = () =>
  new Promise<void>((resolve) => {
    corked = true;
    rawDone = resolve;
    rawPending = BURST;
    raw.cork();
    for (let i = 0; i < BURST; i++) raw.write(frame(message));
    raw.uncork();
  });

const r = await measureAllAsync(
  { link: linkBurst, raw: rawBurst, rawCorked: rawCorkedBurst },
  { roundMs: 1000, rounds: 7, warmupMs: 1000 },
);

report(`TCP echo, u32 length prefix, 1 KiB messages, bursts of ${BURST} (messages per second)`, [
  {
    name: 'Link pair (listenTcp + connectTcp, lengthPrefixed)',
    value: r.link! * BURST,
    unit: 'msg/s',
    baseline: r.raw! * BURST,
    baselineName: 'raw net sockets, hand-written prefix',
    goalRatio: 0.9,
  },
  {
    name: 'Link pair, against batched raw sockets',
    value: r.link! * BURST,
    unit: 'msg/s',
    baseline: r.rawCorked! * BURST,
    baselineName: 'raw net sockets corked once per tick by hand',
  },
]);

client.close();
raw.destroy();
await server.close();
rawServer.close();
