/**
 * The data directory is private to the relay's user, like the CLI's keychain: directories 0700,
 * files 0600. LevelDB creates its files with the process umask, so the daemon also sets the umask
 * to 0o077 (main.ts); `tightenTree` fixes what an older run or another umask left behind.
 */
import { chmodSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const DATA_DIR_MODE = 0o700;
export const DATA_FILE_MODE = 0o600;

/** Creates `dir` (and missing parents) with mode 0700 and makes an existing one 0700. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: DATA_DIR_MODE });
  chmodSync(dir, DATA_DIR_MODE);
}

/** Sets mode 0700 on `dir` and its subdirectories and 0600 on every file below it. */
export function tightenTree(dir: string): void {
  chmodSync(dir, DATA_DIR_MODE);
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) continue; // removed meanwhile (a compaction)
    if (stat.isDirectory()) tightenTree(path);
    else if (stat.isFile() && (stat.mode & 0o777) !== DATA_FILE_MODE)
      chmodSync(path, DATA_FILE_MODE);
  }
}
