// The benchmark (#14): a 1 GiB incompressible file sent through a relay on loopback by
// every tool in turn, in the same run, alternating:
// - peerwire: `peerwire send --no-compression` → `peerwire-relay` (apps/relay) → `peerwire recv`,
//   and the same with default options (the per-file compression decision);
// - magic-wormhole (Python): `wormhole send --no-listen` through a local mailbox server and a
//   local transit relay (`twist3 wormhole-mailbox`, `twist3 transitrelay`);
// - wormhole-william (Go) through the same mailbox server and transit relay;
// - a raw TCP copy (`socat`) through a `socat` forwarder: the floor.
// Every process runs inside a private network namespace with only loopback (netns.ts), so no
// tool can take a direct path: each is measured relayed. Peak RSS and CPU of every process come
// from GNU time (wait4's rusage), the same way for all tools. Then the 1 KiB setup rows: a tiny
// file end to end, peerwire against wormhole-william (and magic-wormhole for reference).
//
// BOB_BENCH_BYTES (default 1 GiB), BOB_BENCH_ROUNDS (default 3), BOB_BENCH_SETUP_TRIES (default 3
// per round). The peerwire rows run the builds (apps/cli-peer, apps/relay): `pnpm build` first;
// without them the library's bench children (child-*.mjs) stand in. The other tools come from
// Debian: `sudo tooling/scripts/install-wormhole.sh`; their rows are skipped, loudly, without.
import { execFileSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, type Row, report } from '../../../tooling/bench.js';
import { createNetns, type Netns, netnsUnavailable } from './netns.js';
import { haveGnuTime, type Measured, measured, type Usage } from './processes.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const packageDir = join(here, '..');
const root = join(packageDir, '..', '..');
const daemonMain = join(root, 'apps', 'relay', 'dist', 'main.js');
const cliMain = join(root, 'apps', 'cli-peer', 'dist', 'main.js');
const BYTES = Number(process.env.BOB_BENCH_BYTES ?? 2 ** 30);
const ROUNDS = Number(process.env.BOB_BENCH_ROUNDS ?? 3);
const SETUP_TRIES = Number(process.env.BOB_BENCH_SETUP_TRIES ?? 3);
const MiB = 1024 * 1024;
const MAILBOX_PORT = 4000;
/** wormhole-william's built-in transit relay port (its host name maps to 127.0.0.1 in the netns). */
const TRANSIT_PORT = 4001;
const BOB_PORT = 9000;
const BOB_SECURE_PORT = 9001;

const onPath = (tool: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const INSTALL = 'install them with: sudo tooling/scripts/install-wormhole.sh';
const skipped: string[] = [];
const nsProblem = netnsUnavailable();
if (nsProblem) skipped.push(`no private network namespace (${nsProblem}): tools may go direct`);
if (!haveGnuTime)
  skipped.push('no /usr/bin/time: peak RSS and CPU rows are NaN (apt install time)');
const haveSocat = onPath('socat');
const havePython = onPath('wormhole') && onPath('twist3');
const haveWilliam = onPath('wormhole-william') && onPath('twist3') && !nsProblem;
if (!haveSocat) skipped.push(`socat is missing: the raw-copy rows are SKIPPED (${INSTALL})`);
if (!havePython)
  skipped.push(
    `magic-wormhole, its mailbox server or transit relay (twist3) is missing: the magic-wormhole rows are SKIPPED (${INSTALL})`,
  );
if (!haveWilliam)
  skipped.push(
    onPath('wormhole-william')
      ? 'wormhole-william rows SKIPPED: it can only be forced through the relay in a private network namespace (root)'
      : `wormhole-william is missing: its rows are SKIPPED (${INSTALL})`,
  );
const useCli = existsSync(cliMain) && existsSync(daemonMain);
if (!useCli)
  skipped.push(
    'apps/cli-peer or apps/relay not built (pnpm build): peerwire rows use the bench children',
  );
for (const s of skipped) console.log(`!!! ${s}`);

/**
 * A bin's node flags from its shebang (`#!/usr/bin/env -S node --flag …`): what running the
 * installed bin runs, which `node file` alone would not.
 */
function shebangFlags(file: string): string[] {
  if (!existsSync(file)) return [];
  const line = readFileSync(file, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!\/usr\/bin\/env -S node((?: \S+)*)$/.exec(line);
  return m ? m[1]!.trim().split(/\s+/).filter(Boolean) : [];
}
const cliNode = [...shebangFlags(cliMain), cliMain];
const daemonNode = [...shebangFlags(daemonMain), daemonMain];
if (useCli)
  console.log(`peerwire: node ${cliNode.join(' ')}; peerwire-relay: node ${daemonNode.join(' ')}`);

// The fallback children run the compiled package: build it.
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-b', join(packageDir, 'tsconfig.json')], {
  stdio: 'inherit',
});

