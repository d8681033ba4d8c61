// Bench helper: runs a command (optionally inside the bench's private network namespace) under
// GNU time, so that every process of every tool (node, Python, Go, socat) has its peak RSS and
// CPU measured the same way: `wait4`'s rusage, as /usr/bin/time reports it.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export const GNU_TIME = '/usr/bin/time';
export const haveGnuTime = existsSync(GNU_TIME);

export interface Usage {
  readonly code: number | null;
  /** Peak resident set size (MiB); NaN without GNU time. */
  readonly rssMiB: number;
  /** User + system CPU time (ms); NaN without GNU time. */
  readonly cpuMs: number;
  /** When the process exited (performance.now()). */
  readonly exitedAt: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Measured {
  readonly proc: ChildProcess;
  /** Resolves once the process exits. */
  readonly done: Promise<Usage>;
  /** Resolves with the first match of `re` in stdout or stderr. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Writes to stdin. */
  input(text: string): void;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<Usage>;
}

let serial = 0;

/**
 * Starts `command args` (in `netns` when given: `nsenter` into that holder's namespaces) under
 * GNU time, writing its figures to a scratch file in `scratch`.
 */
export function measured(
  command: string,
  args: readonly string[],
  options: { scratch: string; cwd?: string; netns?: number; env?: NodeJS.ProcessEnv },
): Measured {
  const usageFile = join(options.scratch, `usage-${process.pid}-${serial++}.txt`);
  let argv = [command, ...args];
  if (haveGnuTime) argv = [GNU_TIME, '-q', '-f', '%M %U %S', '-o', usageFile, ...argv];
  if (options.netns !== undefined) {
    // Entering the mount namespace resets the working directory: give it again.
    const wd = `--wdns=${options.cwd ?? process.cwd()}`;
    argv = ['nsenter', '-t', String(options.netns), '-n', '-m', wd, '--', ...argv];
  }
  const proc = spawn(argv[0]!, argv.slice(1), {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const watchers: { re: RegExp; resolve: (m: RegExpExecArray) => void }[] = [];
  const check = () => {
    for (const w of [...watchers]) {
      const m = w.re.exec(stdout) ?? w.re.exec(stderr);
      if (m) {
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  proc.stdout!.setEncoding('utf8').on('data', (t: string) => {
    stdout += t;
    check();
  });
  proc.stderr!.setEncoding('utf8').on('data', (t: string) => {
    stderr += t;
    check();
  });
  proc.stdin!.on('error', () => {});
  const done = new Promise<Usage>((resolve) => {
    proc.once('close', (code) => {
      const exitedAt = performance.now();
      let rssMiB = Number.NaN;
      let cpuMs = Number.NaN;
      if (haveGnuTime && existsSync(usageFile)) {
        const line = readFileSync(usageFile, 'utf8').trim().split('\n').pop() ?? '';
        const [kib, user, sys] = line.split(' ').map(Number);
        rssMiB = (kib ?? Number.NaN) / 1024;
        cpuMs = ((user ?? Number.NaN) + (sys ?? Number.NaN)) * 1000;
        rmSync(usageFile, { force: true });
      }
      resolve({ code, rssMiB, cpuMs, exitedAt, stdout, stderr });
    });
  });
  return {
    proc,
    done,
    waitFor(re, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`${command}: no ${re} within ${timeoutMs} ms:\n${stdout}\n${stderr}`));
        }, timeoutMs);
        watchers.push({
          re,
          resolve: (m) => {
            clearTimeout(timer);
            resolve(m);
          },
        });
        check();
        void done.then(() => {
          clearTimeout(timer);
          reject(new Error(`${command} exited before ${re}:\n${stdout}\n${stderr}`));
        });
      });
    },
    input(text) {
      proc.stdin!.write(text);
    },
    async stop() {
      // GNU time does not pass SIGTERM on: signal its child (nsenter execs, so time is `proc`).
      if (proc.exitCode === null) {
        const children = haveGnuTime ? childrenOf(proc.pid!) : [];
        if (children.length > 0) for (const pid of children) process.kill(pid, 'SIGTERM');
        else proc.kill('SIGTERM');
      }
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      const usage = await done;
      clearTimeout(timer);
      return usage;
    },
  };
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}
