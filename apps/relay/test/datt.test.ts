// The relay's Datt node: config, post/get with payments over loopback, hostile peers, metrics,
// persistence and shutdown.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import {
  addressFromString,
  addressToString,
  DEFAULT_DATT_LIMITS,
  encodeDmsg,
  encodeMessage,
  MemoryContentStore,
  parseContentBody,
  serializeTransaction,
  sha256,
  signContentAuth,
  verifyContentAuth,
} from '@peerwire/datt';
import { type DattNode, startDattNode, type Wallet } from '@peerwire/datt/node';
import { toHex, utf8Encode } from '@peerwire/wire';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { configFromEnv, describeConfig, resolveConfig } from '../src/config.js';
import { DATT_ENV_OPTIONS, dattLimitEnvName } from '../src/datt-config.js';
import type { RunningRelay } from '../src/server.js';
import { startRelay, tempDir, waitFor } from './helpers.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const DATT_ON = { enabled: true, port: 0, wsPort: 0 };

async function relay(overrides: Record<string, unknown> = {}): Promise<RunningRelay> {
  const r = await startRelay({ datt: DATT_ON, ...overrides });
  cleanups.push(() => r.close());
  return r;
}

/** A raw transaction paying `amount` to `address` (one fake input), as a wallet would hand it over. */
function payment(amount: bigint, address: Uint8Array, salt: number): Uint8Array {
  return serializeTransaction({
    version: 1,
    inputs: [
      {
        prevTxid: new Uint8Array(32).fill(salt),
        prevIndex: 0,
        script: new Uint8Array(0),
        sequence: 0xffffffff,
      },
    ],
    outputs: [
      {
        value: amount,
        scriptPubKey: Uint8Array.of(0x76, 0xa9, 0x14, ...address.subarray(1), 0x88, 0xac),
      },
    ],
    lockTime: 0,
  });
}

let salt = 0;
const payingWallet: Wallet = ({ amount, address }) => payment(amount, address, ++salt);

async function client(name: string, wallet?: Wallet): Promise<DattNode> {
  const node = await startDattNode({
    dataDir: '/nonexistent',
    store: new MemoryContentStore(),
    keys: { privateKey: sha256(utf8Encode(`relay datt test ${name}`)) },
    ...(wallet ? { wallet } : {}),
  });
  cleanups.push(() => node.close());
  return node;
}

async function metricsText(r: RunningRelay): Promise<string> {
  return (await fetch(`${r.url}/metrics`)).text();
}

