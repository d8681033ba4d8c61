// Secure-layer DATA (spec §11): seal and open, MB/s of payload, at 1,200-byte payloads (a
// tunnelled packet under a 1,280 MTU) and at 64 KiB (raw throughput), for both backends:
// `sodiumSecretbox` (@peerwire/natbase/node, sodium-native) and the portable `nobleSecretbox`
// (@noble/ciphers, the core's default). Baseline in the same run, interleaved: libsodium-wrappers
// doing the same crypto_secretbox_easy / crypto_secretbox_open_easy on the same `seq(8) ‖ payload`
// cleartext with the same key and nonce (without building the `00 ‖ nonce ‖ box` packet, which
// the backends do). A last row seals through `SecureLayer.send` (sodium-native backend, a fresh
// nonce per packet from `pooledRandom`, the per-peer lookup and the output object) against the
// same fixed-nonce libsodium-wrappers baseline (its own `randombytes_buf` costs ~70 µs a call here,
// so a fresh-nonce baseline would flatter us). NATBASE_BENCH_ROUND_MS (default 400), NATBASE_BENCH_ROUNDS (5).
import { randomBytes } from 'node:crypto';
import sodium from 'libsodium-wrappers';
import { measureAll, type Row, report } from '../../../tooling/bench.js';
import { nobleSecretbox, SecureLayer, type SecureOutput } from '../src/index.js';
import { pooledRandom, sodiumSecretbox } from '../src/node/index.js';
import { testIdentity } from '../test/helpers.js';

await sodium.ready;
const roundMs = Number(process.env.NATBASE_BENCH_ROUND_MS ?? 400);
const rounds = Number(process.env.NATBASE_BENCH_ROUNDS ?? 5);
const random = (n: number) => new Uint8Array(randomBytes(n));

// Two established layers for the SecureLayer row.
const a = testIdentity(1);
const b = testIdentity(2);
const A = new SecureLayer({
  identity: a,
  random: pooledRandom(),
  now: () => 0,
  secretbox: sodiumSecretbox,
});
const B = new SecureLayer({ identity: b, random, now: () => 0 });
const pkt = (o: SecureOutput[], i = 0) =>
  (o.filter((x) => x.type === 'send')[i] as { packet: Uint8Array }).packet;
const fin = A.receive(b.deviceId, pkt(B.receive(a.deviceId, pkt(A.send(b.deviceId, random(1))))));
B.receive(a.deviceId, pkt(fin));

for (const size of [1200, 65536]) {
  const key = random(32);
  const nonce = random(24);
  const payload = random(size);
  const clear = new Uint8Array(8 + size);
  clear.set(payload, 8);
  const packet = nobleSecretbox.sealData(key, nonce, payload);
  const box = sodium.crypto_secretbox_easy(clear, nonce, key);
  const same = (x: Uint8Array) => Buffer.from(x.subarray(25)).equals(Buffer.from(box));
  if (!same(packet) || !same(sodiumSecretbox.sealData(key, nonce, payload)))
    throw new Error('the backends and libsodium-wrappers disagree');
  const ops = measureAll(
    {
      sodiumSeal: () => sodium.crypto_secretbox_easy(clear, nonce, key),
      nativeSeal: () => sodiumSecretbox.sealData(key, nonce, payload),
      nobleSeal: () => nobleSecretbox.sealData(key, nonce, payload),
      sodiumOpen: () => sodium.crypto_secretbox_open_easy(box, nonce, key),
      nativeOpen: () => sodiumSecretbox.openData(key, packet),
      nobleOpen: () => nobleSecretbox.openData(key, packet),
      ...(size <= A.limits.maxPayloadLength
        ? { layerSend: () => A.send(b.deviceId, payload) }
        : {}),
    },
    { roundMs, rounds },
  );
  const mb = (n: number | undefined) => ((n ?? 0) * size) / 1e6;
  const row = (
    name: string,
    op: string,
    base: 'sodiumSeal' | 'sodiumOpen',
    goal?: number,
  ): Row => ({
    name,
    value: mb(ops[op]),
    unit: 'MB/s',
    baseline: mb(ops[base]),
    baselineName: `libsodium-wrappers ${base === 'sodiumOpen' ? 'crypto_secretbox_open_easy' : 'crypto_secretbox_easy'}`,
    ...(goal ? { goalRatio: goal } : {}),
  });
  const rows: Row[] = [
    row('seal, sodium-native backend', 'nativeSeal', 'sodiumSeal', 1),
    row('open, sodium-native backend', 'nativeOpen', 'sodiumOpen', 1),
    row('seal, @noble/ciphers backend (portable)', 'nobleSeal', 'sodiumSeal'),
    row('open, @noble/ciphers backend (portable)', 'nobleOpen', 'sodiumOpen'),
  ];
  if (ops.layerSend)
    rows.push(
      row('SecureLayer.send (sodium-native, pooledRandom nonce)', 'layerSend', 'sodiumSeal', 1),
    );
  report(`secure-layer DATA, ${size}-byte payloads (MB/s of payload)`, rows);
}
