/**
 * Why the relay's on-disk store cannot be used. The relay refuses to start on any of these and
 * never replaces a damaged store with an empty one: the files stay where they are for a repair.
 */
import { PeerwireError } from '@peerwire/wire';

/** The command that repairs a damaged store (documented in the README, "Data directory"). */
export const REPAIR_HINT = 'peerwire-relay --repair-store';

/** The store's files are damaged (missing CURRENT or table file, garbage MANIFEST, ...). */
export class StoreDamagedError extends PeerwireError {
  readonly dir: string;
  readonly problem: string;

  constructor(dir: string, problem: string, options?: { cause?: unknown }) {
    super(
      'STORE_DAMAGED',
      `the store in ${dir} is damaged: ${problem}. The relay did not start and left every file in place; ` +
        `repair it with \`${REPAIR_HINT} --data-dir <dir>\` (keep a copy of the directory first), then start again`,
      options,
    );
    this.dir = dir;
    this.problem = problem;
  }
}

/** Another process holds the store's LOCK. */
export class StoreLockedError extends PeerwireError {
  constructor(dir: string, options?: { cause?: unknown }) {
    super(
      'STORE_LOCKED',
      `the store in ${dir} is locked: is another relay using it? (stop it or choose another --data-dir)`,
      options,
    );
  }
}

/** A record read back from the store does not match the checksum written with it. */
export class StoreCorruptRecordError extends PeerwireError {
  readonly key: string;

  constructor(key: string) {
    super(
      'STORE_CORRUPT_RECORD',
      `store record ${key} is corrupt (checksum mismatch); it is not served. Repair with \`${REPAIR_HINT}\``,
    );
    this.key = key;
  }
}
