// End-to-end tests of `peerwire net`: real CLI processes against a natbase base server on
// loopback (in this process), and each other.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BaseServerHandle, listenBaseServer } from '@peerwire/natbase/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const cliMain = fileURLToPath(new URL('../src/main.ts', import.meta.url));
let dir: string;
let base: BaseServerHandle;
let baseArg: string;
const children: ChildProcess[] = [];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function spawnCli(args: string[]): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', cliMain, ...args], {
    env: { ...process.env, XDG_CONFIG_HOME: join(dir, 'xdg'), PEERWIRE_PASSPHRASE: '' },
  });
  children.push(child);
  return child;
}

function run(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawnCli(args);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const kc = (name: string) => ['--keychain', join(dir, name)];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'peerwire-net-'));
  base = await listenBaseServer({
    tcp: { host: '127.0.0.1', port: 0 },
    udp: [{ host: '127.0.0.1', port: 0 }],
  });
  baseArg = `127.0.0.1:${base.tcpPort}`;
});
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await base?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('peerwire net', () => {
  it('id --new creates the natbase key (0600) and prints an fc94 device id; id shows it again', async () => {
    const made = await run([...kc('alice'), '--json', 'net', 'id', '--new']);
    expect(made.code).toBe(0);
    const a = JSON.parse(made.stdout) as { deviceId: string; keyFile: string };
    expect(a.deviceId).toMatch(/^fc94:/);
    expect(statSync(a.keyFile).mode & 0o777).toBe(0o600);
    const again = await run([...kc('alice'), '--json', 'net', 'id']);
    expect(JSON.parse(again.stdout).deviceId).toBe(a.deviceId);
  });

  it('exit 2 without a key or a base, 3 when no base answers', async () => {
    expect((await run([...kc('nobody'), 'net', 'id'])).code).toBe(2);
    await run([...kc('carol'), 'net', 'id', '--new']);
    expect((await run([...kc('carol'), 'net', 'ping', 'fc94::1'])).code).toBe(2); // no --base
    expect((await run([...kc('carol'), 'net', 'ping', 'nonsense', '--base', baseArg])).code).toBe(
      2,
    );
    const dead = await run([
      ...kc('carol'),
      '--timeout',
      '1500',
      'net',
      'status',
      '--base',
      '127.0.0.1:1',
    ]);
    expect(dead.code).toBe(3);
  });

  it('send reaches listen through the base', async () => {
    const bob = JSON.parse((await run([...kc('bob'), '--json', 'net', 'id', '--new'])).stdout) as {
      deviceId: string;
    };
    await run([...kc('alice'), 'net', 'id', '--new']);
    const listener = spawnCli([
      ...kc('bob'),
      '--json',
      'net',
      'listen',
      '--count',
      '1',
      '--port',
      '0',
      '--base',
      baseArg,
    ]);
    let out = '';
    listener.stdout!.on('data', (d) => (out += d));
    const exited = new Promise<number>((r) => listener.on('close', (c) => r(c ?? -1)));
    while (!out.includes('listening')) await new Promise((r) => setTimeout(r, 50));
    const sent = await run([
      ...kc('alice'),
      '--json',
      'net',
      'send',
      bob.deviceId,
      'hello bob',
      '--port',
      '0',
      '--base',
      baseArg,
    ]);
    expect(sent.code).toBe(0);
    expect(JSON.parse(sent.stdout)).toMatchObject({ sent: 9, deviceId: bob.deviceId });
    expect(await exited).toBe(0);
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.at(-1)).toMatchObject({ text: 'hello bob' });
  });

  it('up runs the agent (--json events); ping and status reach it; up prints what send sends; SIGTERM stops it', async () => {
    const dave = JSON.parse(
      (await run([...kc('dave'), '--json', 'net', 'id', '--new'])).stdout,
    ) as {
      deviceId: string;
    };
    await run([...kc('erin'), 'net', 'id', '--new']);
    const agent = spawnCli([
      ...kc('dave'),
      '--json',
      'net',
      'up',
      '--port',
      '0',
      '--base',
      baseArg,
    ]);
    let out = '';
    agent.stdout!.on('data', (d) => (out += d));
    const exited = new Promise<number>((r) => agent.on('close', (c) => r(c ?? -1)));
    const events = () =>
      out
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    for (let i = 0; i < 200 && !out.includes('"up"'); i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(events()[0]).toEqual({ event: 'up', deviceId: dave.deviceId, base: baseArg });

    const ping = await run([
      ...kc('erin'),
      '--json',
      'net',
      'ping',
      dave.deviceId,
      '--port',
      '0',
      '--base',
      baseArg,
    ]);
    expect(ping.code).toBe(0);
    const p = JSON.parse(ping.stdout) as { deviceId: string; rttMs: number; path: string };
    expect(p.deviceId).toBe(dave.deviceId);
    expect(p.rttMs).toBeGreaterThanOrEqual(0);
    expect(['direct', 'base-udp', 'base-tcp']).toContain(p.path);

    const human = await run([
      ...kc('erin'),
      'net',
      'ping',
      dave.deviceId,
      '--port',
      '0',
      '--base',
      baseArg,
    ]);
    expect(human.code).toBe(0);
    expect(human.stdout.trim()).toMatch(
      new RegExp(`^${dave.deviceId}: \\d+\\.\\d ms \\((direct|base-udp|base-tcp)\\)$`),
    );

    const status = await run([
      ...kc('erin'),
      '--json',
      'net',
      'status',
      dave.deviceId,
      '--port',
      '0',
      '--base',
      baseArg,
    ]);
    expect(status.code).toBe(0);
    const st = JSON.parse(status.stdout) as {
      base: string;
      baseUdp: boolean;
      peers: { deviceId: string; path: string; latencyMs?: number }[];
    };
    expect(st.base).toBe(baseArg);
    expect(typeof st.baseUdp).toBe('boolean');
    const peer = st.peers.find((x) => x.deviceId === dave.deviceId);
    expect(peer).toBeDefined();
    expect(['direct', 'base-udp', 'base-tcp']).toContain(peer!.path);
    expect(peer!.latencyMs).toBeGreaterThanOrEqual(0); // the probe's heartbeat came back

    const sent = await run([
      ...kc('erin'),
      '--json',
      'net',
      'send',
      dave.deviceId,
      'hi dave',
      '--port',
      '0',
      '--base',
      baseArg,
    ]);
    expect(sent.code).toBe(0);
    for (let i = 0; i < 100 && !out.includes('hi dave'); i++)
      await new Promise((r) => setTimeout(r, 50));
    const datagram = events().find((e) => e.event === 'datagram');
    expect(datagram).toMatchObject({ event: 'datagram', text: 'hi dave' });
    expect(events().some((e) => e.event === 'path')).toBe(true);

    agent.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('ping and status of a device that is not up: exit 3 for ping, status lists it without an RTT', async () => {
    await run([...kc('frank'), 'net', 'id', '--new']);
    const absent = 'fc94:1111:2222:3333:4444:5555:6666:7777';
    const ping = await run([
      ...kc('frank'),
      '--timeout',
      '1500',
      'net',
      'ping',
      absent,
      '--port',
      '0',
      '--base',
      baseArg,
    ]);
    expect(ping.code).toBe(3);
    expect(ping.stderr).toContain('no answer');
    const status = await run([
      ...kc('frank'),
      '--json',
      '--timeout',
      '1500',
      'net',
      'status',
      absent,
      '--port',
      '0',
      '--base',
      baseArg,
    ]);
    expect(status.code).toBe(0);
    const st = JSON.parse(status.stdout) as { peers: { deviceId: string; latencyMs?: number }[] };
    const peer = st.peers.find((x) => x.deviceId === absent);
    expect(peer).toBeDefined();
    expect(peer!.latencyMs).toBeUndefined();
  });
});
