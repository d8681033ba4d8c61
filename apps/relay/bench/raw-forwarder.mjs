// Baselines for the relay benchmark, on raw ws:
// - a forwarder that parses nothing: a connection opened as /?pair=N&role=recv registers under
//   key N; every message from /?pair=N&role=send is forwarded as-is to that receiver, with the
//   relay's write batching (@peerwire/transport's NodeWebSocketLink): the receiver's socket is
//   corked at its first send of a tick and uncorked on the next tick, so the sends of one tick
//   leave in one writev, and the ratio measures the relay's own work, not a batching difference;
// - /challenge: the server speaks first (a 71-byte challenge, as a HandshakeRequest), the
//   client answers (about 300 bytes, as a HandshakeResponse), the server confirms (as rdy);
//   the cost of a WebSocket connection and a handshake exchange, without any cryptography.
// Run: node raw-forwarder.mjs <port>
import { WebSocketServer } from 'ws';

const port = Number(process.argv[2] ?? 0);
const receivers = new Map();
const wss = new WebSocketServer({
  port,
  host: '127.0.0.1',
  perMessageDeflate: false,
  maxPayload: 1 << 20,
  clientTracking: false,
});
wss.on('connection', (ws, req) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/challenge') {
    ws.send(Buffer.alloc(72, 1));
    ws.once('message', () => ws.send(Buffer.alloc(80, 1)));
    return;
  }
  const pair = url.searchParams.get('pair');
  if (url.searchParams.get('role') === 'recv') {
    const socket = req.socket;
    let corked = false;
    const uncork = () => {
      corked = false;
      socket.uncork();
    };
    receivers.set(pair, {
      send(data) {
        if (!corked) {
          corked = true;
          socket.cork();
          process.nextTick(uncork);
        }
        ws.send(data);
      },
    });
    ws.on('close', () => receivers.delete(pair));
  } else {
    ws.on('message', (data) => receivers.get(pair)?.send(data));
  }
});
wss.on('listening', () => process.send?.({ port: wss.address().port }));
