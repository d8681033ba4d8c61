// Namespace bookkeeping: naming, deletion, clean-up at process exit, sweeping leftovers.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { run, runSync } from './command.js';
import { NetlabError } from './errors.js';

/** Every namespace a lab creates is named `nl-<owner pid>-<4 hex>-<node>`. */
export const LAB_PREFIX = 'nl-';
const LAB_NAMESPACE = /^nl-(\d+)-[0-9a-f]{4}-/;

/** A fresh lab id, `nl-<pid>-<4 random hex>`: unique per process and per lab. */
export function newLabId(): string {
  return `${LAB_PREFIX}${process.pid}-${randomBytes(2).toString('hex')}`;
}

/** The names of all network namespaces on the machine (`ip netns list`). */
export async function listNamespaces(ip = 'ip'): Promise<string[]> {
  const { stdout } = await run(ip, ['netns', 'list']);
  return parseNamespaceList(stdout);
}

function parseNamespaceList(stdout: string): string[] {
  return stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((name) => name !== '');
}

function pidsOf(stdout: string): number[] {
  return stdout
    .split('\n')
    .map((line) => Number(line.trim()))
    .filter((pid) => Number.isInteger(pid) && pid > 0 && pid !== process.pid);
}

function killAll(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Kills every process still inside `ns`, then deletes it. Resolves even if it is already gone. */
export async function destroyNamespace(ns: string, ip = 'ip'): Promise<void> {
  const pids = await run(ip, ['netns', 'pids', ns], { allowFailure: true });
  if (pids.code === 0) killAll(pidsOf(pids.stdout));
  const del = await run(ip, ['netns', 'delete', ns], { allowFailure: true });
  if (del.code !== 0 && (await listNamespaces(ip)).includes(ns)) {
    throw new NetlabError('NETLAB_COMMAND_FAILED', `cannot delete namespace ${ns}: ${del.stderr}`);
  }
}

/** The synchronous form, for process exit. */
export function destroyNamespaceSync(ns: string, ip = 'ip'): void {
  try {
    const out = execFileSync(ip, ['netns', 'pids', ns], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    killAll(pidsOf(out));
  } catch {
    // no such namespace
  }
  runSync(ip, ['netns', 'delete', ns]);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Deletes lab namespaces left behind by processes that died without cleaning up (and kills what
 * still runs in them).
 * - Without a prefix: every `nl-<pid>-...` namespace whose owner pid is no longer alive.
 * - With a prefix (which must start with `nl-`, so nothing but lab namespaces is ever touched):
 *   every namespace whose name starts with it, alive owner or not.
 * Returns the names deleted.
 */
export async function sweepStale(prefix?: string, ip = 'ip'): Promise<string[]> {
  if (
    prefix !== undefined &&
    (!prefix.startsWith(LAB_PREFIX) || prefix.length <= LAB_PREFIX.length)
  ) {
    throw new NetlabError(
      'NETLAB_BAD_SPEC',
      `sweepStale prefix ${JSON.stringify(prefix)} must start with ${JSON.stringify(LAB_PREFIX)} and say more`,
    );
  }
  const stale = (await listNamespaces(ip)).filter((ns) => {
    if (prefix !== undefined) return ns.startsWith(prefix);
    const owner = LAB_NAMESPACE.exec(ns);
    return owner !== null && !pidAlive(Number(owner[1]));
  });
  for (const ns of stale) await destroyNamespace(ns, ip);
  return stale;
}

// Labs still open, by id, with what removes them synchronously.
const openLabs = new Map<string, () => void>();
let hooksInstalled = false;
const EXIT_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function cleanUpAll(): void {
  for (const cleanUp of openLabs.values()) cleanUp();
  openLabs.clear();
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', cleanUpAll);
  for (const signal of EXIT_SIGNALS) {
    const onSignal = (): void => {
      cleanUpAll();
      // If nobody else handles the signal, die of it as the process would have without us.
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
}

/** Registers a lab's synchronous clean-up to run if the process exits with the lab open. */
export function registerOpenLab(id: string, cleanUpSync: () => void): void {
  installHooks();
  openLabs.set(id, cleanUpSync);
}

export function unregisterOpenLab(id: string): void {
  openLabs.delete(id);
}
