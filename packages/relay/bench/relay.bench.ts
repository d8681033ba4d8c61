// The relay core's routing cost, in-process (no sockets): messages between online peers through
// Relay, beside the least a rewriting router must do (decode the packet, re-encode it with a new
// sender) in the same run.
import { decodeInstantMessage, encodeInstantMessage, MsgFlag } from '@peerwire/wire';
import { measureAll, report } from '../../../tooling/bench.js';
import { Relay } from '../src/index.js';
import { onlinePeer } from './online-peer.js';

const relay = new Relay({
  serverCode: 'bench',
  limits: { messagesPerSecond: 1e12, messageBurst: 1e12, bytesPerSecond: 1e15, byteBurst: 1e15 },
});
await relay.start();

let delivered = 0;
const online = () =>
  onlinePeer(relay, '127.0.0.1', () => {
    delivered++;
  });

const a = await online();
const b = await online();
const packet = encodeInstantMessage({
  id: new Uint8Array(16),
  flags: MsgFlag.NotBottle,
  recipient: `${b.address}/bench`,
  sender: '/bench',
  body: new Uint8Array(1024),
});
const prefix = `${a.address}`;
let sink = 0;
const r = measureAll({
  'relay core': () => a.session.receive(packet),
  'decode + re-encode': () => {
    const m = decodeInstantMessage(packet);
    sink += encodeInstantMessage({ ...m, sender: prefix + m.sender }).length;
  },
});
if (delivered === 0 || sink === 0) throw new Error('nothing was routed');
report('Relay core routing, 1 KiB bodies, in-process (messages per second)', [
  {
    name: 'Relay: parse, rate-limit, rewrite, route, deliver',
    value: r['relay core']!,
    unit: 'msg/s',
    baseline: r['decode + re-encode']!,
    baselineName: 'decode + re-encode with the rewritten sender, nothing else',
  },
]);
