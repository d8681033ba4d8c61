// Bench helper: a private network namespace holding only a loopback interface, with its own
// /etc/hosts (a private mount namespace). Every tool runs in it, so none can reach a peer
// directly over another interface: wormhole-william, which has no `--no-listen`, advertises no
// direct hint there, and its built-in transit relay name (transit.magic-wormhole.io) resolves
// to the local transit relay. Needs root, `unshare` and `nsenter` (util-linux) and `ip`.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Netns {
  /** The holder's pid: `nsenter -t <pid> -n -m`. */
  readonly pid: number;
  close(): void;
}

/** The reason a namespace cannot be made here, or undefined when it can. */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root';
  for (const tool of ['unshare', 'nsenter', 'ip']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is missing`;
    }
  }
  return undefined;
}

/** Starts the holder; `hosts` lines are the namespace's whole /etc/hosts. */
export async function createNetns(scratch: string, hosts: readonly string[]): Promise<Netns> {
  const hostsFile = join(scratch, 'netns-hosts');
  writeFileSync(hostsFile, `127.0.0.1 localhost\n::1 localhost\n${hosts.join('\n')}\n`);
  const holder: ChildProcess = spawn(
    'unshare',
    [
      '--net',
      '--mount',
      '--propagation',
      'private',
      'sh',
      '-c',
      `ip link set lo up && mount --bind "$0" /etc/hosts && echo ready && exec sleep 100000`,
      hostsFile,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    holder.stdout!.setEncoding('utf8').on('data', (t: string) => {
      if (t.includes('ready')) resolve();
    });
    holder.once('exit', (code) => reject(new Error(`unshare exited with ${code}`)));
  });
  return {
    pid: holder.pid!,
    close: () => {
      holder.kill('SIGKILL');
    },
  };
}
