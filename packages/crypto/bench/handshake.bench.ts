// Relay-side handshake verification (spot-relay §3.2 steps 2-6) with ECDSA P-256, as the Go
// client signs. Baseline in the same run: one bare node:crypto ECDSA P-256 verification of the
// same request bytes (the floor for any verifier). Goal: at least 3,000 handshakes per second.
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { encodeHandshakeRequestPayload } from '@peerwire/wire';
import { measureAllAsync, report } from '../../../tooling/bench.js';
import {
  configureIdCardCache,
  generatePrivateKey,
  IDCard,
  Keychain,
  signHandshake,
  verifyHandshake,
} from '../src/index.js';

const raw = encodeHandshakeRequestPayload({
  ready: false,
  serverCode: 'srv1',
  clientId: 'srv1.conn-abc',
  nonce: new Uint8Array(32).fill(0x42),
  groups: null,
});

// A Go-like client: P-256 key, card with decrypt+sign, signed by itself.
const key = await generatePrivateKey('P-256');
const card = IDCard.create(key.publicKey, { meta: new Map([['name', 'bench']]) }).addKeychain(
  new Keychain([key]),
);
const response = await signHandshake({ raw }, key, await card.sign(key));
const nodeKey = createPublicKey({
  key: Buffer.from(key.publicKey.pkix),
  format: 'der',
  type: 'spki',
});

// Many distinct clients, so that the uncached path really parses a new card and key each time.
const fresh: { response: Awaited<ReturnType<typeof signHandshake>> }[] = [];
for (let i = 0; i < 200; i++) {
  const k = await generatePrivateKey('P-256');
  const c = IDCard.create(k.publicKey).addKeychain(new Keychain([k]));
  fresh.push({ response: await signHandshake({ raw }, k, await c.sign(k)) });
}
let next = 0;
let sink = 0;

const r = await measureAllAsync(
  {
    'verifyHandshake (card cached)': async () => {
      sink += (await verifyHandshake(raw, response)).hash.length;
    },
    'verifyHandshake (uncached card)': async () => {
      sink += (await verifyHandshake(raw, response, { cache: false })).hash.length;
    },
    'verifyHandshake (new client each time)': async () => {
      const f = fresh[next++ % fresh.length]!;
      sink += (await verifyHandshake(raw, f.response, { cache: false })).hash.length;
    },
    'node:crypto ECDSA verify': async () => {
      sink += nodeVerify('sha256', raw, { key: nodeKey, dsaEncoding: 'der' }, response.sig) ? 1 : 0;
    },
  },
  { roundMs: 500, rounds: 5 },
);
configureIdCardCache(1024);

report(
  'Relay handshake verification, ECDSA P-256 (handshakes per second, one core)',
  [
    ['verifyHandshake, card cached (re-handshake)', 'verifyHandshake (card cached)'],
    ['verifyHandshake, card verified too', 'verifyHandshake (uncached card)'],
    ['verifyHandshake, a different client each time', 'verifyHandshake (new client each time)'],
  ].map(([name, id]) => ({
    name: name!,
    value: r[id!]!,
    unit: 'handshakes/s',
    baseline: r['node:crypto ECDSA verify']!,
    baselineName: 'one bare node:crypto ECDSA verify',
    goal: 3000,
  })),
);
if (sink === 42) console.log('');
