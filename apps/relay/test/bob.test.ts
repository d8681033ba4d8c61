// The bob relay inside the daemon: config, and end-to-end transfers over loopback TCP through
// startRelayServer (the real composition main.ts runs).
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import {
  BobError,
  BobServer,
  encodeRoot,
  generateSecret,
  ObjectType,
  objectId,
  PackWriter,
  type PeerEvent,
  RecordSealer,
  recordKeys,
} from '@peerwire/bob';
import { nodePrimitives, nodeRandom, receive, sendPath } from '@peerwire/bob/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectRejectsCode } from '../../../tooling/test-helpers.js';
import { configFromEnv, describeConfig, resolveConfig } from '../src/config.js';
import type { RunningRelay } from '../src/server.js';
import { startRelay } from './helpers.js';

let work: string;
let dirs = 0;
const cleanups: (() => Promise<unknown> | unknown)[] = [];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'peerwire-relay-bob-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function dir(): Promise<string> {
  const d = join(work, `d${dirs++}`);
  await mkdir(d);
  return d;
}

async function relay(overrides: Record<string, unknown> = {}): Promise<RunningRelay> {
  const r = await startRelay(overrides);
  cleanups.push(() => r.close());
  return r;
}

function at(r: RunningRelay) {
  const bob = r.bob!;
  return { relay: `127.0.0.1:${bob.relay.ports.handshake}`, securePort: bob.relay.ports.secure };
}

async function metric(r: RunningRelay, name: string, labels = ''): Promise<number> {
  const text = await r.metrics.registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? Number.NaN : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('bob relay configuration', () => {
  it('is on by default on bob ports 9000/9001, merged key by key across layers', () => {
    const defaults = resolveConfig({});
    expect(defaults.bob).toEqual({
      enabled: true,
      port: 9000,
      securePort: 9001,
      checkSecureAddress: true,
      limits: {},
    });
    const env = configFromEnv({
      PEERWIRE_BOB_PORT: '7000',
      PEERWIRE_BOB_LIMIT_IDLE_TIMEOUT_MS: '5000',
    });
    const merged = resolveConfig({ bob: { securePort: 7001, limits: { maxPeers: 10 } } }, env, {
      bob: { enabled: false, port: undefined },
    });
    expect(merged.bob).toEqual({
      enabled: false,
      port: 7000,
      securePort: 7001,
      checkSecureAddress: true,
      limits: { maxPeers: 10, idleTimeoutMs: 5000 },
    });
  });

  it('rejects bad values with the option named', () => {
    expect(() => resolveConfig({ bob: { port: 70000 } })).toThrow(/bob\.port/);
    expect(() => resolveConfig({ bob: { limits: { nope: 1 } } })).toThrow(/bob\.limits/);
    expect(() => resolveConfig({ bob: { port: 9100, securePort: 9100 } })).toThrow(/must differ/);
    expect(() => configFromEnv({ PEERWIRE_BOB_ENABLED: 'maybe' })).toThrow(/PEERWIRE_BOB_ENABLED/);
  });

  it('documents every bob option', () => {
    const text = describeConfig();
    for (const key of ['bob.enabled', 'bob.port', 'bob.securePort', 'PEERWIRE_BOB_LIMIT_MAX_PEERS'])
      expect(text).toContain(key);
  });

  it('can be turned off; the Spot relay runs alone', async () => {
    const r = await relay({ bob: { enabled: false }, ptpchat: { enabled: false } });
    expect(r.bob).toBeUndefined();
    const res = await fetch(`${r.url}/healthz`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { services: object }).services).toEqual({});
    expect(r.services.has('bob')).toBe(false);
    expect(await r.metrics.registry.metrics()).not.toContain('peerwire_bob_');
  });

  it('is a service of the daemon: /healthz reports it, and it lists the metrics it registered', async () => {
    const r = await relay();
    const bob = r.services.get('bob')!;
    expect(bob).toBe(r.bob);
    expect(bob.ports).toEqual({
      handshake: r.bob!.relay.ports.handshake,
      secure: r.bob!.relay.ports.secure,
    });
    expect(bob.metrics).toContain('peerwire_bob_pairings_total');
    expect(bob.metrics.every((name) => name.startsWith('peerwire_bob_'))).toBe(true);
    const health = (await (await fetch(`${r.url}/healthz`)).json()) as {
      status: string;
      services: Record<string, unknown>;
    };
    expect(health.status).toBe('ok');
    expect(health.services.bob).toMatchObject({ ok: true, peers: 0, transfers: 0 });
  });
});

