// The relay serving HTTPS and WSS from a certificate and key in its configuration.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SpotClient } from '@peerwire/client';
import { connectWebSocket } from '@peerwire/transport/node';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningRelay } from '../src/server.js';
import { makeKeychain, startRelay } from './helpers.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const ca = readFileSync(fixture('localhost-cert.pem'), 'utf8');

let relay: RunningRelay | undefined;
let client: SpotClient | undefined;
afterEach(async () => {
  await client?.stop();
  await relay?.close();
});

describe('TLS', () => {
  it('serves wss:// and https:// from tlsCert/tlsKey', async () => {
    relay = await startRelay({
      tlsCert: fixture('localhost-cert.pem'),
      tlsKey: fixture('localhost-key.pem'),
    });
    expect(relay.url).toMatch(/^https:\/\//);
    expect(relay.spotUrl).toMatch(/^wss:\/\//);
    const url = relay.spotUrl.replace('127.0.0.1', 'localhost');
    client = new SpotClient({
      keychain: await makeKeychain(),
      relays: [url],
      dial: (u) => connectWebSocket(u, { tls: { ca } }),
    });
    await client.start();
    await client.waitOnline(10_000);
    expect(await client.relayVersion()).toBe('peerwire-relay/test');
    // an untrusted certificate is refused by the client's TLS check
    await expect(connectWebSocket(url, { timeoutMs: 5000 })).rejects.toMatchObject({ code: 'TLS' });
  });

  it('refuses to start with only one of tlsCert and tlsKey', async () => {
    await expect(startRelay({ tlsCert: fixture('localhost-cert.pem') })).rejects.toThrow(
      /tlsCert and tlsKey must be given together/,
    );
  });
});
