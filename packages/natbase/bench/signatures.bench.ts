// Verifying signed peer → base messages (spec §5), what a base server does for every INFO,
// NAT_INIT, NAT_OK_CONFIRM and REQUEST_INFO: `verifyPeerToBase` (proof-of-work id check +
// Ed25519 over "ng-p2b-msg\n" ‖ body) on a 137-byte NAT_INIT, with the portable @noble verifier
// and with `opensslEd25519Verify` (./node, cached keys). Baseline in the same run: a bare
// node:crypto `verify` of the same bytes with a pre-parsed key (the floor for any verifier here).
import { createPublicKey, verify } from 'node:crypto';
import { measureAll, report } from '../../../tooling/bench.js';
import {
  decodePeerToBase,
  type SignedPeerToBaseMessage,
  sealPeerToBase,
  verifyPeerToBase,
} from '../src/index.js';
import { opensslEd25519Verify } from '../src/node/index.js';
import { testIdentity } from '../test/helpers.js';

const roundMs = Number(process.env.NATBASE_BENCH_ROUND_MS ?? 400);
const rounds = Number(process.env.NATBASE_BENCH_ROUNDS ?? 5);
const me = testIdentity(1);
const bytes = sealPeerToBase({ kind: 'NAT_INIT', counter: 1n }, me, new Uint8Array(16).fill(7));
const message = decodePeerToBase(bytes) as SignedPeerToBaseMessage;
const fast = opensslEd25519Verify();
const key = createPublicKey({
  key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), me.publicKey]),
  format: 'der',
  type: 'spki',
});
const signed = Buffer.concat([Buffer.from('ng-p2b-msg\n'), bytes.subarray(0, bytes.length - 64)]);
const signature = bytes.subarray(bytes.length - 64);
if (!verify(null, signed, key, signature)) throw new Error('baseline does not verify');

const ops = measureAll(
  {
    noble: () => verifyPeerToBase(message, bytes),
    openssl: () => verifyPeerToBase(message, bytes, fast),
    raw: () => verify(null, signed, key, signature),
  },
  { roundMs, rounds },
);
report('verifying a signed NAT_INIT (messages/s)', [
  {
    name: 'verifyPeerToBase, opensslEd25519Verify',
    value: ops.openssl!,
    unit: 'msg/s',
    baseline: ops.raw!,
    baselineName: 'bare node:crypto verify, pre-parsed key',
    goalRatio: 0.8,
  },
  {
    name: 'verifyPeerToBase, @noble (portable default)',
    value: ops.noble!,
    unit: 'msg/s',
    baseline: ops.raw!,
    baselineName: 'bare node:crypto verify, pre-parsed key',
  },
]);
