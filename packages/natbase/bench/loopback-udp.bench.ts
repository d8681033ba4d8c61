// Real sockets on loopback, all in this one process (the base, the senders and the receivers
// share one event loop, as do the baselines):
// 1. relayed DATA through the base server (listenBaseServer, UDP in, UDP out from the primary),
//    1,200-byte payloads, delivered packets/s, beside a same-run raw UDP forwarder (receive a
//    datagram, build `02 ‖ source ‖ data`, send it on); goal >= 0.5x. The two devices are raw
//    clients made of the codecs (TCP HELLO → signed INFO → NAT_INIT / NAT_OK / NAT_OK_CONFIRM),
//    so nothing but the base is measured; the relay rate limit is lifted for the run.
// 2. direct host-to-host DATA: NatbaseHost → NatbaseHost over a direct path through the secure
//    layer (sodium-native secretbox), 1,200-byte payloads, delivered packets/s, beside raw UDP
//    (one socket to another, 1,201-byte datagrams) in the same run.
// NATBASE_BENCH_PACKETS (default 20000 per round), NATBASE_BENCH_ROUNDS (3).
import { createSocket, type Socket } from 'node:dgram';
import { connect } from 'node:net';
import { median, report } from '../../../tooling/bench.js';
import {
  decodeBaseToPeer,
  encodePeerToBase,
  encodeRecord,
  generateIdentity,
  type Identity,
  NatbaseFramer,
  parseEndpoint,
  sealPeerToBase,
} from '../src/index.js';
import { listenBaseServer, NatbaseHost, pooledRandom } from '../src/node/index.js';

const PACKETS = Number(process.env.NATBASE_BENCH_PACKETS ?? 20_000);
const ROUNDS = Number(process.env.NATBASE_BENCH_ROUNDS ?? 3);
const PAYLOAD = 1_200;
/** Datagrams sent per event-loop turn: small enough that the 208 KiB default receive buffers do not overflow. */
const BURST = 16;
const random = pooledRandom();

function bindUdp(): Promise<Socket> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.bind(0, '127.0.0.1', () => resolve(s));
  });
}
const tick = () => new Promise((r) => setImmediate(r));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Delivered / sent of every blast, by label, to show the loss beside the rates. */
const delivered = new Map<string, number[]>();

/** Sends PACKETS datagrams in bursts; returns delivered packets per second at the receiver. */
async function blast(label: string, send: () => void, received: () => number): Promise<number> {
  const start0 = received();
  const t0 = performance.now();
  for (let sent = 0; sent < PACKETS; sent += BURST) {
    for (let i = 0; i < BURST; i++) send();
    await tick();
  }
  // Let what is in flight arrive (bounded wait), then take the time of the last arrival.
  let last = received();
  let lastAt = performance.now();
  for (let idle = 0; idle < 20; idle++) {
    await sleep(5);
    if (received() !== last) {
      last = received();
      lastAt = performance.now();
      idle = 0;
    }
  }
  delivered.set(label, [...(delivered.get(label) ?? []), (last - start0) / PACKETS]);
  return ((last - start0) * 1000) / (lastAt - t0);
}

// ---- 1. relay through the base ----------------------------------------------------------------

const base = await listenBaseServer({
  tcp: { host: '127.0.0.1', port: 0 },
  udp: [{ host: '127.0.0.1', port: 0 }],
  limits: { relayRatePerSecond: 1e9, relayBurst: 1e9 },
});
const primary = base.udpAddresses[0]!;

/** A raw device: bound at the base over TCP, NAT confirmed from `udp`. */
async function rawDevice(identity: Identity, udp: Socket): Promise<void> {
  const framer = new NatbaseFramer();
  const tcp = connect({ host: '127.0.0.1', port: base.tcpPort });
  const cookie = await new Promise<Uint8Array>((resolve) => {
    tcp.on('data', (chunk) => {
      for (const p of framer.push(new Uint8Array(chunk))) {
        const m = decodeBaseToPeer(p);
        if (m.kind === 'HELLO') resolve(m.cookie);
      }
    });
  });
  tcp.write(encodeRecord(sealPeerToBase({ kind: 'INFO', addresses: [] }, identity, cookie)));
  await sleep(50);
  const natOk = new Promise<void>((resolve) => udp.once('message', () => resolve()));
  udp.send(
    sealPeerToBase({ kind: 'NAT_INIT', counter: 1n }, identity, cookie),
    primary.port,
    '127.0.0.1',
  );
  await natOk;
  udp.send(
    sealPeerToBase({ kind: 'NAT_OK_CONFIRM', counter: 1n }, identity, cookie),
    primary.port,
    '127.0.0.1',
  );
  await sleep(50);
  (tcp as unknown as { unref(): void }).unref();
}

