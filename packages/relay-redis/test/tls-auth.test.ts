// rediss:// with a password: a redis-server of its own with TLS only (the relay daemon's test
// certificate, valid for 127.0.0.1) and `requirepass`; the cluster connects, routes and stores
// through it, and refuses a wrong password or a plain connection with CONNECT_FAILED.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { utf8Decode } from '@peerwire/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisCluster, RelayRedisError } from '../src/index.js';
import { type ClusterNode, makeIdentity, makeNode, waitFor } from './harness.js';

const fixture = (name: string) =>
  fileURLToPath(new URL(`../../../apps/relay/test/fixtures/${name}`, import.meta.url));
const cert = fixture('localhost-cert.pem');
const key = fixture('localhost-key.pem');
const PASSWORD = 'correct horse';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('rediss:// with a password', () => {
  let port = 0;
  let child: ChildProcess;
  let dir = '';
  const nodes: ClusterNode[] = [];
  const url = (password = PASSWORD) =>
    `rediss://:${encodeURIComponent(password)}@127.0.0.1:${port}/0`;

  beforeAll(async () => {
    port = await freePort();
    dir = mkdtempSync(join(tmpdir(), 'pw-redis-tls-'));
    child = spawn(
      'redis-server',
      [
        ...['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1'],
        ...['--tls-cert-file', cert, '--tls-key-file', key, '--tls-auth-clients', 'no'],
        ...['--requirepass', PASSWORD, '--dir', dir, '--save', '', '--appendonly', 'no'],
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('Ready to accept connections')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`redis-server exited (${code}):\n${out}`)));
    });
  }, 20_000);

  afterAll(async () => {
    for (const n of nodes) {
      n.relay.shutdown();
      await n.cluster.close();
    }
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
    rmSync(dir, { recursive: true, force: true });
  });

  it('two relays join over TLS with the password and route between them', async () => {
    const tls = { ca: readFileSync(cert) };
    for (const srv of ['t0', 't1']) {
      nodes.push(
        await makeNode(url(), srv, {
          cluster: { tls, keyPrefix: 'tls:', limits: { heartbeatMs: 100, presenceTtlMs: 400 } },
        }),
      );
    }
    const [n0, n1] = nodes as [ClusterNode, ClusterNode];
    expect(n0.cluster.up && n1.cluster.up).toBe(true);
    const a = await makeIdentity();
    const b = await makeIdentity();
    const pa = await n0.connect(a);
    const pb = await n1.connect(b);
    await waitFor(() => n0.cluster.view.size === 1 && n1.cluster.view.size === 1);
    const id = pa.sendMessage(`${b.address}/x`, 'over tls');
    await waitFor(() => pb.reply(id) !== undefined);
    expect(utf8Decode(pb.reply(id)!.body)).toBe('over tls');
    expect((await n1.cluster.ping()).ok).toBe(true);
  });

  it('a wrong password, no CA or a plain redis:// connection: CONNECT_FAILED, password not shown', async () => {
    const attempts = [
      { url: url('wrong'), tls: { ca: readFileSync(cert) } },
      { url: url() }, // the test certificate is not trusted by Node's default CAs
      { url: `redis://:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}` },
    ];
    for (const attempt of attempts) {
      const error = await RedisCluster.connect({
        ...attempt,
        serverCode: 'x',
        limits: { connectTimeoutMs: 1500 },
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(RelayRedisError);
      expect((error as RelayRedisError).code).toBe('CONNECT_FAILED');
      expect((error as Error).message).not.toContain(PASSWORD);
      expect((error as Error).message).not.toContain('wrong');
    }
  }, 20_000);
});
