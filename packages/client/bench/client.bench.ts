// End-to-end encrypted query round trips between two clients through an in-process relay core
// (in-memory links from test/memory-relay.ts, no sockets), beside the crypto alone that such a round trip needs (seal and
// open the request, seal and open the response) in the same run.
import {
  generatePrivateKey,
  Keychain,
  openBottle,
  type PrivateKey,
  sealMessageBody,
} from '@peerwire/crypto';
import { measureAllAsync, report } from '../../../tooling/bench.js';
import { SpotClient } from '../src/index.js';
import { memoryRelay } from '../test/memory-relay.js';

const net = await memoryRelay({
  limits: { messagesPerSecond: 1e12, messageBurst: 1e12, bytesPerSecond: 1e15, byteBurst: 1e15 },
});
const dial = net.dial;

async function client(key: PrivateKey): Promise<SpotClient> {
  const c = new SpotClient({ keychain: new Keychain().add(key), relays: ['mem://relay'], dial });
  await c.start();
  await c.waitOnline();
  return c;
}

for (const type of ['Ed25519', 'P-256'] as const) {
  const aKey = await generatePrivateKey(type);
  const bKey = await generatePrivateKey(type);
  const alice = await client(aKey);
  const bob = await client(bKey);
  bob.handle('echo', (req) => req.payload);
  const payload = new Uint8Array(1024);
  const aliceCard = alice.card;
  const bobCard = await alice.getIdCard(bob.address);
  const r = await measureAllAsync({
    query: async () => {
      await alice.query(`${bob.address}/echo`, payload);
    },
    crypto: async () => {
      const req = await sealMessageBody(payload, { signer: aKey, recipient: bobCard });
      await openBottle(req, bob.keychain);
      const res = await sealMessageBody(payload, { signer: bKey, recipient: aliceCard });
      await openBottle(res, alice.keychain);
    },
  });
  report(
    `Encrypted query round trips, ${type} identities, 1 KiB payload (round trips per second)`,
    [
      {
        name: 'SpotClient.query through a relay core',
        value: r.query!,
        unit: 'round trips/s',
        baseline: r.crypto!,
        baselineName: 'the seals and opens alone',
      },
    ],
  );
  await alice.stop();
  await bob.stop();
}
