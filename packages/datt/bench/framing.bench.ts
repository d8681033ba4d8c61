// DMsg over @peerwire/transport TCP links, as the Node entry point runs it: 1 KiB `contentauth`
// frames echoed over one Link pair with dmsgFraming, each frame checked on arrival (decodeDmsg
// with node:crypto's SHA-256d, as the engine does) and re-encoded for the echo. Baselines, same
// run: the same echo of the 1 KiB data over transport's own u32 length-prefix framing, once with
// the same four SHA-256d per echo (so that the ratio shows what the DMsg framing adds) and once
// without any hashing (what the transport costs on its own).
import { connectTcp, type Framing, lengthPrefixed, listenTcp } from '@peerwire/transport/node';
import { measureAllAsync, report } from '../../../tooling/bench.js';
import { decodeDmsg, encodeDmsg } from '../src/index.js';
import { dmsgFraming, nodeSha256d } from '../src/node/index.js';

const BURST = 100;
const data = Uint8Array.from({ length: 1024 }, (_, i) => (i * 7) & 0xff);
const options = { sha256d: nodeSha256d };

type Mode = 'dmsg' | 'hashed' | 'plain';
let sink = 0;

async function pair(framing: Framing, mode: Mode) {
  const hash = (m: Uint8Array) => {
    if (mode === 'hashed') sink += nodeSha256d(m)[0]!;
  };
  const server = await listenTcp({ host: '127.0.0.1', port: 0, framing }, (link) => {
    link.on('message', (m) => {
      if (mode === 'dmsg') {
        const { cmd, data } = decodeDmsg(m, options);
        link.send(encodeDmsg(cmd, data, options));
      } else {
        hash(m);
        const echo = m.slice();
        hash(echo);
        link.send(echo);
      }
    });
  });
  const client = await connectTcp({ host: '127.0.0.1', port: server.port, framing });
  let pending = 0;
  let done: () => void = () => {};
  client.on('message', (m) => {
    if (mode === 'dmsg') decodeDmsg(m, options);
    else hash(m);
    if (--pending === 0) done();
  });
  const send = () => {
    if (mode === 'dmsg') return encodeDmsg('contentauth', data, options);
    const m = data.slice();
    hash(m);
    return m;
  };
  const burst = () =>
    new Promise<void>((resolve) => {
      done = resolve;
      pending = BURST;
      for (let i = 0; i < BURST; i++) client.send(send());
    });
  return { burst, close: () => Promise.all([client.close(), server.close()]) };
}

const datt = await pair(dmsgFraming(), 'dmsg');
const hashed = await pair(lengthPrefixed(), 'hashed');
const plain = await pair(lengthPrefixed(), 'plain');
const r = await measureAllAsync(
  { datt: datt.burst, hashed: hashed.burst, plain: plain.burst },
  { roundMs: 1000, rounds: 5, warmupMs: 1000 },
);
await Promise.all([datt.close(), hashed.close(), plain.close()]);

report(`DMsg echo over a TCP Link pair, 1 KiB data, bursts of ${BURST} (messages per second)`, [
  {
    name: 'dmsgFraming, each frame encoded and checked at both ends (node:crypto SHA-256d)',
    value: r.datt! * BURST,
    unit: 'msg/s',
    baseline: r.hashed! * BURST,
    baselineName: 'lengthPrefixed framing + the same 4 SHA-256d per echo',
  },
  {
    name: 'dmsgFraming, each frame encoded and checked at both ends (node:crypto SHA-256d)',
    value: r.datt! * BURST,
    unit: 'msg/s',
    baseline: r.plain! * BURST,
    baselineName: 'lengthPrefixed framing, no hashing at all',
  },
]);
if (sink === -1) console.log('');
