// The benchmark: a 1 GiB incompressible file sent with --no-compression through the bob
// relay, sender, relay and receiver each in its own process, beside a raw TCP copy through a
// plain TCP forwarder (also three processes) in the same run. The relay is run two ways: a bare
// `startBobRelay` process, and the real daemon (`apps/relay`, `peerwire-relay`, spawned from its
// build when present: run `pnpm build` first). Peak RSS comes from each child's
// process.resourceUsage().maxRSS at exit (the daemon's from /proc VmHWM). BOB_BENCH_BYTES and
// BOB_BENCH_ROUNDS override the size (default 1 GiB) and the rounds (default 2, interleaved,
// median reported).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, report } from '../../../tooling/bench.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const packageDir = join(here, '..');
/** The relay daemon's build (apps/relay), spawned as a process: nothing of it is imported. */
const daemonMain = join(packageDir, '..', '..', 'apps', 'relay', 'dist', 'main.js');
const withDaemon = existsSync(daemonMain);
if (!withDaemon) console.log(`(${daemonMain} not built: the apps/relay rounds are skipped)`);
const BYTES = Number(process.env.BOB_BENCH_BYTES ?? 2 ** 30);
const ROUNDS = Number(process.env.BOB_BENCH_ROUNDS ?? 2);
const MiB = 1024 * 1024;

// The children run the compiled package: build it first.
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-b', join(packageDir, 'tsconfig.json')], {
  stdio: 'inherit',
});

interface Child {
  next(): Promise<Record<string, unknown>>;
  /** Closes stdin (the relay and forwarder print their figures and exit). */
  end(): void;
  readonly process: ChildProcess;
}

function child(script: string, args: readonly (string | number)[]): Child {
  const flags = process.env.BOB_BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? [];
  const proc = spawn(process.execPath, [...flags, join(here, script), ...args.map(String)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const waiters: ((line: string) => void)[] = [];
  let buffer = '';
  let failure: Error | undefined;
  const rejecters: ((e: Error) => void)[] = [];
  proc.stdout!.setEncoding('utf8');
  proc.stdout!.on('data', (text: string) => {
    buffer += text;
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      const w = waiters.shift();
      rejecters.shift();
      if (w) w(line);
      else lines.push(line);
    }
  });
  proc.on('exit', (code) => {
    if (code !== 0) {
      failure = new Error(`${script} exited with ${code}`);
      for (const r of rejecters.splice(0)) r(failure);
    }
  });
  return {
    process: proc,
    next: () =>
      new Promise((resolve, reject) => {
        const line = lines.shift();
        if (line !== undefined) return resolve(JSON.parse(line));
        if (failure) return reject(failure);
        waiters.push((l) => resolve(JSON.parse(l)));
        rejecters.push(reject);
      }),
    end: () => proc.stdin!.end(),
  };
}

/** One sender and one receiver child through the relay at `ports`; times until the file is saved. */
async function transfer(file: string, dir: string, ports: { handshake: number; secure: number }) {
  const start = performance.now();
  const password = 'bench-password';
  const out = join(dir, 'out');
  await mkdir(out, { recursive: true });
  const receiver = child('child-receive.mjs', [out, ports.handshake, ports.secure, password]);
  const sender = child('child-send.mjs', [file, ports.handshake, ports.secure, password]);
  const r = (await receiver.next()) as { bytes: number; path: string; maxRSS: number };
  const ms = performance.now() - start;
  const s = (await sender.next()) as { maxRSS: number };
  return { r, ms, s };
}

async function bobRound(file: string, dir: string) {
  const relay = child('child-relay.mjs', []);
  const { ports } = (await relay.next()) as { ports: { handshake: number; secure: number } };
  const { r, ms, s } = await transfer(file, dir, ports);
  relay.end();
  const rel = (await relay.next()) as { maxRSS: number; bytesPiped: number };
  if (r.bytes !== BYTES || (await stat(r.path)).size !== BYTES)
    throw new Error('bob: size mismatch');
  await rm(r.path);
  if (process.env.BOB_BENCH_VERBOSE) console.log('bob', { ms, s, rel, r });
  return {
    mbps: BYTES / MiB / (ms / 1000),
    sender: s.maxRSS,
    relay: rel.maxRSS,
    receiver: r.maxRSS,
  };
}

/** The daemon's bob ports, from its log line. */
function startDaemon(): Promise<{
  proc: ChildProcess;
  ports: { handshake: number; secure: number };
}> {
  const proc = spawn(
    process.execPath,
    [
      daemonMain,
      '--memory',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--bob-port',
      '0',
      '--bob-secure-port',
      '0',
      '--log-level',
      'info',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    let buffer = '';
    proc.stdout!.setEncoding('utf8');
    proc.stdout!.on('data', (text: string) => {
      buffer += text;
      const m = /bob relay listening on [^:]+:(\d+) \(secure room on port (\d+)\)/.exec(buffer);
      if (m) {
        buffer = '';
        resolve({ proc, ports: { handshake: Number(m[1]), secure: Number(m[2]) } });
      }
    });
    proc.once('exit', (code) => reject(new Error(`peerwire-relay exited with ${code}`)));
  });
}

async function daemonRound(file: string, dir: string) {
  const { proc, ports } = await startDaemon();
  const { r, ms, s } = await transfer(file, dir, ports);
  const status = readFileSync(`/proc/${proc.pid}/status`, 'utf8');
  const relayRSS = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN) * 1024;
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  proc.kill('SIGTERM');
  await exited;
  if (r.bytes !== BYTES || (await stat(r.path)).size !== BYTES)
    throw new Error('daemon: size mismatch');
  await rm(r.path);
  if (process.env.BOB_BENCH_VERBOSE) console.log('daemon', { ms, s, relayRSS, r });
  return { mbps: BYTES / MiB / (ms / 1000), sender: s.maxRSS, relay: relayRSS, receiver: r.maxRSS };
}

