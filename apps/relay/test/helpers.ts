// Shared pieces of the relay app's end-to-end tests: start a relay on loopback, make clients.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpotClient } from '@peerwire/client';
import { generatePrivateKey, IDCard, Keychain, signHandshake } from '@peerwire/crypto';
import type { Link } from '@peerwire/transport';
import { connectWebSocket } from '@peerwire/transport/node';
import {
  decodeHandshakeRequest,
  encodeHandshakeResponse,
  PacketType,
  readPacketType,
} from '@peerwire/wire';
import { pino } from 'pino';
import { resolveConfig } from '../src/config.js';
import { type RunningRelay, startRelayServer } from '../src/server.js';

export const silent = pino({ level: 'silent' });

export function tempDir(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'peerwire-relay-test-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export async function startRelay(overrides: Record<string, unknown> = {}): Promise<RunningRelay> {
  const config = resolveConfig(
    {
      host: '127.0.0.1',
      port: 0,
      memory: true,
      serverCode: 'test',
      bob: { port: 0, securePort: 0 }, // any free ports: tests never bind bob's 9000/9001
      ptpchat: { port: 0, udpPort: 0 }, // nor ptpchat's 9011
    },
    overrides,
  );
  return startRelayServer(config, { logger: silent, version: 'test' });
}

export async function makeKeychain(type: 'P-256' | 'Ed25519' = 'P-256'): Promise<Keychain> {
  return new Keychain().add(await generatePrivateKey(type));
}

export async function startClient(
  url: string,
  keychain?: Keychain,
  extra: Partial<ConstructorParameters<typeof SpotClient>[0]> = {},
): Promise<SpotClient> {
  const client = new SpotClient({
    keychain: keychain ?? (await makeKeychain()),
    relays: [url],
    dial: (u) => connectWebSocket(u, { timeoutMs: 5000 }),
    reconnect: { minDelayMs: 50, maxDelayMs: 500 },
    ...extra,
  });
  await client.start();
  await client.waitOnline(10_000);
  return client;
}

/** A bare WebSocket peer that completes the handshake by hand (for hostile-input tests). */
export async function rawPeer(
  url: string,
  opts: { handshake?: boolean } = {},
): Promise<{
  link: Link;
  received: Uint8Array[];
  closed: Promise<{ code: number; reason: string }>;
  address: string;
}> {
  const self = await generatePrivateKey('Ed25519');
  const keychain = new Keychain().add(self);
  const card = IDCard.create(self.publicKey).addKeychain(keychain);
  const blob = await card.sign(self);
  const link = await connectWebSocket(url, { timeoutMs: 5000 });
  const received: Uint8Array[] = [];
  let online!: () => void;
  const ready = new Promise<void>((r) => {
    online = r;
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    link.on('close', (info) => resolve({ code: info.code, reason: info.reason }));
  });
  link.on('message', (data) => {
    received.push(data.slice());
    if (readPacketType(data) !== PacketType.Handshake || opts.handshake === false) return;
    const req = decodeHandshakeRequest(data);
    if (req.ready) online();
    else
      void signHandshake({ raw: req.raw }, self, blob).then((res) =>
        link.send(encodeHandshakeResponse(res)),
      );
  });
  if (opts.handshake !== false) await ready;
  return { link, received, closed, address: card.address };
}

export function waitFor(
  check: () => boolean,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = () => {
      if (check()) resolve();
      else if (Date.now() - started > timeoutMs) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(poll, 10);
    };
    poll();
  });
}
