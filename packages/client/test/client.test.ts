import { generatePrivateKey, Keychain } from '@peerwire/crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { expectRejectsCode } from '../../../tooling/test-helpers.js';
import { ClientError, discoverRelays, SpotClient } from '../src/index.js';
import { type MemoryRelay, memoryRelay } from './memory-relay.js';

const clients: SpotClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.stop();
});

async function peer(
  net: MemoryRelay,
  type: 'P-256' | 'Ed25519' = 'P-256',
  extra = {},
): Promise<SpotClient> {
  const client = new SpotClient({
    keychain: new Keychain().add(await generatePrivateKey(type)),
    relays: ['mem://relay'],
    dial: net.dial,
    reconnect: { minDelayMs: 10, maxDelayMs: 50 },
    ...extra,
  });
  clients.push(client);
  await client.start();
  await client.waitOnline(5000);
  return client;
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('messaging', () => {
  it('seals to k. targets and answers through handlers, errors included', async () => {
    const net = await memoryRelay();
    const a = await peer(net);
    const b = await peer(net, 'Ed25519'); // gets an ephemeral P-256 decrypt key
    expect(b.card.getKeys('decrypt').length).toBe(1);
    b.handle('fail', () => {
      throw new Error('nope, not today');
    });
    b.handle('quiet', () => undefined);
    await expectRejectsCode(() => a.query(`${b.address}/fail`), ClientError, 'REMOTE_ERROR');
    await expect(a.query(`${b.address}/fail`)).rejects.toThrow('nope, not today');
    await expect(a.query(`${b.address}/unknown`)).rejects.toThrow('unknown endpoint unknown');
    await expectRejectsCode(
      () => a.query(`${b.address}/quiet`, '', { timeoutMs: 200 }),
      ClientError,
      'TIMEOUT',
    );
    expect(text(await a.query(`${b.address}/version`))).toBe('peerwire-client');
    expect(await a.query(`${b.address}/finger`)).toEqual(await b.signedCard());
  });

  it('sends raw (NotBottle) payloads and marks them', async () => {
    const net = await memoryRelay();
    const [a, b] = [await peer(net), await peer(net)];
    const seen: { raw: boolean; encrypted: boolean; payload: string }[] = [];
    b.handle('raw', (req) => {
      seen.push({ raw: req.raw, encrypted: req.encrypted, payload: text(req.payload) });
      return 'ok';
    });
    expect(text(await a.query(`${b.address}/raw`, 'plain', { raw: true }))).toBe('ok');
    expect(seen).toEqual([{ raw: true, encrypted: false, payload: 'plain' }]);
  });

  it('hands sign-only requests (c. targets) to handlers as not encrypted', async () => {
    const net = await memoryRelay();
    const [a, b] = [await peer(net), await peer(net)];
    const seen: boolean[] = [];
    b.handle('x', (req) => {
      seen.push(req.encrypted);
      return 'y';
    });
    const cid = b.connections[0]!.cid;
    expect(text(await a.query(`c.${cid}/x`))).toBe('y');
    expect(seen).toEqual([false]);
  });

  it('refuses bad addresses and oversized payloads with typed errors', async () => {
    const net = await memoryRelay();
    const a = await peer(net);
    await expectRejectsCode(() => a.send('k.bad/x', 'hi'), ClientError, 'BAD_ADDRESS');
    await expectRejectsCode(() => a.send('no-endpoint', 'hi'), ClientError, 'BAD_ADDRESS');
    await expectRejectsCode(
      () => a.send('@/version', new Uint8Array(70_000)),
      ClientError,
      'TOO_LARGE',
    );
    const ghost = `k.${'A'.repeat(43)}/x`;
    await expectRejectsCode(() => a.query(ghost), ClientError, 'UNKNOWN_IDENTITY');
  });

  it('the ping endpoint echoes at most maxPingEchoBytes of the payload', async () => {
    const net = await memoryRelay();
    const a = await peer(net);
    const b = await peer(net);
    const c = await peer(net, 'P-256', { limits: { maxPingEchoBytes: 16 } });
    const payload = Uint8Array.from({ length: 200 }, (_, i) => i);
    expect(await a.query(`${b.address}/ping`, payload)).toEqual(payload.subarray(0, 128));
    expect(await a.query(`${c.address}/ping`, payload)).toEqual(payload.subarray(0, 16));
    expect(await a.ping(b.address)).toBeGreaterThanOrEqual(0);
  });

  it('caches ID cards and refreshes them on idcard_update', async () => {
    const net = await memoryRelay();
    const [a, b] = [await peer(net), await peer(net)];
    const first = await a.getIdCard(b.address);
    expect(await a.getIdCard(b.card.hash)).toBe(first); // cached object
    expect(first.hash).toBe(b.card.hash);
  });
});

describe('connections', () => {
  it('goes offline when the relay goes away and back online by itself', async () => {
    const net = await memoryRelay();
    const a = await peer(net);
    const events: string[] = [];
    a.on('offline', () => events.push('offline'));
    a.on('online', () => events.push('online'));
    net.dropAll();
    await new Promise((r) => setTimeout(r, 300));
    expect(events).toEqual(['offline', 'online']);
    expect(text(await a.query('@/version'))).toBe('peerwire-relay');
  });

  it('stop() fails pending queries and later calls with STOPPED', async () => {
    const net = await memoryRelay();
    const [a, b] = [await peer(net), await peer(net)];
    b.handle('slow', () => new Promise<undefined>(() => {}));
    const pending = a.query(`${b.address}/slow`);
    await new Promise((r) => setTimeout(r, 50));
    await a.stop();
    await expectRejectsCode(() => pending, ClientError, 'STOPPED');
    await expectRejectsCode(() => a.send('@/version', ''), ClientError, 'STOPPED');
  });

  it('waitOnline rejects with OFFLINE when no relay answers', async () => {
    const client = new SpotClient({
      keychain: new Keychain().add(await generatePrivateKey('P-256')),
      relays: ['mem://nowhere'],
      dial: () => Promise.reject(new Error('connection refused')),
      reconnect: { minDelayMs: 10, maxDelayMs: 20 },
    });
    clients.push(client);
    const problems: string[] = [];
    client.on('problem', (p) => problems.push(p.message));
    await client.start();
    await expectRejectsCode(() => client.waitOnline(200), ClientError, 'OFFLINE');
    expect(problems.some((p) => p.includes('connection refused'))).toBe(true);
    expect(problems[0]).toBe('cannot connect to mem://nowhere: connection refused');
  });

  it('a dial error that already names the URL is reported once, not wrapped again', async () => {
    const url = 'ws://127.0.0.1:1/_websocket';
    const client = new SpotClient({
      keychain: new Keychain().add(await generatePrivateKey('P-256')),
      relays: [url],
      dial: (u) => Promise.reject(new Error(`cannot connect to ${u}: connect ECONNREFUSED`)),
      reconnect: { minDelayMs: 10, maxDelayMs: 20 },
    });
    clients.push(client);
    const problems: string[] = [];
    client.on('problem', (p) => problems.push(p.message));
    await client.start();
    await expectRejectsCode(() => client.waitOnline(100), ClientError, 'OFFLINE');
    expect(problems[0]).toBe(`cannot connect to ${url}: connect ECONNREFUSED`);
  });
});

describe('structure', () => {
  it('keeps the relay-connection callbacks off the public API', async () => {
    const client = new SpotClient({
      keychain: new Keychain().add(await generatePrivateKey('P-256')),
      relays: ['mem://nowhere'],
      dial: () => Promise.reject(new Error('unused')),
    });
    for (const name of ['answerHandshake', 'onOnline', 'onOffline', 'onPacket', 'onProblem'])
      expect(name in client).toBe(false);
  });

  it('spreads reconnect delays with the injected random source, not Math.random', async () => {
    const delays: number[] = [];
    const clock = {
      now: () => 1_700_000_000_000,
      setTimeout: (_fn: () => void, ms: number) => {
        delays.push(ms);
        return delays.length;
      },
      clearTimeout: () => {},
    };
    const run = async (first: number, rest: number) => {
      delays.length = 0;
      const client = new SpotClient({
        keychain: new Keychain().add(await generatePrivateKey('P-256')),
        relays: ['mem://nowhere'],
        dial: () => Promise.reject(new Error('connection refused')),
        clock,
        random: (n) => new Uint8Array(n).fill(rest).fill(first, 0, 1),
        reconnect: { minDelayMs: 100, maxDelayMs: 1000, factor: 2, jitter: 0.2 },
      });
      clients.push(client);
      await client.start();
      await new Promise((r) => setTimeout(r, 20));
      return delays[0];
    };
    expect(await run(0, 0)).toBe(80); // fraction 0: base × (1 − jitter)
    expect(await run(0x80, 0)).toBe(100); // fraction ½: the base delay itself
    expect(await run(0xff, 0xff)).toBeCloseTo(120, 4); // fraction ≈ 1: base × (1 + jitter)
  });

  it('an unknown identity is UNKNOWN_IDENTITY, with the relay answer as its cause', async () => {
    const net = await memoryRelay();
    const a = await peer(net);
    const error = await a.query(`k.${'A'.repeat(43)}/x`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClientError);
    expect((error as ClientError).code).toBe('UNKNOWN_IDENTITY');
    expect(((error as ClientError).cause as ClientError).code).toBe('REMOTE_ERROR');
  });
});

describe('discovery', () => {
  const fakeFetch = (status: number, body: unknown) =>
    (async () => new Response(JSON.stringify(body), { status })) as unknown as typeof fetch;

  it('turns hosts into WebSocket URLs (wss for https, ws for http), at most 10', async () => {
    const hosts = Array.from({ length: 12 }, (_, i) => `h${i}.example`);
    const r = await discoverRelays(
      'https://api.example/',
      fakeFetch(200, { result: 'success', data: { hosts, min_conn: 0 } }),
    );
    expect(r.urls.length).toBe(10);
    expect(r.urls[0]).toBe('wss://h0.example/_websocket');
    expect(r.minConnections).toBe(10);
    const local = await discoverRelays(
      'http://127.0.0.1:8080',
      fakeFetch(200, { result: 'success', data: { hosts: ['127.0.0.1:8080'], min_conn: 1 } }),
    );
    expect(local).toEqual({ urls: ['ws://127.0.0.1:8080/_websocket'], minConnections: 1 });
  });

  it('reports failures and unexpected bodies as DISCOVERY_FAILED', async () => {
    await expectRejectsCode(
      () => discoverRelays('https://x', fakeFetch(500, {})),
      ClientError,
      'DISCOVERY_FAILED',
    );
    await expectRejectsCode(
      () => discoverRelays('https://x', fakeFetch(200, { result: 'error' })),
      ClientError,
      'DISCOVERY_FAILED',
    );
    await expectRejectsCode(
      () => discoverRelays('https://x', fakeFetch(200, { result: 'success', data: { hosts: [] } })),
      ClientError,
      'DISCOVERY_FAILED',
    );
  });
});
