// End to end: three relay daemons (built dist, spawned) joined by one redis-server, real
// WebSockets, real clients on different relays.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { SpotClient } from '@peerwire/client';
import { generatePrivateKey, IDCard, Membership } from '@peerwire/crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRedis, type TestRedis } from '../../../tooling/redis-server.js';
import { makeKeychain, startClient, waitFor } from './helpers.js';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const text = (b: Uint8Array) => new TextDecoder().decode(b);

interface Daemon {
  srv: string;
  child: ChildProcess;
  url: string;
  spotUrl: string;
  log: () => string;
}

/** Starts `node dist/main.js` and waits for its "listening" line. */
function daemon(args: string[], env: Record<string, string> = {}): Promise<Daemon> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [main, '--memory', '--host', '127.0.0.1', '-p', '0', '--no-bob', '--no-ptpchat', ...args],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, ...env },
      },
    );
    let log = '';
    const timer = setTimeout(() => reject(new Error(`relay did not start:\n${log}`)), 20_000);
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.stdout!.on('data', (c: Buffer) => {
          log += c.toString();
        });
        resolve({
          srv: args[args.indexOf('--server-code') + 1]!,
          child,
          url: m[1]!,
          spotUrl: `${m[1]!.replace('http', 'ws')}/_websocket`,
          log: () => log,
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => {
      log += c.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`relay exited (${code}):\n${log}`));
    });
  });
}

async function health(
  d: Daemon,
): Promise<{ status: string; services: { cluster: Record<string, unknown> } }> {
  return (await (await fetch(`${d.url}/healthz`)).json()) as never;
}

