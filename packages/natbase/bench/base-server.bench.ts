// The base server core (spec §7), without sockets:
// 1. memory per connected device with 10,000 devices (each: a TCP connection, INFO with one
//    address, a confirmed NAT handshake, one REQUEST_INFO interest), beside a same-run baseline
//    of the least any base keeps per device: a Map entry id → { connection, observed address,
//    one INFO address }. Keys are 32 random bytes that meet the proof of work (found with
//    SHA-256 alone) and the signature check is injected as always-true, so building 10,000
//    devices does not take 13 million Ed25519 key generations; every other check runs.
// 2. relayed DATA (1,200-byte payload, UDP in, UDP out) through `udpData`, beside a same-run
//    "raw relay" that only builds the outgoing `02 ‖ source ‖ data` datagram.
// NATBASE_BENCH_DEVICES (default 10000), NATBASE_BENCH_ROUND_MS (400), NATBASE_BENCH_ROUNDS (5).
import { randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { measureAll, report } from '../../../tooling/bench.js';
import {
  BaseServer,
  type Endpoint,
  encodePeerToBase,
  encodeRecord,
  type PeerToBaseBody,
  parseEndpoint,
} from '../src/index.js';
import { fakeIdentities } from './fake-identities.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heap = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

const devices = Number(process.env.NATBASE_BENCH_DEVICES ?? 10_000);
const roundMs = Number(process.env.NATBASE_BENCH_ROUND_MS ?? 400);
const rounds = Number(process.env.NATBASE_BENCH_ROUNDS ?? 5);
const random = (n: number) => new Uint8Array(randomBytes(n));

const ids = fakeIdentities(devices);
const udp = parseEndpoint('198.51.100.1:5582');
const addr = (i: number): Endpoint =>
  parseEndpoint(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:5582`);
const pub = (i: number): Endpoint =>
  parseEndpoint(`203.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:${20000 + (i % 1000)}`);

// Signed messages are built before the measurement (signing with a fake key is fine: the
// injected check accepts them).
const cookies: Uint8Array[] = [];
const before = heap();
const server = new BaseServer({
  udpAddresses: [udp],
  random,
  verify: () => true,
  limits: { maxConnectionsPerIp: devices + 1, signedBurst: 1e9, signedRatePerSecond: 1e9 },
});
const open = (i: number) => {
  const actions = server.tcpOpen(i, pub(i), 0);
  const hello = actions.find((a) => a.type === 'send' && a.transport === 'tcp');
  if (!hello) throw new Error(`connection ${i} refused`);
  cookies[i] = (hello as { bytes: Uint8Array }).bytes.slice(6, 22);
};
const sig = new Uint8Array(64);
const seal = (i: number, body: PeerToBaseBody) => {
  const bytes = encodePeerToBase({
    ...body,
    ...ids[i]!,
    cookie: cookies[i]!,
    signature: sig,
  } as never);
  return bytes;
};
for (let i = 0; i < devices; i++) {
  open(i);
  server.tcpData(i, encodeRecord(seal(i, { kind: 'INFO', addresses: [addr(i)] })), 0);
  server.udpData(udp, pub(i), seal(i, { kind: 'NAT_INIT', counter: 1n }), 0);
  server.udpData(udp, pub(i), seal(i, { kind: 'NAT_OK_CONFIRM', counter: 1n }), 0);
  const target = ids[(i + 1) % devices]!.deviceId;
  server.tcpData(i, encodeRecord(seal(i, { kind: 'REQUEST_INFO', target })), 0);
}
if (server.stats.devicesConnected !== devices || server.stats.natConfirmations !== devices) {
  throw new Error(`bench setup failed: ${JSON.stringify(server.stats)}`);
}
cookies.length = 0;
const serverBytes = heap() - before;

const baseBefore = heap();
const minimal = new Map<string, { conn: number; observed: Endpoint; info: Endpoint[] }>();
for (let i = 0; i < devices; i++) {
  minimal.set(Buffer.from(ids[i]!.deviceId).toString('hex'), {
    conn: i,
    observed: pub(i),
    info: [addr(i)],
  });
}
const baselineBytes = heap() - baseBefore;

report(
  `natbase base server: memory per connected device (${devices.toLocaleString('en-US')} devices)`,
  [
    {
      name: 'BaseServer, per device (connection, cookie, framer, rate bucket, device, addresses, interest)',
      value: serverBytes / devices,
      unit: 'bytes',
      baseline: baselineBytes / devices,
      baselineName: 'a Map of id → { conn, observed, one INFO address }',
      lowerIsBetter: true,
    },
  ],
);
if (minimal.size !== devices) throw new Error('unreachable');

// ---- relayed DATA through the core ----
const src = ids[0]!;
const dst = ids[1]!;
const datagram = encodePeerToBase({
  kind: 'DATA',
  source: src.deviceId,
  target: dst.deviceId,
  data: random(1200),
});
const relayLimits = new BaseServer({
  udpAddresses: [udp],
  random,
  verify: () => true,
  limits: { relayRatePerSecond: 1e12, relayBurst: 1e12 },
});
for (const [i, id] of [src, dst].entries()) {
  const actions = relayLimits.tcpOpen(i, pub(i), 0);
  const hello = actions.find((a) => a.type === 'send' && a.transport === 'tcp');
  const cookie = (hello as { bytes: Uint8Array }).bytes.slice(6, 22);
  const m = (body: PeerToBaseBody) =>
    encodePeerToBase({ ...body, ...id, cookie, signature: sig } as never);
  relayLimits.udpData(udp, pub(i), m({ kind: 'NAT_INIT', counter: 1n }), 0);
  relayLimits.udpData(udp, pub(i), m({ kind: 'NAT_OK_CONFIRM', counter: 1n }), 0);
}
let sink = 0;
const r = measureAll(
  {
    core: () => {
      const out = relayLimits.udpData(udp, pub(0), datagram, 1);
      sink += out.length;
    },
    raw: () => {
      const out = new Uint8Array(17 + datagram.length - 33);
      out[0] = 2;
      out.set(datagram.subarray(1, 17), 1);
      out.set(datagram.subarray(33), 17);
      sink += out.length;
    },
  },
  { roundMs, rounds },
);
if (relayLimits.stats.relayedUdp === 0 || sink === 0) throw new Error('nothing relayed');
report('natbase base server: relayed DATA through the core (1,200-byte payload, UDP → UDP)', [
  {
    name: 'BaseServer.udpData (decode, anti-spoofing, rate bucket, UDP window, encode)',
    value: r.core!,
    unit: 'packets/s',
    baseline: r.raw!,
    baselineName: 'building the outgoing datagram only',
  },
]);
