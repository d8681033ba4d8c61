// 1 KiB messages echoed over one WebSocket Link pair (attachWebSocketServer + connectWebSocket)
// beside the same echo over raw `ws` sockets, in the same run. Goal: at least 0.9x raw ws.
// One operation is a burst of BURST messages sent back to back and all their echoes received.
// Links batch the sends of one tick into one writev (the socket is corked until the tick ends);
// a second baseline does the same by hand on raw ws, to show what is left once batching is equal.
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { measureAllAsync, report } from '../../../tooling/bench.js';
import {
  attachWebSocketServer,
  connectWebSocket,
  createWebServer,
  listenWebServer,
} from '../src/node/index.js';

const BURST = 100;
const message = new Uint8Array(1024).fill(0x5a);

// peerwire Links
const server = createWebServer();
const handle = attachWebSocketServer(server, { path: '/_websocket' }, (link) => {
  link.on('message', (data) => link.send(data));
});
const { port } = await listenWebServer(server, { port: 0, host: '127.0.0.1' });
const client = await connectWebSocket(`ws://127.0.0.1:${port}/_websocket`);
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

// raw ws, same settings (no compression, no client tracking); `corked` batches like the Link does
let corked = false;
const wss = new WebSocketServer({
  port: 0,
  host: '127.0.0.1',
  perMessageDeflate: false,
  clientTracking: false,
});
await once(wss, 'listening');
wss.on('connection', (ws, req) => {
  const socket = req.socket;
  let held = false; // corked until the end of this tick
  const uncork = () => {
    held = false;
    socket.uncork();
  };
  ws.on('message', (data: Buffer) => {
    if (corked && !held) {
      held = true;
      socket.cork();
      process.nextTick(uncork);
    }
    ws.send(data);
  });
});
const raw = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, {
  perMessageDeflate: false,
});
const opened = once(raw, 'open');
const [upgrade] = (await once(raw, 'upgrade')) as [IncomingMessage];
const rawSocket = upgrade.socket;
await opened;
let rawPending = 0;
let rawDone: () => void = () => {};
raw.on('message', () => {
  if (--rawPending === 0) rawDone();
});
const rawBurst = () =>
  new Promise<void>((resolve) => {
    corked = false;
    rawDone = resolve;
    rawPending = BURST;
    for (let i = 0; i < BURST; i++) raw.send(message);
  });
const rawCorkedBurst = () =>
  new Promise<void>((resolve) => {
    corked = true;
    rawDone = resolve;
    rawPending = BURST;
    rawSocket.cork();
    for (let i = 0; i < BURST; i++) raw.send(message);
    rawSocket.uncork();
  });

const r = await measureAllAsync(
  { link: linkBurst, raw: rawBurst, rawCorked: rawCorkedBurst },
  { roundMs: 1000, rounds: 7, warmupMs: 1000 },
);

report(`WebSocket echo, 1 KiB messages, bursts of ${BURST} (messages per second)`, [
  {
    name: 'Link pair (ws server + client adapters)',
    value: r.link! * BURST,
    unit: 'msg/s',
    baseline: r.raw! * BURST,
    baselineName: 'raw ws sockets',
    goalRatio: 0.9,
  },
  {
    name: 'Link pair, against batched raw ws',
    value: r.link! * BURST,
    unit: 'msg/s',
    baseline: r.rawCorked! * BURST,
    baselineName: 'raw ws sockets corked once per tick by hand',
  },
]);

client.close();
raw.close();
await handle.close();
server.close();
await new Promise((resolve) => wss.close(resolve));