describe('transfers through apps/relay', () => {
  it('sends a file, with metrics for peers, pairings and bytes piped', async () => {
    const r = await relay();
    const src = await dir();
    const out = await dir();
    const content = randomBytes(2 * 1024 * 1024 + 5);
    await writeFile(join(src, 'clip.mp4'), content);
    const receiving = receive('correct-horse', { ...at(r), outDir: out });
    // The receiver is registered before the sender shows up.
    await waitFor(async () => (await metric(r, 'peerwire_bob_peers', '{role="receiver"}')) === 1);
    const [sent, got] = await Promise.all([
      sendPath(join(src, 'clip.mp4'), { ...at(r), password: 'correct-horse', compression: false }),
      receiving,
    ]);
    expect(got).toMatchObject({ kind: 'file', name: 'clip.mp4', bytes: content.length });
    expect((await readFile(got.path)).equals(content)).toBe(true); // toEqual is slow on MiBs
    expect(sent.confirmed).toBe(true);
    expect(got.checksum).toMatch(/^[0-9a-f]{40}$/);
    expect(await metric(r, 'peerwire_bob_pairings_total')).toBe(1);
    expect(await metric(r, 'peerwire_bob_pipes_total')).toBe(1);
    expect(await metric(r, 'peerwire_bob_bytes_piped_total')).toBeGreaterThan(content.length);
    await waitFor(async () => (await metric(r, 'peerwire_bob_active_pipes')) === 0);
    expect(await metric(r, 'peerwire_bob_failures_total', '{reason="handshake_failed"}')).toBe(0);
  });

  it('sends a folder tree', async () => {
    const r = await relay();
    const src = await dir();
    const out = await dir();
    await mkdir(join(src, 'album', 'day 1', 'raw'), { recursive: true });
    await writeFile(join(src, 'album', 'cover.png'), randomBytes(70_000));
    await writeFile(join(src, 'album', 'day 1', 'a.txt'), 'first day\n');
    await writeFile(join(src, 'album', 'day 1', 'raw', 'b.bin'), randomBytes(100_000));
    await writeFile(join(src, 'album', 'empty'), '');
    const [, got] = await Promise.all([
      sendPath(join(src, 'album'), { ...at(r), password: 'tree-pw' }),
      receive('tree-pw', { ...at(r), outDir: out }),
    ]);
    expect(got).toMatchObject({ kind: 'folder', name: 'album', files: 4 });
    for (const rel of ['cover.png', 'day 1/a.txt', 'day 1/raw/b.bin', 'empty']) {
      const [a, b] = [join(out, 'album', rel), join(src, 'album', rel)];
      expect((await readFile(a)).equals(await readFile(b)), rel).toBe(true);
    }
  });

  it('wrong password: the receiver gets WRONG_PASSWORD; the relay counts the failed handshake', async () => {
    const r = await relay();
    const src = await dir();
    const out = await dir();
    await writeFile(join(src, 'secret.txt'), 'top secret');
    const controller = new AbortController();
    const sending = sendPath(join(src, 'secret.txt'), {
      ...at(r),
      password: 'right',
      signal: controller.signal,
    });
    sending.catch(() => {});
    await waitFor(() => r.bob!.relay.stats.servers === 1);
    await expectRejectsCode(
      () => receive('wrong', { ...at(r), outDir: out, wrongPasswordGraceMs: 200 }),
      BobError,
      'WRONG_PASSWORD',
    );
    controller.abort();
    await expectRejectsCode(() => sending, BobError, 'ABORTED');
    expect(await readdir(out)).toEqual([]);
    expect(
      await metric(r, 'peerwire_bob_failures_total', '{reason="handshake_failed"}'),
    ).toBeGreaterThanOrEqual(1);
  });

  it('the receiver refuses: both sides report REFUSED', async () => {
    const r = await relay();
    const src = await dir();
    const out = await dir();
    await writeFile(join(src, 'offer.txt'), 'take it');
    let asked = '';
    const sending = sendPath(join(src, 'offer.txt'), { ...at(r), password: 'refuse-me' });
    sending.catch(() => {});
    await expectRejectsCode(
      () =>
        receive('refuse-me', {
          ...at(r),
          outDir: out,
          accept: (identity) => {
            asked = identity;
            return false;
          },
        }),
      BobError,
      'REFUSED',
    );
    await expectRejectsCode(() => sending, BobError, 'REFUSED');
    expect(asked).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(await readdir(out)).toEqual([]);
    expect(await metric(r, 'peerwire_bob_failures_total', '{reason="refused"}')).toBe(1);
  });

  it('relay timeout: a sender alone gets RELAY_TIMEOUT (limits from the config)', async () => {
    const r = await relay({ bob: { limits: { idleTimeoutMs: 300 } } });
    const src = await dir();
    await writeFile(join(src, 'lonely.txt'), 'anyone?');
    await expectRejectsCode(
      () => sendPath(join(src, 'lonely.txt'), { ...at(r), password: 'nobody' }),
      BobError,
      'RELAY_TIMEOUT',
    );
    expect(await metric(r, 'peerwire_bob_failures_total', '{reason="idle_timeout"}')).toBe(1);
  });

  it('a tampered record is detected and nothing is left looking complete', async () => {
    const r = await relay();
    const src = await dir();
    const out = await dir();
    await writeFile(join(src, 'f.bin'), randomBytes(500_000));
    // The receiver reaches the secure room through a proxy that flips one bit mid-stream.
    const proxy = await flipProxy(r.bob!.relay.ports.secure, 250_000);
    cleanups.push(() => proxy.close());
    const sending = sendPath(join(src, 'f.bin'), { ...at(r), password: 'pw-tamper' });
    sending.catch(() => {});
    const error = await expectRejectsCode(
      () => receive('pw-tamper', { ...at(r), securePort: proxy.port, outDir: out }),
      BobError,
      'TAMPERED',
    );
    expect(error.message).toContain('modified');
    expect(await readdir(out)).toEqual([]);
  });

  it('a hostile folder pack with ../ names is rejected and writes nothing', async () => {
    const r = await relay();
    const out = await dir();
    const blob = new TextEncoder().encode('pwned');
    const tree = new Uint8Array([
      ...new TextEncoder().encode('100644 ../../escaped.txt\0'),
      ...objectId(ObjectType.Blob, blob),
    ]);
    const pack = buildPack([
      {
        type: ObjectType.Commit,
        content: encodeRoot({ name: 'innocent', tree: objectId(ObjectType.Tree, tree), count: 3 }),
      },
      { type: ObjectType.Tree, content: tree },
      { type: ObjectType.Blob, content: blob },
    ]);
    const sending = sendRawPack(r, 'pw-hostile', pack);
    sending.catch(() => {});
    await expectRejectsCode(
      () => receive('pw-hostile', { ...at(r), outDir: out }),
      BobError,
      'UNSAFE_PATH',
    );
    expect(await readdir(out)).toEqual([]);
    expect(await readdir(work)).not.toContain('escaped.txt');
    expect(await readdir(join(out, '..'))).not.toContain('escaped.txt');
  });

  it('graceful stop closes the bob ports', async () => {
    const r = await startRelay();
    const { handshake, secure } = r.bob!.relay.ports;
    await r.close();
    for (const port of [handshake, secure]) {
      await expect(
        new Promise((resolve, reject) => {
          const s = netConnect(port, '127.0.0.1');
          s.once('connect', () => {
            s.destroy();
            resolve('connected');
          });
          s.once('error', reject);
        }),
      ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    }
  });
});

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A PACK from whole objects (any content, hostile included), through the public writer. */
function buildPack(objects: readonly { type: 1 | 2 | 3 | 4; content: Uint8Array }[]): Uint8Array {
  const w = new PackWriter(objects.length, { sha1: nodePrimitives.sha1 });
  const parts = [w.header()];
  for (const o of objects) {
    parts.push(w.object(o.type, o.content.length), w.data(deflateSync(o.content)));
  }
  parts.push(w.trailer());
  return Buffer.concat(parts);
}

/** Reads a socket until the predicate says a handshake is done. */
function drive(socket: Socket, core: BobServer): Promise<PeerEvent & { type: 'done' }> {
  return new Promise((resolve, reject) => {
    const handle = (events: PeerEvent[]) => {
      for (const e of events) {
        if (e.type === 'send') socket.write(e.bytes);
        else if (e.type === 'done') resolve(e);
        else if (e.type === 'closed') reject(new Error('relay closed'));
      }
    };
    socket.on('data', (chunk: Buffer) => handle(core.receive(chunk)));
    socket.once('error', reject);
    handle(core.start());
  });
}

/** A sender that puts an arbitrary PACK on the wire, driving the public sender core by hand. */
async function sendRawPack(r: RunningRelay, password: string, pack: Uint8Array): Promise<void> {
  const { handshake, secure } = r.bob!.relay.ports;
  const hs = netConnect(handshake, '127.0.0.1');
  const secret = generateSecret(password, { salt: nodeRandom(16) });
  const { result } = await drive(hs, new BobServer({ secret, random: nodeRandom }));
  hs.destroy();
  const room = netConnect(secure, '127.0.0.1');
  room.on('error', () => {});
  room.write(`${result.peerIdentity}\n`, 'latin1');
  await new Promise<void>((resolve) => room.once('data', () => resolve())); // `00`
  const keys = recordKeys(result.sharedKeys, result.ciphers, 'sender');
  const sealer = new RecordSealer(keys.send, nodePrimitives.aead);
  for (const record of [...sealer.write(pack), ...sealer.close()]) room.write(record);
  await new Promise((resolve) => room.once('close', resolve));
}

/** A TCP proxy to `port` that flips one bit of the byte at `offset` (relay → client). */
async function flipProxy(
  port: number,
  offset: number,
): Promise<{ port: number; close(): Promise<void> }> {
  const conns: Socket[] = [];
  const server: Server = createServer((client) => {
    const upstream = netConnect(port, '127.0.0.1');
    conns.push(client, upstream);
    let seen = 0;
    client.on('error', () => {});
    upstream.on('error', () => {});
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      if (seen <= offset && offset < seen + chunk.length) chunk[offset - seen]! ^= 0x01;
      seen += chunk.length;
      client.write(chunk);
    });
    upstream.on('end', () => client.end());
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of conns) c.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('bob handshake port limits', () => {
  it('cuts connections beyond the per-IP limit and silent ones, and counts both', async () => {
    const r = await relay({ bob: { limits: { maxPeersPerAddress: 3, registerTimeoutMs: 300 } } });
    const port = r.bob!.relay.ports.handshake;
    const closed: number[] = [];
    const sockets = Array.from({ length: 5 }, (_, i) => {
      const s = netConnect(port, '127.0.0.1');
      s.on('error', () => {});
      s.on('close', () => closed.push(i));
      cleanups.push(() => s.destroy());
      return s;
    });
    await waitFor(
      async () => (await metric(r, 'peerwire_bob_failures_total', '{reason="rejected"}')) === 2,
    );
    // The three admitted connections never say hello: cut after registerTimeoutMs.
    await waitFor(() => closed.length === sockets.length);
    expect(await metric(r, 'peerwire_bob_failures_total', '{reason="register_timeout"}')).toBe(3);
  });
});
