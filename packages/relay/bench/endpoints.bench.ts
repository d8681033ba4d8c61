// The relay core answering `@/fetch_blob`, in-process: bursts of 100 raw requests from one online
// peer for a 1 KiB blob held in the MemoryRelayStore, each answered from `@/` once its store
// ticket completes (the default WorkRunner). Baseline, same run: the bare work of one answer
// without the relay (decode the request, await the store's getBlob, encode the reply).
import { decodeInstantMessage, encodeInstantMessage, MsgFlag } from '@peerwire/wire';
import { measureAllAsync, report } from '../../../tooling/bench.js';
import { MemoryRelayStore, Relay } from '../src/index.js';
import { onlinePeer } from './online-peer.js';

const BURST = 100;
const store = new MemoryRelayStore();
const relay = new Relay({
  serverCode: 'bench',
  store,
  limits: { messagesPerSecond: 1e12, messageBurst: 1e12, bytesPerSecond: 1e15, byteBurst: 1e15 },
});
await relay.start();

let answered = 0;
let wake: (() => void) | undefined;
const a = await onlinePeer(relay, '127.0.0.1', () => {
  if (++answered % BURST === 0) wake?.();
});
const owner = a.address.slice(2); // k.<hash> → the identity hash the blobs are kept under
const key = new TextEncoder().encode('bench-key');
await store.putBlob(owner, key, new Uint8Array(1024).fill(5));
const request = encodeInstantMessage({
  id: new Uint8Array(16),
  flags: MsgFlag.NotBottle,
  recipient: '@/fetch_blob',
  sender: '/bench',
  body: key,
});

let sink = 0;
const r = await measureAllAsync({
  'relay core': async () => {
    const done = new Promise<void>((resolve) => {
      wake = resolve;
    });
    for (let i = 0; i < BURST; i++) a.session.receive(request);
    await done;
  },
  bare: async () => {
    for (let i = 0; i < BURST; i++) {
      const m = decodeInstantMessage(request);
      const value = await store.getBlob(owner, m.body);
      sink += encodeInstantMessage({
        id: m.id,
        flags: MsgFlag.NotBottle | MsgFlag.Response,
        recipient: `${a.address}${m.sender}`,
        sender: '@/',
        body: value!,
      }).length;
    }
  },
});
if (answered === 0 || sink === 0) throw new Error('bench: nothing was answered');
report('Relay @/fetch_blob, 1 KiB blob, bursts of 100, in-process (requests per second)', [
  {
    name: 'Relay: request → store ticket → answer',
    value: r['relay core']! * BURST,
    unit: 'req/s',
    baseline: r.bare! * BURST,
    baselineName: 'decode + await store.getBlob + encode the reply, no relay',
  },
]);
