// End-to-end encrypted query round trips between two clients through an in-process relay core
// (in-memory links, no sockets), beside the crypto alone that such a round trip needs (seal and
// open the request, seal and open the response) in the same run.
import {
  generatePrivateKey,
  Keychain,
  openBottle,
  type PrivateKey,
  sealMessageBody,
} from '@peerwire/crypto';
import { Relay } from '@peerwire/relay';
import { measureAllAsync, report } from '../../../tooling/bench.js';
import { type ClientLink, SpotClient } from '../src/index.js';

const relay = new Relay({
  serverCode: 'bench',
  limits: { messagesPerSecond: 1e12, messageBurst: 1e12, bytesPerSecond: 1e15, byteBurst: 1e15 },
});
await relay.start();

/** A client link whose other end is a relay session, in memory (early messages are held). */
function dial(): Promise<ClientLink> {
  const onMessage: ((d: Uint8Array) => void)[] = [];
  const onClose: ((i: { code: number; reason: string }) => void)[] = [];
  const held: Uint8Array[] = [];
  const session = relay.accept(
    {
      bufferedAmount: 0,
      send: (p: Uint8Array) => {
        const copy = p.slice();
        if (onMessage.length === 0) held.push(copy);
        else queueMicrotask(() => onMessage.forEach((h) => h(copy)));
      },
      close: (code: number, reason: string) => onClose.forEach((h) => h({ code, reason })),
    },
    '127.0.0.1',
  )!;
  const link: ClientLink = {
    bufferedAmount: 0,
    send: (data: Uint8Array) => queueMicrotask(() => session.receive(data)),
    close: () => session.closed(),
    on: ((event: 'message' | 'close', h: never) => {
      if (event === 'close') onClose.push(h);
      else {
        onMessage.push(h);
        for (const p of held.splice(0)) queueMicrotask(() => onMessage.forEach((f) => f(p)));
      }
      return () => {};
    }) as ClientLink['on'],
  };
  return Promise.resolve(link);
}

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
