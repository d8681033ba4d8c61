// Bitcoin Signed Message sign and verify per second, beside bitcoinjs-message (the issue's
// baseline; goal at least 1x) in the same run. Messages are 300 bytes, like a small ContentAuth.
// Both backends: the portable one (@noble/curves, the default) and `nodeCompact` (libsecp256k1
// in WebAssembly, what the Node entry point uses).
import { createRequire } from 'node:module';
import { sha256 } from '@noble/hashes/sha2.js';
import { measureAll, report } from '../../../tooling/bench.js';
import {
  addressFromPublicKey,
  addressToString,
  publicKeyOf,
  signMessage,
  verifyMessage,
} from '../src/index.js';
import { nodeCompact } from '../src/node/index.js';

const require = createRequire(import.meta.url);
const bitcoinMessage: {
  sign(message: Buffer, privateKey: Buffer, compressed: boolean): Buffer;
  verify(message: Buffer, address: string, signature: Buffer): boolean;
} = require('bitcoinjs-message');

const key = sha256(new TextEncoder().encode('bench key'));
const pub = publicKeyOf(key);
const address = addressToString(addressFromPublicKey(pub));
const messages = Array.from({ length: 64 }, (_, i) =>
  Uint8Array.from({ length: 300 }, (_, j) => (i * 131 + j) & 0xff),
);
const ours = messages.map((m) => signMessage(m, key));
const keyBuf = Buffer.from(key);
const msgBufs = messages.map((m) => Buffer.from(m));
const sigBufs = ours.map((s) => Buffer.from(s));
const fast = { backend: nodeCompact };
let i = 0;
let sink = 0;

const r = measureAll(
  {
    sign: () => {
      sink += signMessage(messages[i++ & 63]!, key)[0]!;
    },
    'bitcoinjs-message sign': () => {
      sink += bitcoinMessage.sign(msgBufs[i++ & 63]!, keyBuf, true)[0]!;
    },
    verify: () => {
      const k = i++ & 63;
      verifyMessage(messages[k]!, ours[k]!, pub);
      sink++;
    },
    'sign nodeCompact': () => {
      sink += signMessage(messages[i++ & 63]!, key, nodeCompact)[0]!;
    },
    'verify nodeCompact': () => {
      const k = i++ & 63;
      verifyMessage(messages[k]!, ours[k]!, pub, fast);
      sink++;
    },
    'bitcoinjs-message verify': () => {
      const k = i++ & 63;
      if (bitcoinMessage.verify(msgBufs[k]!, address, sigBufs[k]!)) sink++;
    },
  },
  { roundMs: 600 },
);

/** One row against bitcoinjs-message's same operation (goal: at least 1x). */
const row = (name: string, ours: string, op: 'sign' | 'verify') => ({
  name,
  value: r[ours]!,
  unit: 'op/s',
  baseline: r[`bitcoinjs-message ${op}`]!,
  baselineName: `bitcoinjs-message 2.2.0 ${op}`,
  goalRatio: 1,
});
const wasm = 'nodeCompact (libsecp256k1, WebAssembly; @peerwire/datt/node)';
report('Bitcoin Signed Message, 300-byte messages (operations per second)', [
  row('sign (RFC 6979, low-S, compact)', 'sign', 'sign'),
  row('verify (recover + compare key)', 'verify', 'verify'),
  row(`sign, ${wasm}`, 'sign nodeCompact', 'sign'),
  row(`verify, ${wasm}`, 'verify nodeCompact', 'verify'),
]);
if (sink === -1) console.log('');
