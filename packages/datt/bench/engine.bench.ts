// The engine serving content: bursts of 100 `getdata` (1 KiB ContentAuth held in a
// MemoryContentStore) from one peer, each answered with `contentauth`; the engine's store work
// goes through its tickets (the internal StoreRunner). Baseline, same run: the bare work of one
// answer without the engine (decode the getdata DMsg, await the store's get, encode the
// contentauth DMsg), with the same node:crypto SHA-256d.
import { measureAllAsync, report } from '../../../tooling/bench.js';
import {
  DattEngine,
  decodeMessage,
  encodeContentBody,
  encodeMessage,
  MemoryContentStore,
  signContentAuth,
} from '../src/index.js';
import { nodeCompact, nodeSha256d } from '../src/node/index.js';

const BURST = 100;
const key = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
const body = 'x'.repeat(900);
const content = signContentAuth(
  { content: encodeContentBody({ name: 'n', label: 'l', title: 't', body }), date: 1 },
  key,
  nodeCompact,
);
const dmsg = { sha256d: nodeSha256d };
const store = new MemoryContentStore();
await store.put(content.hash, content.bytes);
const getdata = encodeMessage({ type: 'getdata', hash: content.hash }, dmsg);

let answered = 0;
const engine = new DattEngine({
  store,
  clock: { now: () => 0 },
  random: (n) => new Uint8Array(n).fill(7),
  sha256d: nodeSha256d,
  compact: nodeCompact,
  limits: { maxQueuedMessages: BURST * 2, handshakeTimeoutMs: 1e12 },
  output: (out) => {
    if (out.type === 'send') answered++;
  },
});
engine.addPeer('peer', { outbound: false, framing: 'message' });
engine.receive(
  'peer',
  encodeMessage({ type: 'init', version: 1, services: 0n, addresses: [] }, dmsg),
);

let sink = 0;
const results = await measureAllAsync({
  engine: async () => {
    for (let i = 0; i < BURST; i++) engine.receive('peer', getdata);
    await engine.idle();
  },
  bare: async () => {
    for (let i = 0; i < BURST; i++) {
      const msg = decodeMessage(getdata, dmsg);
      if (msg.type !== 'getdata') throw new Error('bench: not a getdata');
      const bytes = await store.get(msg.hash);
      sink += encodeMessage(
        { type: 'contentauth', hash: msg.hash, contentAuth: bytes! },
        dmsg,
      ).length;
    }
  },
});
if (answered === 0 || sink === 0) throw new Error('bench: nothing was served');
report('Datt engine serving getdata, 1 KiB content, bursts of 100 (requests per second)', [
  {
    name: 'DattEngine: getdata → store ticket → contentauth',
    value: results.engine! * BURST,
    unit: 'req/s',
    baseline: results.bare! * BURST,
    baselineName: 'decode getdata + await store.get + encode contentauth, no engine',
  },
]);
