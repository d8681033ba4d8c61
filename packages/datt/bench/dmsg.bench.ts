// DMsg decoding of 1 KiB messages per second: whole frames (WebSocket), a TCP-like stream
// (64 frames cut into 16 KiB chunks), and the path the Node TCP link takes (DmsgFramer splits,
// decodeDmsg checks). In Node the checksum is node:crypto's SHA-256d (`nodeSha256d`).
// Baselines, same run: the portable (pure-JS) decoder that phase 1 used, and the node:crypto
// SHA-256d of the 1 KiB data alone, the checksum work every conforming decoder must do.
import { measureAll, report } from '../../../tooling/bench.js';
import { DmsgDecoder, DmsgFramer, decodeDmsg, encodeDmsg, encodeMessage } from '../src/index.js';
import { nodeSha256d } from '../src/node/index.js';

const data = Uint8Array.from({ length: 1024 }, (_, i) => (i * 7) & 0xff);
const frame = encodeDmsg('contentauth', data);
const stream = new Uint8Array(frame.length * 64);
for (let k = 0; k < 64; k++) stream.set(frame, k * frame.length);
const chunks: Uint8Array[] = [];
for (let at = 0; at < stream.length; at += 16_384) chunks.push(stream.subarray(at, at + 16_384));
const node = { sha256d: nodeSha256d };
const hash = new Uint8Array(32).fill(1);
const contentAuth = data.subarray(0, 1024 - 32);
let sink = 0;

const r = measureAll({
  decode: () => {
    sink += decodeDmsg(frame, node).data.length;
  },
  'decode portable': () => {
    sink += decodeDmsg(frame).data.length;
  },
  stream: () => {
    const decoder = new DmsgDecoder(node);
    for (const c of chunks) sink += decoder.push(c).length;
  },
  'stream portable': () => {
    const decoder = new DmsgDecoder();
    for (const c of chunks) sink += decoder.push(c).length;
  },
  'framer + decode': () => {
    const framer = new DmsgFramer();
    for (const c of chunks) for (const f of framer.push(c)) sink += decodeDmsg(f, node).data.length;
  },
  encode: () => {
    sink += encodeMessage({ type: 'contentauth', hash, contentAuth }, node).length;
  },
  'encode portable': () => {
    sink += encodeMessage({ type: 'contentauth', hash, contentAuth }).length;
  },
  'sha256d only': () => {
    sink += nodeSha256d(data)[0]!;
  },
});

const hashOnly = {
  baseline: r['sha256d only']!,
  baselineName: 'node:crypto SHA-256d of the data alone',
};
report('DMsg decode, 1 KiB data (messages per second), node:crypto checksum', [
  {
    name: 'decodeDmsg (one frame)',
    value: r.decode!,
    unit: 'msg/s',
    baseline: r['decode portable']!,
    baselineName: 'same with the portable pure-JS SHA-256d',
  },
  { name: 'decodeDmsg (one frame)', value: r.decode!, unit: 'msg/s', ...hashOnly },
  {
    name: 'DmsgDecoder (stream, 16 KiB chunks)',
    value: r.stream! * 64,
    unit: 'msg/s',
    baseline: r['stream portable']! * 64,
    baselineName: 'same with the portable pure-JS SHA-256d',
  },
  {
    name: 'DmsgDecoder (stream, 16 KiB chunks)',
    value: r.stream! * 64,
    unit: 'msg/s',
    ...hashOnly,
  },
  {
    name: 'DmsgFramer + decodeDmsg (the node TCP path, 16 KiB chunks)',
    value: r['framer + decode']! * 64,
    unit: 'msg/s',
    ...hashOnly,
  },
  {
    name: 'encodeMessage contentauth (1 KiB data)',
    value: r.encode!,
    unit: 'msg/s',
    baseline: r['encode portable']!,
    baselineName: 'same with the portable pure-JS SHA-256d',
  },
]);
if (sink === -1) console.log('');
