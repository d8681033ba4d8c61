// The relay's ptpchat node: config (file, env, flags), a chat through it over loopback TCP with
// real ptpchat nodes, the CONNECT rendezvous, metrics, /healthz, the off switch, persistence.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { readFileSync, statSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createIdentity,
  createNodeId,
  DEFAULT_LIMITS,
  encodeFrame,
  type PtpchatOutput,
} from '@peerwire/ptpchat';
import { type RunningPtpchatNode, startPtpchatNode } from '@peerwire/ptpchat/node';
import { afterEach, describe, expect, it } from 'vitest';
import { configFromEnv, describeConfig, resolveConfig } from '../src/config.js';
import { PTPCHAT_ENV_OPTIONS, ptpchatLimitEnvName } from '../src/ptpchat-config.js';
import type { RunningRelay } from '../src/server.js';
import { startRelay, tempDir, waitFor } from './helpers.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const runDaemon = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', main, ...args], {
    encoding: 'utf8',
    timeout: 30_000,
  });

async function relay(overrides: Record<string, unknown> = {}): Promise<RunningRelay> {
  const r = await startRelay(overrides);
  cleanups.push(() => r.close());
  return r;
}

interface Peer extends RunningPtpchatNode {
  readonly outputs: PtpchatOutput[];
}

const random = (n: number) => new Uint8Array(randomBytes(n));

/** A ptpchat client node (what `peerwire chat` runs) linked to the relay's node. */
async function peer(name: string, r: RunningRelay): Promise<Peer> {
  const nodeId = createNodeId(name, random);
  const outputs: PtpchatOutput[] = [];
  const running = await startPtpchatNode({
    nodeId,
    identity: await createIdentity(nodeId),
    listen: false,
    udp: { host: '127.0.0.1', port: 0 },
    onOutput: (o) => outputs.push(o),
  });
  cleanups.push(() => running.close());
  const link = await running.dial('127.0.0.1', r.ptpchat!.ports.tcp);
  await waitFor(
    () => outputs.some((o) => o.type === 'neighbour-up' && o.peer === link),
    10_000,
    `${name}'s HELLO from the relay`,
  );
  return Object.assign(running, { outputs });
}

async function metric(r: RunningRelay, name: string, labels = ''): Promise<number> {
  const text = await r.metrics.registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? Number.NaN : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('ptpchat configuration', () => {
  it('is on by default on 9011/tcp and 9011/udp (not the reference 9001: bob has it)', () => {
    const c = resolveConfig({});
    expect(c.ptpchat).toEqual({
      enabled: true,
      port: 9011,
      udp: true,
      udpPort: 9011,
      name: 'relay',
      limits: {},
    });
    expect(c.ptpchat.port).not.toBe(c.bob.securePort);
    expect([c.port, c.bob.port, c.bob.securePort, c.datt.port, c.datt.wsPort]).not.toContain(
      c.ptpchat.port,
    );
  });

  it('file < env < flags, merged key by key', () => {
    const env = configFromEnv({
      PEERWIRE_PTPCHAT_PORT: '7100',
      PEERWIRE_PTPCHAT_UDP: 'off',
      PEERWIRE_PTPCHAT_NAME: 'hub',
      [ptpchatLimitEnvName('maxNeighbours')]: '50',
    });
    const c = resolveConfig(
      { ptpchat: { port: 7000, udpPort: 7001, limits: { helloIntervalMs: 1000 } } },
      env,
      { ptpchat: { enabled: undefined, port: 7200, limits: {} } },
    );
    expect(c.ptpchat).toEqual({
      enabled: true,
      port: 7200,
      udp: false,
      udpPort: 7001,
      name: 'hub',
      limits: { helloIntervalMs: 1000, maxNeighbours: 50 },
    });
    expect(resolveConfig(configFromEnv({ PEERWIRE_PTPCHAT: 'false' })).ptpchat.enabled).toBe(false);
    expect(ptpchatLimitEnvName('maxNeighbours')).toBe('PEERWIRE_PTPCHAT_LIMIT_MAX_NEIGHBOURS');
  });

  it('rejects bad values with the option named', () => {
    expect(() => resolveConfig({ ptpchat: { port: 70000 } })).toThrow(/ptpchat\.port/);
    expect(() => resolveConfig({ ptpchat: { name: 'not a name' } })).toThrow(/ptpchat\.name/);
    expect(() => resolveConfig({ ptpchat: { limits: { nope: 1 } } })).toThrow(/ptpchat\.limits/);
    expect(() => resolveConfig({ ptpchat: { limits: { deadAfterMs: -1 } } })).toThrow(
      /ptpchat\.limits\.deadAfterMs/,
    );
    expect(() => resolveConfig({ ptpchat: { port: 9000 } })).toThrow(
      /ptpchat\.port: TCP port 9000 is also bob\.port/,
    );
    // ...but not when bob is off, or with port 0.
    expect(resolveConfig({ ptpchat: { port: 9000 }, bob: { enabled: false } }).ptpchat.port).toBe(
      9000,
    );
    expect(() => configFromEnv({ PEERWIRE_PTPCHAT_PORT: 'x' })).toThrow(/PEERWIRE_PTPCHAT_PORT/);
    expect(() => configFromEnv({ PEERWIRE_PTPCHAT: 'maybe' })).toThrow(/PEERWIRE_PTPCHAT/);
  });

  it('documents every option, variable and limit', () => {
    const text = describeConfig();
    for (const name of Object.keys(PTPCHAT_ENV_OPTIONS)) expect(text).toContain(name);
    for (const limit of Object.keys(DEFAULT_LIMITS)) {
      expect(text).toContain(limit);
      expect(text).toContain(ptpchatLimitEnvName(limit));
    }
    for (const key of ['ptpchat.port', 'ptpchat.udpPort', '--ptpchat-port', '--no-ptpchat'])
      expect(text).toContain(key);
  });

  it('the daemon: --ptpchat-limit, --ptpchat-port checked; a taken port explained', async () => {
    const badLimit = runDaemon(['--memory', '--ptpchat-limit', 'nope=1']);
    expect(badLimit.status).toBe(2);
    expect(badLimit.stderr).toMatch(/--ptpchat-limit nope=1: expected name=integer/);
    const badPort = runDaemon(['--memory', '--ptpchat-port', '70000']);
    expect(badPort.status).toBe(2);
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = runDaemon([
        '--memory',
        '--no-bob',
        '--host',
        '127.0.0.1',
        '-p',
        '0',
        '--ptpchat-port',
        String(port),
        '--ptpchat-udp-port',
        '0',
      ]);
      expect(r.status).toBe(1);
      expect(r.stdout).toMatch(
        new RegExp(`ptpchat TCP port ${port} on 127\\.0\\.0\\.1 is already in use.*--ptpchat-port`),
      );
    } finally {
      blocker.close();
    }
  });
});

