// Seal (sign + encrypt to one recipient, 1 KiB payload) and open of a Spot message body, for
// Ed25519 signer / X25519 recipient and for P-256, on each backend. The same-run baseline of
// each fast figure is the portable (@noble) backend doing the same work; the goals are a ratio
// of at least 5x and, for Ed25519/X25519 on the fast backend, 10,000 seal+open pairs per second.
// A second baseline, the "primitive floor", times only the node:crypto public-key and AES-GCM
// calls one seal+open pair needs (sign, verify, ephemeral key, two ECDH, four GCM), with no
// CBOR, no bottles and cached key objects: no implementation on node:crypto can beat it.
import * as nc from 'node:crypto';
import { measureAllAsync, report } from '../../../tooling/bench.js';
import {
  type CryptoBackend,
  fastBackend,
  generatePrivateKey,
  Keychain,
  openBottle,
  type PrivateKey,
  portableBackend,
  sealMessageBody,
  webCryptoBackend,
} from '../src/index.js';

const payload = Uint8Array.from({ length: 1024 }, (_, i) => i % 251);

interface Suite {
  readonly label: string;
  readonly signer: PrivateKey;
  readonly recipient: PrivateKey;
}

const suites: Suite[] = [
  {
    label: 'Ed25519/X25519',
    signer: await generatePrivateKey('Ed25519'),
    recipient: await generatePrivateKey('X25519'),
  },
  {
    label: 'P-256',
    signer: await generatePrivateKey('P-256'),
    recipient: await generatePrivateKey('P-256'),
  },
];

const backends: [string, CryptoBackend][] = [
  ['fast', fastBackend],
  ['portable', portableBackend],
  ['webcrypto', webCryptoBackend!],
];

let sink = 0;

/** The node:crypto calls of one seal+open pair, nothing else. */
function primitiveFloor(label: string): () => Promise<unknown> {
  const ed = label !== 'P-256';
  const signer = ed
    ? nc.generateKeyPairSync('ed25519')
    : nc.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const recipient = ed
    ? nc.generateKeyPairSync('x25519')
    : nc.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ecdh = nc.createECDH('prime256v1');
  ecdh.generateKeys();
  const recipientPoint = ecdh.getPublicKey();
  const key = nc.randomBytes(32);
  const gcm = (data: Uint8Array) => {
    const iv = nc.randomBytes(12);
    const c = nc.createCipheriv('aes-256-gcm', key, iv);
    const out = Buffer.concat([c.update(data), c.final(), c.getAuthTag()]);
    const d = nc.createDecipheriv('aes-256-gcm', key, iv);
    d.setAuthTag(out.subarray(out.length - 16));
    return Buffer.concat([d.update(out.subarray(0, out.length - 16)), d.final()]);
  };
  return async () => {
    const hash = ed ? null : 'sha256';
    const sig = nc.sign(hash, payload, signer.privateKey);
    sink += nc.verify(hash, payload, signer.publicKey, sig) ? 1 : 0;
    if (ed) {
      const eph = nc.generateKeyPairSync('x25519');
      sink += nc.diffieHellman({
        privateKey: eph.privateKey,
        publicKey: recipient.publicKey,
      }).length;
      sink += nc.diffieHellman({
        privateKey: recipient.privateKey,
        publicKey: eph.publicKey,
      }).length;
    } else {
      const eph = nc.createECDH('prime256v1');
      const ephPoint = eph.generateKeys();
      sink += eph.computeSecret(recipientPoint).length + ecdh.computeSecret(ephPoint).length;
    }
    sink += gcm(key).length + gcm(payload).length;
  };
}

for (const suite of suites) {
  const keychain = new Keychain([suite.recipient]);
  const ops: Record<string, () => Promise<unknown>> = {};
  for (const [name, backend] of backends) {
    const sealed = await sealMessageBody(payload, {
      signer: suite.signer,
      recipient: [suite.recipient.publicKey],
      backend,
    });
    ops[`${name} seal`] = async () => {
      sink += (
        await sealMessageBody(payload, {
          signer: suite.signer,
          recipient: [suite.recipient.publicKey],
          backend,
        })
      ).length;
    };
    ops[`${name} open`] = async () => {
      sink += (await openBottle(sealed, keychain, { backend })).payload.length;
    };
    ops[`${name} seal+open`] = async () => {
      const body = await sealMessageBody(payload, {
        signer: suite.signer,
        recipient: [suite.recipient.publicKey],
        backend,
      });
      sink += (await openBottle(body, keychain, { backend })).payload.length;
    };
  }
  ops.floor = primitiveFloor(suite.label);
  const r = await measureAllAsync(ops, { roundMs: 500, rounds: 5 });
  const rows = (['seal', 'open', 'seal+open'] as const).flatMap((op) => [
    {
      name: `${suite.label} ${op}, fast (${fastBackend.implementation})`,
      value: r[`fast ${op}`]!,
      unit: 'ops/s',
      baseline: r[`portable ${op}`]!,
      baselineName: 'portable (@noble)',
      goalRatio: 5,
      ...(op === 'seal+open' && suite.label === 'Ed25519/X25519' ? { goal: 10_000 } : {}),
    },
    {
      name: `${suite.label} ${op}, WebCrypto (the browser fast path)`,
      value: r[`webcrypto ${op}`]!,
      unit: 'ops/s',
      baseline: r[`portable ${op}`]!,
      baselineName: 'portable (@noble)',
    },
  ]);
  rows.push({
    name: `${suite.label} seal+open, fast, against the primitive floor`,
    value: r['fast seal+open']!,
    unit: 'ops/s',
    baseline: r.floor!,
    baselineName: 'node:crypto primitives of one pair',
  });
  report(
    `Spot message body, 1 KiB payload, ${suite.label} (operations per second, one core)`,
    rows,
  );
}
if (sink === 42) console.log('');