async function rawRound(file: string, dir: string) {
  const out = join(dir, 'raw-copy');
  const receiver = child('child-raw-receive.mjs', [out]);
  const { port } = (await receiver.next()) as { port: number };
  const forwarder = child('child-forward.mjs', [port]);
  const { port: forwardPort } = (await forwarder.next()) as { port: number };
  const start = performance.now();
  const sender = child('child-raw-send.mjs', [file, forwardPort]);
  const r = (await receiver.next()) as { bytes: number; maxRSS: number };
  const ms = performance.now() - start;
  const s = (await sender.next()) as { maxRSS: number };
  forwarder.end();
  const f = (await forwarder.next()) as { maxRSS: number };
  if (r.bytes !== BYTES) throw new Error('raw: size mismatch');
  if (process.env.BOB_BENCH_VERBOSE) console.log('raw', { ms, s, f, r });
  await rm(out);
  return { mbps: BYTES / MiB / (ms / 1000), sender: s.maxRSS, relay: f.maxRSS, receiver: r.maxRSS };
}

const dir = await mkdtemp(join(tmpdir(), 'bob-bench-'));
try {
  const file = join(dir, 'incompressible.bin');
  const fd = openSync(file, 'w');
  const block = new Uint8Array(16 * MiB);
  for (let written = 0; written < BYTES; written += block.length) {
    randomFillSync(block);
    writeSync(fd, block, 0, Math.min(block.length, BYTES - written));
  }
  closeSync(fd);
  const bob: Awaited<ReturnType<typeof bobRound>>[] = [];
  const raw: Awaited<ReturnType<typeof rawRound>>[] = [];
  const daemon: Awaited<ReturnType<typeof daemonRound>>[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    raw.push(await rawRound(file, dir));
    bob.push(await bobRound(file, dir));
    if (withDaemon) daemon.push(await daemonRound(file, dir));
  }
  const med = (rows: { [k: string]: number }[], key: string) => median(rows.map((r) => r[key]!));
  const size = BYTES >= 2 ** 30 ? `${BYTES / 2 ** 30} GiB` : `${(BYTES / MiB).toFixed(0)} MiB`;
  report(
    `bob relayed transfer, ${size} incompressible, --no-compression (${ROUNDS} rounds, median)`,
    [
      {
        name: 'throughput (sender → relay → receiver, 3 processes)',
        value: med(bob, 'mbps'),
        unit: 'MiB/s',
        baseline: med(raw, 'mbps'),
        baselineName: 'raw TCP copy through a plain TCP forwarder',
        goalRatio: 0.6,
      },
      ...(withDaemon
        ? [
            {
              name: 'throughput through apps/relay (peerwire-relay daemon)',
              value: med(daemon, 'mbps'),
              unit: 'MiB/s',
              baseline: med(raw, 'mbps'),
              baselineName: 'raw TCP copy through a plain TCP forwarder',
              goalRatio: 0.6,
            },
            {
              name: 'peak RSS, apps/relay daemon',
              value: Math.max(...daemon.map((r) => r.relay)) / MiB,
              unit: 'MiB',
              baseline: Math.max(...raw.map((r) => r.relay)) / MiB,
              baselineName: 'raw copy forwarder',
              goal: 150,
              lowerIsBetter: true,
            },
          ]
        : []),
      ...(['sender', 'relay', 'receiver'] as const).map((role) => ({
        name: `peak RSS, ${role === 'relay' ? 'relay (startBobRelay)' : role}`,
        // The relay row is startBobRelay's; the daemon has its own row above.
        value:
          Math.max(...(role === 'relay' ? bob : [...bob, ...daemon]).map((r) => r[role])) / MiB,
        unit: 'MiB',
        baseline: Math.max(...raw.map((r) => r[role])) / MiB,
        baselineName: `raw copy ${role === 'relay' ? 'forwarder' : role}`,
        goal: 150,
        lowerIsBetter: true,
      })),
    ],
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
