// Memory stays bounded whatever the size: a 256 MiB transfer with the sender, the relay and the
// receiver each in its own process (the compiled package, as users run it), every process's
// resident set sampled from /proc while the transfer runs. The bound catches any whole-file
// buffering or unbounded queue (a 256 MiB file held in memory would be far above it). Node runs
// with the V8 flags the `peerwire` bin's shebang gives it (NODE_FLAGS). The goal of
// 64 MiB per process is not met yet: see the README's Benchmarks section.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** Bytes sent (256 MiB, as the issue asks). */
const TRANSFER_BYTES = 256 * 1024 * 1024;
/** Largest resident set any of the three processes may reach (MiB; measured 75-94). */
const RSS_BOUND_MIB = 112;
/** The `peerwire` bin's node flags (apps/cli-peer/src/main.ts shebang): a 1 MiB semi-space. */
const NODE_FLAGS = ['--max-semi-space-size=1'];
/** How often each process's VmRSS is read (ms). */
const SAMPLE_MS = 20;

const bench = fileURLToPath(new URL('../../bench/', import.meta.url));
const dist = fileURLToPath(new URL('../../dist/node/index.js', import.meta.url));

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'bob-memory-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

function start(script: string, args: readonly (string | number)[]) {
  const proc: ChildProcess = spawn(
    process.execPath,
    [...NODE_FLAGS, join(bench, script), ...args.map(String)],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  let out = '';
  const lines: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  proc.stdout!.setEncoding('utf8').on('data', (t: string) => {
    out += t;
    for (let nl = out.indexOf('\n'); nl >= 0; nl = out.indexOf('\n')) {
      const line = out.slice(0, nl);
      out = out.slice(nl + 1);
      const w = waiting.shift();
      if (w) w(line);
      else lines.push(line);
    }
  });
  const exited = new Promise<number | null>((r) => proc.once('exit', r));
  let peak = 0;
  const sampler = setInterval(() => {
    try {
      const kib = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'))?.[1];
      if (kib) peak = Math.max(peak, Number(kib) / 1024);
    } catch {
      // exited between two samples
    }
  }, SAMPLE_MS);
  return {
    proc,
    exited,
    line: () =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        const l = lines.shift();
        if (l !== undefined) return resolve(JSON.parse(l));
        waiting.push((x) => resolve(JSON.parse(x)));
        void exited.then((code) => reject(new Error(`${script} exited with ${code}`)));
      }),
    peak: () => {
      clearInterval(sampler);
      return peak;
    },
  };
}

describe('memory during a 256 MiB relayed transfer', () => {
  it(`keeps the sender, the relay and the receiver each under ${RSS_BOUND_MIB} MiB`, async () => {
    expect(existsSync(dist), `${dist} is missing: build the package first (tsc -b)`).toBe(true);
    const file = join(work, 'random.bin');
    const fd = openSync(file, 'w');
    const block = new Uint8Array(8 * 1024 * 1024);
    for (let n = 0; n < TRANSFER_BYTES; n += block.length) writeSync(fd, randomFillSync(block));
    closeSync(fd);
    const out = join(work, 'out');
    await mkdir(out);
    const relay = start('child-relay.mjs', []);
    const { ports } = (await relay.line()) as { ports: { handshake: number; secure: number } };
    const receiver = start('child-receive.mjs', [out, ports.handshake, ports.secure, 'pw-memory']);
    const sender = start('child-send.mjs', [file, ports.handshake, ports.secure, 'pw-memory']);
    const got = (await receiver.line()) as { bytes: number; path: string };
    await sender.line();
    relay.proc.stdin!.end();
    await relay.line();
    await Promise.all([relay.exited, receiver.exited, sender.exited]);
    expect(got.bytes).toBe(TRANSFER_BYTES);
    expect((await stat(got.path)).size).toBe(TRANSFER_BYTES);
    const peaks = { sender: sender.peak(), relay: relay.peak(), receiver: receiver.peak() };
    // Sampled while running: each process was seen many times, and never above the bound.
    for (const [role, mib] of Object.entries(peaks)) {
      expect(mib, `${role} peak RSS ${mib.toFixed(1)} MiB`).toBeGreaterThan(20);
      expect(mib, `${role} peak RSS ${mib.toFixed(1)} MiB`).toBeLessThanOrEqual(RSS_BOUND_MIB);
    }
    console.log(
      `peak RSS (MiB): ${JSON.stringify(peaks, (_k, v) => (typeof v === 'number' ? Math.round(v) : v))}`,
    );
  }, 180_000);
});