interface Figures {
  /** MiB/s, end to end (first process spawned to last exit). */
  mbps: number;
  ms: number;
  sender: Usage;
  receiver: Usage;
  relay: Usage;
}

let ns: Netns | undefined;
let scratch = '';
const run = (command: string, args: readonly string[], cwd?: string): Measured =>
  measured(command, args, { scratch, cwd, netns: ns?.pid });

async function settle(peers: Measured[], start: number, name: string) {
  const usages = await Promise.all(peers.map((p) => p.done));
  for (const [i, u] of usages.entries()) {
    if (u.code !== 0) throw new Error(`${name}: process ${i} exited with ${u.code}:\n${u.stderr}`);
  }
  return { usages, ms: Math.max(...usages.map((u) => u.exitedAt)) - start };
}

async function received(dir: string, bytes: number, name: string) {
  const files = await readdir(dir);
  if (files.length !== 1) throw new Error(`${name}: ${files.length} files received`);
  const size = (await stat(join(dir, files[0]!))).size;
  if (size !== bytes) throw new Error(`${name}: received ${size} bytes, sent ${bytes}`);
  await rm(dir, { recursive: true, force: true });
}

async function peerwireRound(file: string, bytes: number, compression: boolean): Promise<Figures> {
  const out = join(scratch, 'peerwire-out');
  await mkdir(out, { recursive: true });
  const relay = useCli
    ? run(process.execPath, [
        ...daemonNode,
        '--memory',
        '--host',
        '127.0.0.1',
        '--port',
        '0',
        '--bob-port',
        String(BOB_PORT),
        '--bob-secure-port',
        String(BOB_SECURE_PORT),
        '--log-level',
        'info',
      ])
    : run(process.execPath, [
        join(here, 'child-relay.mjs'),
        String(BOB_PORT),
        String(BOB_SECURE_PORT),
      ]);
  await relay.waitFor(useCli ? /bob relay listening/ : /"ports"/);
  const at = ['--relay', `127.0.0.1:${BOB_PORT}`, '--secure-port', String(BOB_SECURE_PORT)];
  const start = performance.now();
  const receiver = useCli
    ? run(process.execPath, [...cliNode, 'recv', 'bench-password', '-y', '-o', out, ...at])
    : run(process.execPath, [
        join(here, 'child-receive.mjs'),
        out,
        String(BOB_PORT),
        String(BOB_SECURE_PORT),
        'bench-password',
      ]);
  const sender = useCli
    ? run(process.execPath, [
        ...cliNode,
        'send',
        file,
        '-p',
        'bench-password',
        ...at,
        ...(compression ? [] : ['--no-compression']),
      ])
    : run(process.execPath, [
        join(here, 'child-send.mjs'),
        file,
        String(BOB_PORT),
        String(BOB_SECURE_PORT),
        'bench-password',
        compression ? 'default' : 'none',
      ]);
  const { usages, ms } = await settle([sender, receiver], start, 'peerwire');
  const relayUsage = await relay.stop();
  await received(out, bytes, 'peerwire');
  return {
    mbps: bytes / MiB / (ms / 1000),
    ms,
    sender: usages[0]!,
    receiver: usages[1]!,
    relay: relayUsage,
  };
}

let codeSerial = 1;
/** magic-wormhole or wormhole-william through the shared mailbox server and transit relay. */
async function wormholeRound(
  tool: 'python' | 'william',
  file: string,
  bytes: number,
): Promise<Figures> {
  const out = join(scratch, `${tool}-out`);
  await mkdir(out, { recursive: true });
  const relay = run('twist3', [
    'transitrelay',
    '--port',
    `tcp:${TRANSIT_PORT}:interface=127.0.0.1`,
  ]);
  await relay.waitFor(/Starting factory/);
  const mailbox = `ws://127.0.0.1:${MAILBOX_PORT}/v1`;
  const code = `${codeSerial++}-bench-${tool}`;
  const start = performance.now();
  let sender: Measured;
  let receiver: Measured;
  if (tool === 'python') {
    const common = ['--relay-url', mailbox, '--transit-helper', `tcp:127.0.0.1:${TRANSIT_PORT}`];
    sender = run('wormhole', [
      ...common,
      'send',
      '--no-listen',
      '--hide-progress',
      '--code',
      code,
      file,
    ]);
    receiver = run(
      'wormhole',
      [...common, 'receive', '--no-listen', '--hide-progress', '--accept-file', code],
      out,
    );
  } else {
    sender = run('wormhole-william', [
      '--relay-url',
      mailbox,
      'send',
      '--hide-progress',
      '--code',
      code,
      file,
    ]);
    receiver = run(
      'wormhole-william',
      ['--relay-url', mailbox, 'receive', '--hide-progress', code],
      out,
    );
    receiver.input('y\n');
  }
  const { usages, ms } = await settle([sender, receiver], start, tool);
  const relayUsage = await relay.stop();
  await received(out, bytes, tool);
  return {
    mbps: bytes / MiB / (ms / 1000),
    ms,
    sender: usages[0]!,
    receiver: usages[1]!,
    relay: relayUsage,
  };
}