const alice = generateIdentity(random);
const bob = generateIdentity(random);
const aUdp = await bindUdp();
const bUdp = await bindUdp();
await rawDevice(alice, aUdp);
await rawDevice(bob, bUdp);
let atBob = 0;
bUdp.on('message', (m) => {
  if (m[0] === 2) atBob++;
});
const data = random(PAYLOAD).slice();
const p2b = encodePeerToBase({ kind: 'DATA', source: alice.deviceId, target: bob.deviceId, data });

// The raw forwarder: same input datagram, same output datagram, no checks.
const fwd = await bindUdp();
const fwdPort = fwd.address().port;
const bPort = bUdp.address().port;
fwd.on('message', (m: Buffer) => {
  const out = Buffer.allocUnsafe(m.length - 16);
  out[0] = 2;
  m.copy(out, 1, 1, 17);
  m.copy(out, 17, 33);
  fwd.send(out, bPort, '127.0.0.1');
});

const relay: number[] = [];
const raw: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  raw.push(
    await blast(
      'raw forwarder',
      () => aUdp.send(p2b, fwdPort, '127.0.0.1'),
      () => atBob,
    ),
  );
  relay.push(
    await blast(
      'relay',
      () => aUdp.send(p2b, primary.port, '127.0.0.1'),
      () => atBob,
    ),
  );
}
const relayedAtBase = base.stats.relayedUdp;

// ---- 2. direct host to host through the secure layer -------------------------------------------

const hostA = await NatbaseHost.start({
  identity: alice,
  bases: [parseEndpoint(`127.0.0.1:${base.tcpPort}`)],
  udp: { host: '127.0.0.1', port: 0 },
  localAddresses: [],
});
const hostB = await NatbaseHost.start({
  identity: generateIdentity(random),
  bases: [parseEndpoint(`127.0.0.1:${base.tcpPort}`)],
  udp: { host: '127.0.0.1', port: 0 },
  localAddresses: [],
});
let atHostB = 0;
hostB.on('datagram', () => atHostB++);
for (let i = 0; i < 200 && hostA.peer(hostB.deviceId).path !== 'direct'; i++) {
  hostA.send(hostB.deviceId, data);
  hostB.send(hostA.deviceId, data);
  await sleep(25);
}
if (hostA.peer(hostB.deviceId).path !== 'direct') throw new Error('no direct path came up');
const s1 = await bindUdp();
const s2 = await bindUdp();
let atS2 = 0;
s2.on('message', () => atS2++);
const rawDatagram = random(PAYLOAD + 1).slice();
const s2Port = s2.address().port;
const direct: number[] = [];
const rawDirect: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  rawDirect.push(
    await blast(
      'raw socket to socket',
      () => s1.send(rawDatagram, s2Port, '127.0.0.1'),
      () => atS2,
    ),
  );
  direct.push(
    await blast(
      'direct secure',
      () => hostA.send(hostB.deviceId, data),
      () => atHostB,
    ),
  );
}

report(`natbase over loopback UDP (${PACKETS} packets a round, ${ROUNDS} rounds, medians)`, [
  {
    name: `relayed DATA through the base, ${PAYLOAD} B payload`,
    value: median(relay),
    unit: 'packets/s',
    baseline: median(raw),
    baselineName: 'raw UDP forwarder',
    goalRatio: 0.5,
  },
  {
    name: `direct host→host DATA, secure layer, ${PAYLOAD} B payload`,
    value: median(direct),
    unit: 'packets/s',
    baseline: median(rawDirect),
    baselineName: 'raw UDP socket to socket',
  },
]);
for (const [label, f] of delivered) {
  console.log(`delivered / sent, ${label}: ${f.map((x) => x.toFixed(2)).join(', ')}`);
}
const drops = Object.entries(base.stats.drops).filter(([, n]) => n > 0);
console.log(`base drops: ${drops.length ? drops.map(([r, n]) => `${r} ${n}`).join(', ') : 'none'}`);
console.log(
  `(relayed by the base over UDP in total: ${relayedAtBase}; path a→b: ${hostA.peer(hostB.deviceId).path})`,
);

await hostA.close();
await hostB.close();
for (const s of [aUdp, bUdp, fwd, s1, s2]) s.close();
await base.close();
process.exit(0);
