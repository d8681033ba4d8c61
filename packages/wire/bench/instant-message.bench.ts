// InstantMessage encode/decode with 200-byte bodies, beside cbor-x encoding/decoding the same
// fields as a map (cbor-x's fastest generic path) in the same run. Goal: at least 2x cbor-x.
import { decode as cborxDecode, encode as cborxEncode } from 'cbor-x';
import { measureAll, report } from '../../../tooling/bench.js';
import { decodeInstantMessage, encodeInstantMessage } from '../src/index.js';

const msg = {
  id: Uint8Array.from({ length: 16 }, (_, i) => i * 7),
  flags: 0n,
  recipient: 'k.ut2dAJ3hFEKkWUwpAZaEhuRr51VDtAgHKURtEnPGLsM/echo',
  sender: 'k.WbGGmxhIVIK1b5J2VvrqDQLAW1YzKAID7hIOlxQkPvA/6ba7b810-9dad-41d1-80b4-00c04fd430c8',
  body: Uint8Array.from({ length: 200 }, (_, i) => i % 251),
};
const asMap = {
  id: msg.id,
  flags: 0,
  recipient: msg.recipient,
  sender: msg.sender,
  body: msg.body,
};

const packet = encodeInstantMessage(msg);
const cborPacket = cborxEncode(asMap);
let sink = 0;

const r = measureAll({
  encode: () => {
    sink += encodeInstantMessage(msg).length;
  },
  'cbor-x encode': () => {
    sink += cborxEncode(asMap).length;
  },
  decode: () => {
    sink += decodeInstantMessage(packet).body.length;
  },
  'cbor-x decode': () => {
    sink += (cborxDecode(cborPacket) as typeof asMap).body.length;
  },
});

report('InstantMessage, 200-byte body (messages per second)', [
  {
    name: 'encode',
    value: r.encode!,
    unit: 'msg/s',
    baseline: r['cbor-x encode']!,
    baselineName: 'cbor-x encode of the same map',
    goalRatio: 2,
  },
  {
    name: 'decode',
    value: r.decode!,
    unit: 'msg/s',
    baseline: r['cbor-x decode']!,
    baselineName: 'cbor-x decode of the same map',
    goalRatio: 2,
  },
]);
if (sink === 42) console.log(''); // keep the work observable