async function rawRound(file: string, bytes: number): Promise<Figures> {
  const out = join(scratch, 'raw-out');
  await mkdir(out, { recursive: true });
  const receiver = run('socat', [
    '-u',
    'TCP-LISTEN:7002,bind=127.0.0.1,reuseaddr',
    `CREATE:${join(out, 'copy')}`,
  ]);
  const forwarder = run('socat', [
    'TCP-LISTEN:7001,bind=127.0.0.1,reuseaddr',
    'TCP:127.0.0.1:7002,retry=100,interval=0.02',
  ]);
  const start = performance.now();
  const sender = run('socat', ['-u', `OPEN:${file}`, 'TCP:127.0.0.1:7001,retry=100,interval=0.02']);
  const { usages, ms } = await settle([sender, receiver], start, 'raw');
  const f = await forwarder.done;
  await received(out, bytes, 'raw');
  return {
    mbps: bytes / MiB / (ms / 1000),
    ms,
    sender: usages[0]!,
    receiver: usages[1]!,
    relay: f,
  };
}

async function withMailbox<T>(fn: () => Promise<T>): Promise<T> {
  const mailbox = run('twist3', [
    'wormhole-mailbox',
    '--port',
    `tcp:${MAILBOX_PORT}:interface=127.0.0.1`,
    `--channel-db=${join(scratch, 'mailbox.sqlite')}`,
  ]);
  await mailbox.waitFor(/Starting factory/);
  try {
    return await fn();
  } finally {
    await mailbox.stop();
  }
}

function writeRandom(path: string, bytes: number) {
  const fd = openSync(path, 'w');
  const block = new Uint8Array(16 * MiB);
  for (let written = 0; written < bytes; written += block.length) {
    randomFillSync(block);
    writeSync(fd, block, 0, Math.min(block.length, bytes - written));
  }
  closeSync(fd);
}