describe('the relay as a ptpchat neighbour and rendezvous', () => {
  it('floods a channel message between two peers, with metrics and /healthz', async () => {
    const r = await relay();
    const service = r.services.get('ptpchat')!;
    expect(service).toBe(r.ptpchat);
    expect(r.ptpchat!.nodeId).toMatch(/^relay@[0-9a-f-]{36}$/);
    expect(service.ports.tcp).toBeGreaterThan(0);
    expect(service.ports.udp).toBeGreaterThan(0);
    for (const name of [
      'peerwire_ptpchat_neighbours',
      'peerwire_ptpchat_floods_forwarded_total',
      'peerwire_ptpchat_duplicates_dropped_total',
      'peerwire_ptpchat_retransmissions_total',
      'peerwire_ptpchat_nacks_sent_total',
      'peerwire_ptpchat_connect_attempts_total',
      'peerwire_ptpchat_connect_successes_total',
      'peerwire_ptpchat_drops_total',
      'peerwire_ptpchat_tcp_links',
      'peerwire_ptpchat_write_drops_total',
    ])
      expect(service.metrics).toContain(name);
    expect(service.metrics.every((n) => n.startsWith('peerwire_ptpchat_'))).toBe(true);

    const alice = await peer('alice', r);
    const bob = await peer('bob', r);
    expect(await metric(r, 'peerwire_ptpchat_neighbours', '{transport="tcp"}')).toBe(2);
    expect(await metric(r, 'peerwire_ptpchat_tcp_links')).toBe(2);
    const health = (await (await fetch(`${r.url}/healthz`)).json()) as {
      status: string;
      services: { ptpchat: Record<string, unknown> };
    };
    expect(health.status).toBe('ok');
    expect(health.services.ptpchat).toMatchObject({
      ok: true,
      nodeId: r.ptpchat!.nodeId,
      tcp: service.ports.tcp,
      udp: service.ports.udp,
      neighbours: 2,
    });

    // bob must be routable at alice before the flood, or alice's CHANNEL could reach nobody.
    await waitFor(
      () => alice.node.routes().some((x) => x.nodeId === bob.node.nodeId),
      10_000,
      'a route to bob',
    );
    const general = alice.node.createChannel('general');
    await waitFor(() => bob.node.channel(general.channelId) !== undefined, 10_000, 'CHANNEL');
    bob.node.join(general.channelId);
    await waitFor(
      () => (alice.node.channel(general.channelId)?.members.length ?? 0) === 2,
      10_000,
      'JOIN',
    );
    await alice.node.sendMessage(general.channelId, 'through the relay');
    await waitFor(
      () => bob.outputs.some((o) => o.type === 'message' && o.text === 'through the relay'),
      10_000,
      'the message',
    );
    expect(await metric(r, 'peerwire_ptpchat_floods_forwarded_total')).toBeGreaterThanOrEqual(2);
    expect(await metric(r, 'peerwire_ptpchat_messages_received_total')).toBeGreaterThan(0);
    expect(await metric(r, 'peerwire_ptpchat_floods_originated_total')).toBe(0);

    // The rendezvous S: alice punches a direct UDP path to bob through the relay.
    alice.node.connect(bob.node.nodeId);
    await waitFor(() => alice.node.pathTo(bob.node.nodeId) === 'direct', 15_000, 'direct path');
    expect(await metric(r, 'peerwire_ptpchat_connect_attempts_total')).toBe(1);
    expect(await metric(r, 'peerwire_ptpchat_connect_successes_total')).toBe(1);
    expect(
      await metric(
        r,
        'peerwire_ptpchat_connect_events_total',
        '{role="rendezvous",state="started"}',
      ),
    ).toBe(1);
  }, 60_000);

  it('counts drops by reason and keeps serving after garbage', async () => {
    const r = await relay();
    const alice = await peer('alice', r);
    const raw = async () => {
      const sock = connect(r.ptpchat!.ports.tcp, '127.0.0.1');
      cleanups.push(() => sock.destroy());
      sock.on('error', () => {});
      const ended = new Promise<void>((resolve) => {
        sock.once('end', () => resolve());
        sock.once('close', () => resolve());
      });
      sock.resume();
      await new Promise<void>((resolve) => sock.once('connect', () => resolve()));
      return { sock, ended };
    };
    // Garbage as a link's first frame: dropped, counted, and the link closed at once.
    const first = await raw();
    first.sock.write(encodeFrame(new TextEncoder().encode('{"msg_type": oops')));
    await first.ended;
    expect(await metric(r, 'peerwire_ptpchat_drops_total', '{reason="malformed"}')).toBe(1);
    // A frame over the 99999-byte limit: refused from its length prefix, the link closed.
    const second = await raw();
    second.sock.write(Uint8Array.of(0, 2, 0, 0));
    await second.ended;
    expect(await metric(r, 'peerwire_ptpchat_drops_total', '{reason="frame-too-large"}')).toBe(1);
    // alice's link is untouched.
    expect(r.ptpchat!.node.neighbours().map((n) => n.nodeId)).toEqual([alice.node.nodeId]);
  }, 30_000);

  it('can be turned off', async () => {
    const r = await relay({ ptpchat: { enabled: false } });
    expect(r.ptpchat).toBeUndefined();
    expect(r.services.has('ptpchat')).toBe(false);
    const health = (await (await fetch(`${r.url}/healthz`)).json()) as {
      services: Record<string, unknown>;
    };
    expect(health.services.ptpchat).toBeUndefined();
    expect(await r.metrics.registry.metrics()).not.toContain('peerwire_ptpchat_');
  });

  it('refuses a host name for the UDP socket with a clear message', async () => {
    await expect(startRelay({ host: 'localhost' })).rejects.toThrow(
      /ptpchat UDP socket binds an IP address, and --host localhost is a name/,
    );
  });

  it('a taken UDP port is explained as the UDP port (typed error code, not message text)', async () => {
    const blocker = createSocket('udp4');
    await new Promise<void>((resolve) => blocker.bind(0, '127.0.0.1', resolve));
    const port = blocker.address().port;
    cleanups.push(() => blocker.close());
    await expect(
      startRelay({ host: '127.0.0.1', ptpchat: { port: 0, udpPort: port } }),
    ).rejects.toMatchObject({
      code: 'PTPCHAT_LISTEN_FAILED',
      message: expect.stringMatching(
        new RegExp(
          `ptpchat UDP port ${port} on 127\\.0\\.0\\.1 is already in use.*--ptpchat-udp-port`,
        ),
      ),
      cause: expect.objectContaining({ code: 'UDP_BIND_FAILED' }),
    });
  });

  it('runs without UDP (no rendezvous) when asked', async () => {
    const r = await relay({ ptpchat: { udp: false } });
    expect(r.ptpchat!.ports).toEqual({ tcp: r.ptpchat!.ports.tcp });
  });

  it('keeps its node id and keys in <dataDir>/ptpchat across restarts', async () => {
    const dir = tempDir();
    cleanups.push(() => dir.remove());
    const first = await startRelay({ memory: false, dataDir: dir.path });
    const id = first.ptpchat!.nodeId;
    await first.close();
    const keychain = join(dir.path, 'ptpchat', 'keychain');
    expect(statSync(keychain).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir.path, 'ptpchat', 'node-id'), 'utf8').trim()).toBe(id);
    expect(JSON.parse(readFileSync(join(dir.path, 'ptpchat', 'pins.json'), 'utf8'))).toEqual({});
    const second = await startRelay({
      memory: false,
      dataDir: dir.path,
      ptpchat: { name: 'hub', port: 0, udpPort: 0 },
    });
    cleanups.push(() => second.close());
    // The GUID (what peers key on) is kept; the name follows the config.
    expect(second.ptpchat!.nodeId).toBe(id.replace(/^relay@/, 'hub@'));
  });
});