async function until(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const CLUSTER_ENV = {
  PEERWIRE_CLUSTER_HEARTBEAT_MS: '200',
  PEERWIRE_CLUSTER_PRESENCE_TTL_MS: '1000',
  PEERWIRE_LOG_LEVEL: 'info',
};

describe('three relay daemons on one Redis', () => {
  let redis: TestRedis;
  const relays: Daemon[] = [];
  const clients: SpotClient[] = [];
  const client = async (
    d: Daemon | Daemon[],
    keychain?: Awaited<ReturnType<typeof makeKeychain>>,
  ) => {
    const urls = (Array.isArray(d) ? d : [d]).map((x) => x.spotUrl);
    const c = await startClient(urls[0]!, keychain, { relays: urls });
    clients.push(c);
    return c;
  };
  /** Until every live relay's view holds the other relays' online connections. */
  const converged = async (live: Daemon[], online: number) =>
    until(
      async () => {
        const all = await Promise.all(live.map(health));
        return all.every(
          (h) =>
            (h.services.cluster.presenceEntries as number) +
              Number((h as unknown as { online: number }).online) ===
            online,
        );
      },
      10_000,
      'presence views',
    );

  beforeAll(async () => {
    // The daemons run the built dist: build it (incremental, quick when up to date; `pnpm test`
    // builds only the app's dependencies first).
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '-b', fileURLToPath(new URL('..', import.meta.url))]);
    redis = await startTestRedis();
    for (const srv of ['r0', 'r1', 'r2']) {
      relays.push(await daemon(['--server-code', srv, '--cluster', redis.url], CLUSTER_ENV));
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.stop()));
    for (const r of relays) {
      if (r.child.exitCode === null && r.child.signalCode === null) {
        const exited = new Promise((res) => r.child.once('exit', res));
        r.child.kill('SIGTERM');
        await exited;
      }
    }
    await redis.stop();
  }, 30_000);

  it('clients on different relays exchange encrypted messages and queries; idcard_find finds them', async () => {
    const [r0, r1, r2] = relays as [Daemon, Daemon, Daemon];
    const alice = await client(r0);
    const bob = await client(r1);
    const carol = await client(r2);
    await converged(relays, 3);
    const inbox: { text: string; encrypted: boolean; from: string }[] = [];
    bob.handle('chat', (req) => {
      inbox.push({ text: text(req.payload), encrypted: req.encrypted, from: req.from });
    });
    bob.handle('upper', (req) => text(req.payload).toUpperCase());
    await alice.send(`${bob.address}/chat`, 'hello across relays');
    await waitFor(() => inbox.length === 1, 5000, 'the message');
    expect(inbox[0]).toEqual({
      text: 'hello across relays',
      encrypted: true,
      from: `${alice.address}/noreply`,
    });
    expect(text(await alice.query(`${bob.address}/upper`, 'shout'))).toBe('SHOUT');
    expect(text(await carol.query(`${bob.address}/upper`, 'from r2'))).toBe('FROM R2');
    // @/idcard_find through r0 for a client connected to r2 only
    expect((await alice.getIdCard(carol.address)).hash).toBe(carol.card.hash);
    // discovery lists every relay of the cluster
    const disc = (await (await fetch(`${r0.url}/_special/rest/Spot:connect`)).json()) as {
      data: { hosts: string[] };
    };
    expect(disc.data.hosts.sort()).toEqual(relays.map((r) => r.url.slice('http://'.length)).sort());
    const h = await health(r0);
    expect(h.status).toBe('ok');
    expect(h.services.cluster.redis).toBe('reachable');
    const metrics = await (await fetch(`${r1.url}/metrics`)).text();
    expect(metrics).toMatch(/peerwire_cluster_messages_in_total [1-9]/);
    expect(metrics).toMatch(/peerwire_cluster_bus_latency_seconds_count [1-9]/);
  }, 60_000);

  it('a group message reaches members on every relay; a blob stored through one relay is fetched through another', async () => {
    const [r0, r1, r2] = relays as [Daemon, Daemon, Daemon];
    const admin = await client(r0);
    const m1 = await client(r1);
    const m2 = await client(r2);
    const groupKey = await generatePrivateKey('P-256');
    for (const m of [m1, m2]) {
      const ms = Membership.create(m.card.self, groupKey.publicKey, {});
      await ms.sign(groupKey);
      await admin.groupUpdate(ms);
    }
    await waitFor(
      () => (m1.card.groups?.length ?? 0) === 1 && (m2.card.groups?.length ?? 0) === 1,
      10_000,
      'grp refresh',
    );
    const got = { m1: 0, m2: 0 };
    m1.handle('hello', () => {
      got.m1++;
    });
    m2.handle('hello', () => {
      got.m2++;
    });
    const groupHash = IDCard.create(groupKey.publicKey).hash;
    expect((await admin.groupList(groupKey.publicKey.pkix)).sort()).toEqual(
      [m1.address, m2.address].sort(),
    );
    await until(
      async () => {
        await admin.send(`g.${groupHash}/hello`, 'to the group');
        return got.m1 > 0 && got.m2 > 0;
      },
      20_000,
      'group messages on both relays',
    );
    // blobs: one keychain, stored through r0, fetched through r2
    const keychain = await makeKeychain();
    const writer = await client(r0, keychain);
    await writer.storeBlob('settings', 'dark mode');
    await writer.stop();
    const reader = await client(r2, keychain);
    expect(text(await reader.fetchBlob('settings'))).toBe('dark mode');
  }, 60_000);

  it('SIGKILL of a relay: its clients stay reachable through the others, its presence expires', async () => {
    const [r0, r1, r2] = relays as [Daemon, Daemon, Daemon];
    const sender = await client(r0);
    const roamer = await client([r2, r1]); // a client keeps connections to two relays
    roamer.handle('upper', (req) => text(req.payload).toUpperCase());
    await waitFor(
      () => roamer.connections.filter((c) => c.state === 'online').length === 2,
      10_000,
      'two connections',
    );
    const killed = new Promise((res) => r2.child.once('exit', res));
    r2.child.kill('SIGKILL');
    await killed;
    const t = Date.now();
    await until(async () => (await health(r0)).services.cluster.relays === 2, 5000, 'r2 to expire');
    expect(Date.now() - t).toBeLessThan(4000); // presenceTtlMs 1000 + a heartbeat, room for load
    expect(text(await sender.query(`${roamer.address}/upper`, 'still there'))).toBe('STILL THERE');
  }, 60_000);

  it('restarting Redis mid-traffic: relays recover by themselves', async () => {
    const [r0, r1] = relays as [Daemon, Daemon];
    const a = await client(r0);
    const b = await client(r1);
    b.handle('upper', (req) => text(req.payload).toUpperCase());
    await converged([r0, r1], clients.filter((c) => c.online).length);
    let ok = 0;
    let failed = 0;
    let stop = false;
    const traffic = (async () => {
      while (!stop) {
        try {
          await a.query(`${b.address}/upper`, 'x', { timeoutMs: 1000 });
          ok++;
        } catch {
          failed++;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await until(async () => ok > 5, 5000, 'traffic');
    await redis.kill();
    await until(async () => (await health(r0)).status === 'degraded', 5000, 'degraded health');
    expect((await health(r0)).services.cluster.redis).toBe('unreachable');
    await redis.start();
    await until(
      async () => (await health(r0)).status === 'ok' && (await health(r1)).status === 'ok',
      15_000,
      'recovery',
    );
    const before = ok;
    await until(async () => ok > before + 5, 15_000, 'traffic after recovery');
    stop = true;
    await traffic;
    expect(failed).toBeGreaterThan(0); // some failed fast while Redis was away
    const metrics = await (await fetch(`${r0.url}/metrics`)).text();
    expect(metrics).toMatch(/peerwire_cluster_redis_reconnects_total [1-9]/);
  }, 60_000);

  it('a relay that cannot reach Redis at start says so and exits non-zero', async () => {
    await expect(
      daemon(['--server-code', 'dead', '--cluster', 'redis://127.0.0.1:1'], CLUSTER_ENV),
    ).rejects.toThrow(/relay exited \(1\)[\s\S]*cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
  }, 30_000);

  it('with cluster.onUnreachable = local it runs as a single relay instead, and says so', async () => {
    const d = await daemon(['--server-code', 'solo', '--cluster', 'redis://127.0.0.1:1'], {
      ...CLUSTER_ENV,
      PEERWIRE_CLUSTER_ON_UNREACHABLE: 'local',
    });
    try {
      expect(d.log()).toMatch(/cannot reach Redis at redis:\/\/127\.0\.0\.1:1.*running local-only/);
      const h = await health(d);
      expect(h.status).toBe('ok');
      expect(h.services.cluster).toBeUndefined();
      // local routing works: a query between two clients of this relay
      const a = await client(d);
      const b = await client(d);
      b.handle('upper', (req) => text(req.payload).toUpperCase());
      expect(text(await a.query(`${b.address}/upper`, 'hi', { timeoutMs: 5000 }))).toBe('HI');
    } finally {
      const exited = new Promise((res) => d.child.once('exit', res));
      d.child.kill('SIGTERM');
      await exited;
    }
  }, 30_000);
});