scratch = await mkdtemp(join(tmpdir(), 'bob-bench-'));
try {
  if (!nsProblem) ns = await createNetns(scratch, ['127.0.0.1 transit.magic-wormhole.io']);
  const file = join(scratch, 'incompressible.bin');
  writeRandom(file, BYTES);
  const tiny = join(scratch, 'tiny.bin');
  writeRandom(tiny, 1024);
  const tools = {
    raw: [] as Figures[],
    peerwire: [] as Figures[],
    peerwireDefault: [] as Figures[],
    python: [] as Figures[],
    william: [] as Figures[],
  };
  const setup = { peerwire: [] as number[], william: [] as number[], python: [] as number[] };
  await withMailbox(async () => {
    for (let i = 0; i < ROUNDS; i++) {
      // Alternate the order from round to round.
      const order: (keyof typeof tools)[] = [
        'raw',
        'peerwire',
        'python',
        'william',
        'peerwireDefault',
      ];
      if (i % 2 === 1) order.reverse();
      for (const t of order) {
        if (t === 'raw' && haveSocat) tools.raw.push(await rawRound(file, BYTES));
        if (t === 'peerwire') tools.peerwire.push(await peerwireRound(file, BYTES, false));
        if (t === 'peerwireDefault')
          tools.peerwireDefault.push(await peerwireRound(file, BYTES, true));
        if (t === 'python' && havePython)
          tools.python.push(await wormholeRound('python', file, BYTES));
        if (t === 'william' && haveWilliam)
          tools.william.push(await wormholeRound('william', file, BYTES));
        if (process.env.BOB_BENCH_VERBOSE) {
          const last = tools[t].at(-1);
          if (last) console.log(t, last.mbps.toFixed(1), 'MiB/s');
        }
      }
      for (let k = 0; k < SETUP_TRIES; k++) {
        setup.peerwire.push((await peerwireRound(tiny, 1024, true)).ms);
        if (haveWilliam) setup.william.push((await wormholeRound('william', tiny, 1024)).ms);
        if (havePython && k === 0)
          setup.python.push((await wormholeRound('python', tiny, 1024)).ms);
      }
    }
  });

  const size = BYTES >= 2 ** 30 ? `${BYTES / 2 ** 30} GiB` : `${(BYTES / MiB).toFixed(0)} MiB`;
  const mbps = (rows: Figures[]) => median(rows.map((r) => r.mbps));
  const rows: Row[] = [];
  const names = {
    peerwire: 'peerwire send --no-compression',
    peerwireDefault: 'peerwire send (default options)',
    python: 'magic-wormhole 0.12 (Python)',
    william: 'wormhole-william (Go)',
    raw: 'raw TCP copy (socat → socat forwarder → socat)',
  };
  for (const t of ['peerwire', 'peerwireDefault', 'python', 'william', 'raw'] as const) {
    if (tools[t].length === 0) continue;
    rows.push({ name: `${names[t]}: throughput`, value: mbps(tools[t]), unit: 'MiB/s' });
    if (t !== 'raw' && tools.raw.length > 0)
      rows.push({
        name: `${names[t]} vs raw copy`,
        value: mbps(tools[t]),
        unit: 'MiB/s',
        baseline: mbps(tools.raw),
        baselineName: 'raw copy',
      });
  }
  const pw = tools.peerwire;
  if (tools.python.length > 0)
    rows.push({
      name: 'peerwire --no-compression vs magic-wormhole',
      value: mbps(pw),
      unit: 'MiB/s',
      baseline: mbps(tools.python),
      baselineName: 'magic-wormhole',
      goalRatio: 1.0,
    });
  if (tools.william.length > 0)
    rows.push({
      name: 'peerwire --no-compression vs wormhole-william',
      value: mbps(pw),
      unit: 'MiB/s',
      baseline: mbps(tools.william),
      baselineName: 'wormhole-william',
      goalRatio: 1.0,
    });
  rows.push({
    name: 'peerwire default options vs --no-compression (random data)',
    value: mbps(tools.peerwireDefault),
    unit: 'MiB/s',
    baseline: mbps(pw),
    baselineName: '--no-compression',
    goalRatio: 0.8,
  });
  report(`relayed transfer, ${size} of random bytes, loopback (${ROUNDS} rounds, median)`, rows);

  const perProcess: Row[] = [];
  for (const t of ['peerwire', 'peerwireDefault', 'python', 'william', 'raw'] as const) {
    if (tools[t].length === 0) continue;
    for (const role of ['sender', 'relay', 'receiver'] as const) {
      const peak = Math.max(...tools[t].map((r) => r[role].rssMiB));
      const cpu = median(tools[t].map((r) => r[role].cpuMs / (BYTES / MiB)));
      const isPeerwire = t === 'peerwire' || t === 'peerwireDefault';
      perProcess.push({
        name: `${names[t]}, ${role}: peak RSS`,
        value: peak,
        unit: 'MiB',
        ...(isPeerwire ? { goal: 64, lowerIsBetter: true } : {}),
      });
      perProcess.push({
        name: `${names[t]}, ${role}: CPU per MiB`,
        value: cpu,
        unit: 'ms',
        ...(tools.raw.length > 0 && t !== 'raw'
          ? {
              baseline: median(tools.raw.map((r) => r[role].cpuMs / (BYTES / MiB))),
              baselineName: `raw copy ${role}`,
              lowerIsBetter: true,
            }
          : {}),
      });
    }
  }
  report('peak RSS and CPU per MiB moved, per process (GNU time)', perProcess);

  const setupRows: Row[] = [
    { name: 'peerwire send → recv, 1 KiB, end to end', value: median(setup.peerwire), unit: 'ms' },
  ];
  if (setup.william.length > 0)
    setupRows.push({
      name: 'peerwire vs wormhole-william, 1 KiB',
      value: median(setup.peerwire),
      unit: 'ms',
      baseline: median(setup.william),
      baselineName: 'wormhole-william',
      goalRatio: 1.5,
      lowerIsBetter: true,
    });
  if (setup.python.length > 0)
    setupRows.push({
      name: 'magic-wormhole, 1 KiB (reference)',
      value: median(setup.python),
      unit: 'ms',
    });
  report(`setup: a 1 KiB relayed transfer (${setup.peerwire.length} tries, median)`, setupRows);
  for (const s of skipped) console.log(`!!! ${s}`);
} finally {
  ns?.close();
  await rm(scratch, { recursive: true, force: true });
}