function metric(text: string, name: string): number {
  const m = new RegExp(`^${name.replace(/[{}"]/g, (c) => `\\${c}`)} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : Number.NaN;
}

describe('datt config', () => {
  it('is off by default with ports 4000/4001, and every option is documented', () => {
    const config = resolveConfig({});
    expect(config.datt).toMatchObject({ enabled: false, port: 4000, wsPort: 4001, getPrice: 0 });
    const help = describeConfig();
    for (const name of Object.keys(DATT_ENV_OPTIONS)) expect(help).toContain(name);
    for (const limit of Object.keys(DEFAULT_DATT_LIMITS)) {
      expect(help).toContain(`${limit} `);
      expect(help).toContain(dattLimitEnvName(limit));
    }
  });

  it('merges file < environment < flags key by key, limits included', () => {
    const file = { datt: { enabled: true, port: 5000, limits: { maxPeers: 10 } } };
    const env = configFromEnv({
      PEERWIRE_DATT_WS_PORT: '5001',
      PEERWIRE_DATT_GET_PRICE: '250',
      PEERWIRE_DATT_LIMIT_HANDSHAKE_TIMEOUT_MS: '3000',
      PEERWIRE_DATT_ADVERTISE: 'tcp://a.example:5000, ws://a.example:5001/',
    });
    const flags = { datt: { enabled: undefined, port: 6000, wsPort: undefined } };
    const config = resolveConfig(file, env, flags);
    expect(config.datt).toMatchObject({
      enabled: true,
      port: 6000,
      wsPort: 5001,
      getPrice: 250,
      advertise: ['tcp://a.example:5000', 'ws://a.example:5001/'],
      limits: { maxPeers: 10, handshakeTimeoutMs: 3000 },
    });
    expect(resolveConfig(configFromEnv({ PEERWIRE_DATT: 'yes' })).datt.enabled).toBe(true);
  });

  it('refuses bad values with the option named', () => {
    expect(() => resolveConfig({ datt: { payTo: '1NotAnAddress' } })).toThrow(/datt\.payTo/);
    expect(() => resolveConfig({ datt: { port: 70000 } })).toThrow(/datt\.port/);
    expect(() => resolveConfig({ datt: { getPrice: -1 } })).toThrow(/datt\.getPrice/);
    expect(() => resolveConfig({ datt: { limits: { maxPeer: 1 } } })).toThrow(/datt\.limits/);
    expect(() => resolveConfig({ datt: { bogus: 1 } })).toThrow(/datt/);
    expect(() => configFromEnv({ PEERWIRE_DATT_PORT: 'x' })).toThrow(/PEERWIRE_DATT_PORT/);
  });
});

describe('the relay runs a Datt node', () => {
  it('does not start one unless enabled', async () => {
    const r = await startRelay();
    cleanups.push(() => r.close());
    expect(r.datt).toBeUndefined();
    expect(await metricsText(r)).not.toContain('peerwire_datt_');
  });

  for (const transport of ['tcp', 'ws'] as const) {
    it(`posts and gets over ${transport}, paid as the config says, with metrics`, async () => {
      const r = await relay({ datt: { ...DATT_ON, getPrice: 1500, postPrice: 500 } });
      expect(r.services.get('datt')).toBe(r.datt);
      const health = (await (await fetch(`${r.url}/healthz`)).json()) as {
        status: string;
        services: Record<string, unknown>;
      };
      expect(health.services.datt).toMatchObject({ ok: true, peers: 0, tcp: r.datt!.ports.tcp });
      expect(r.datt!.metrics).toContain('peerwire_datt_peers');
      const payTo = addressFromString(r.datt!.payTo);
      const url =
        transport === 'tcp'
          ? `tcp://127.0.0.1:${r.datt!.ports.tcp}`
          : `ws://127.0.0.1:${r.datt!.ports.ws}/`;
      const paid: bigint[] = [];
      const wallet: Wallet = (request) => {
        expect(toHex(request.address)).toBe(toHex(payTo));
        paid.push(request.amount);
        return payingWallet(request);
      };
      const alice = await client('alice', wallet);
      const bob = await client('bob', wallet);
      await alice.connect(url);
      await bob.connect(url);

      const posted = await alice.post({ name: 'alice', label: 'news', title: 'T', body: 'hello' });
      expect(posted.peers[0]).toMatchObject({ ok: true });
      const got = await bob.get(posted.hash);
      expect(parseContentBody(verifyContentAuth(got, posted.hash).content).body).toBe('hello');
      expect(paid).toEqual([500n, 1500n]);

      const text = await metricsText(r);
      expect(metric(text, 'peerwire_datt_peers')).toBe(2);
      expect(metric(text, 'peerwire_datt_content_stored_total')).toBe(1);
      expect(metric(text, 'peerwire_datt_content_served_total')).toBe(1);
      expect(metric(text, 'peerwire_datt_payments_verified_total')).toBe(2);
      expect(metric(text, 'peerwire_datt_payments_refused_total')).toBe(0);
      expect(metric(text, 'peerwire_datt_messages_received_total')).toBeGreaterThan(4);
    });
  }

  it('refuses a payment that is too small, and counts it', async () => {
    const r = await relay({ datt: { ...DATT_ON, getPrice: 1000 } });
    const author = await client('author');
    await author.connect(`tcp://127.0.0.1:${r.datt!.ports.tcp}`);
    const { hash } = await author.post(utf8Encode('priced'));
    const cheap = await client('cheap', ({ amount, address }) =>
      payment(amount - 1n, address, 200),
    );
    await cheap.connect(`tcp://127.0.0.1:${r.datt!.ports.tcp}`);
    await expect(cheap.get(hash)).rejects.toMatchObject({ code: 'PAYMENT_REJECTED' });
    expect(metric(await metricsText(r), 'peerwire_datt_payments_refused_total')).toBe(1);
  });

  it('survives bad peers: each is cut off and counted, other peers are served', async () => {
    const r = await relay({ datt: { ...DATT_ON, limits: { maxDataLength: 2000 } } });
    const good = await client('good');
    const peer = await good.connect(`tcp://127.0.0.1:${r.datt!.ports.tcp}`);
    const { hash, contentAuth } = await good.post(utf8Encode('survivor'));

    const init = encodeMessage({ type: 'init', version: 1, services: 0n, addresses: [] });
    const tcp = (payload: Uint8Array) =>
      new Promise<void>((resolve) => {
        const socket = connect(r.datt!.ports.tcp!, '127.0.0.1', () => socket.write(payload));
        socket.on('data', () => {});
        socket.on('error', () => {});
        socket.on('close', () => resolve());
      });
    const ws = (payload: Uint8Array | string) =>
      new Promise<void>((resolve) => {
        const socket = new WebSocket(`ws://127.0.0.1:${r.datt!.ports.ws}/`);
        socket.on('open', () => socket.send(payload));
        socket.on('error', () => {});
        socket.on('close', () => resolve());
      });

    await tcp(utf8Encode('GET / HTTP/1.1\r\nHost: x\r\n\r\n')); // not Datt at all
    const oversized = encodeDmsg('postdata', new Uint8Array(0)).slice();
    new DataView(oversized.buffer).setUint32(16, 0xffffffff, false);
    await tcp(oversized);
    const badSum = encodeMessage({ type: 'getdata', hash: new Uint8Array(32) }).slice();
    badSum[21]! ^= 0xff;
    await tcp(Buffer.concat([init, badSum]));
    const forged = signContentAuth(
      { content: utf8Encode('forged'), date: 1 },
      sha256(utf8Encode('forger')),
    ).bytes.slice();
    forged[forged.length - 1]! ^= 1;
    await tcp(
      Buffer.concat([
        init,
        encodeMessage({ type: 'postdata', hash: sha256(forged), contentAuth: forged }),
      ]),
    );
    await tcp(Buffer.concat([init, encodeDmsg('getpeers', new Uint8Array(0))]));
    await tcp(encodeMessage({ type: 'getdata', hash }));
    await ws('text is not a DMsg');
    await ws(new Uint8Array(5000));

    const d = r.datt!.node.stats.disconnects;
    await waitFor(() => d.BAD_FRAME === 5, 10_000, 'five BAD_FRAME disconnects');
    expect(d).toMatchObject({ BAD_SIGNATURE: 1, UNKNOWN_COMMAND: 1, PROTOCOL: 1 });
    expect(toHex(await good.get(hash, { peers: [peer] }))).toBe(toHex(contentAuth));
    const text = await metricsText(r);
    expect(metric(text, 'peerwire_datt_disconnects_total{reason="BAD_FRAME"}')).toBe(5);
    expect(metric(text, 'peerwire_datt_misbehaving_total')).toBe(8);
    expect(metric(text, 'peerwire_datt_peers')).toBe(1);
  });

  it('keeps content and its key in <dataDir>/datt across restarts', async () => {
    const dir = tempDir();
    cleanups.push(() => dir.remove());
    const options = { memory: false, dataDir: dir.path, datt: DATT_ON };
    const first = await startRelay(options);
    const author = await client('persist');
    await author.connect(`tcp://127.0.0.1:${first.datt!.ports.tcp}`);
    const { hash, contentAuth } = await author.post(utf8Encode('kept'));
    const payTo = first.datt!.payTo;
    await author.close();
    await first.close();

    const keyFile = join(dir.path, 'datt', 'node.key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(keyFile, 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
    expect(existsSync(join(dir.path, 'datt', 'content'))).toBe(true);

    const second = await relay(options);
    expect(second.datt!.payTo).toBe(payTo);
    const reader = await client('reader');
    await reader.connect(`ws://127.0.0.1:${second.datt!.ports.ws}/`);
    expect(toHex(await reader.get(hash))).toBe(toHex(contentAuth));
  });

  it('asks payments to the configured address instead of the node key when payTo is set', async () => {
    const payTo = addressToString(
      Uint8Array.of(0, ...sha256(utf8Encode('operator wallet')).subarray(0, 20)),
    );
    const r = await relay({ datt: { ...DATT_ON, payTo, getPrice: 10 } });
    expect(r.datt!.payTo).toBe(payTo);
    const author = await client('payto author');
    await author.connect(`tcp://127.0.0.1:${r.datt!.ports.tcp}`);
    const { hash } = await author.post(utf8Encode('for sale'));
    const asked: string[] = [];
    const buyer = await client('payto buyer', (request) => {
      asked.push(addressToString(request.address));
      return payingWallet(request);
    });
    await buyer.connect(`tcp://127.0.0.1:${r.datt!.ports.tcp}`);
    await buyer.get(hash);
    expect(asked).toEqual([payTo]);
  });

  it('stops the Datt node on graceful shutdown', async () => {
    const r = await startRelay({ datt: DATT_ON });
    const c = await client('closing');
    const peer = await c.connect(`tcp://127.0.0.1:${r.datt!.ports.tcp}`);
    expect(c.peers()).toEqual([peer]);
    const port = r.datt!.ports.tcp!;
    await r.close();
    await waitFor(() => c.peers().length === 0, 10_000, 'the client to see the close');
    await expect(c.connect(`tcp://127.0.0.1:${port}`)).rejects.toMatchObject({ code: 'CLOSED' });
  });
});
