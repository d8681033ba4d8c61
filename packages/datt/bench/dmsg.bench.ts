// DMsg decoding of 1 KiB messages per second: whole frames (WebSocket) and a TCP-like stream
// (64 frames per 64 KiB chunk, cut at arbitrary points). Baseline, same run: the SHA-256d of
// the 1 KiB data alone, the checksum work every conforming decoder must do.
import { measureAll, report } from '../../../tooling/bench.js';
import { DmsgDecoder, decodeDmsg, encodeDmsg, sha256d } from '../src/index.js';

const data = Uint8Array.from({ length: 1024 }, (_, i) => (i * 7) & 0xff);
const frame = encodeDmsg('contentauth', data);
const stream = new Uint8Array(frame.length * 64);
for (let k = 0; k < 64; k++) stream.set(frame, k * frame.length);
const chunks: Uint8Array[] = [];
for (let at = 0; at < stream.length; at += 16_384) chunks.push(stream.subarray(at, at + 16_384));
let sink = 0;

const r = measureAll({
  decode: () => {
    sink += decodeDmsg(frame).data.length;
  },
  stream: () => {
    const decoder = new DmsgDecoder();
    for (const c of chunks) sink += decoder.push(c).length;
  },
  'sha256d only': () => {
    sink += sha256d(data)[0]!;
  },
});

report('DMsg decode, 1 KiB data (messages per second)', [
  {
    name: 'decodeDmsg (one frame)',
    value: r.decode!,
    unit: 'msg/s',
    baseline: r['sha256d only']!,
    baselineName: 'SHA-256d of the data alone',
  },
  {
    name: 'DmsgDecoder (stream, 16 KiB chunks)',
    value: r.stream! * 64,
    unit: 'msg/s',
    baseline: r['sha256d only']!,
    baselineName: 'SHA-256d of the data alone',
  },
]);
if (sink === -1) console.log('');
