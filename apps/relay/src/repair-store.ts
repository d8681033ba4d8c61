/**
 * `peerwire-relay --repair-store`: the repair path for a store the relay refused to open
 * (`StoreDamagedError`) or that reported corrupt records. It runs LevelDB's repair
 * (`ClassicLevel.repair`: rebuilds CURRENT and MANIFEST from the table and log files it can read;
 * LevelDB moves what it cannot read to `lost/`), then checks every record's checksum, deletes the
 * corrupt ones (their keys are listed) and recounts each identity's blob usage from the blobs
 * that remain. Run it with the relay stopped, on a copy kept aside.
 */
import { existsSync } from 'node:fs';
import { ClassicLevel } from 'classic-level';
import { openValue, sealValue } from './checked-value.js';
import { RepairError } from './errors.js';
import { FORMAT_KEY, openLevel } from './level-store.js';
import { tightenTree } from './private-dir.js';

export interface RepairReport {
  /** Records whose checksum held. */
  readonly kept: number;
  /** Keys of the records deleted because their bytes were corrupt. */
  readonly removed: readonly string[];
  /** Identities whose blob usage was recounted. */
  readonly owners: number;
}

/** LevelDB's repair alone, for a store without record checksums (the Datt content store). */
export async function repairLevelOnly(dir: string): Promise<void> {
  await ClassicLevel.repair(dir);
  tightenTree(dir);
}

/** Repairs the LevelDB store in `dir` (see the file comment). */
export async function repairStore(dir: string): Promise<RepairReport> {
  if (!existsSync(dir)) throw new RepairError('NO_STORE', `no store at ${dir}`);
  await ClassicLevel.repair(dir);
  const db = await openLevel(dir, false);
  try {
    const removed: string[] = [];
    const usage = new Map<string, { count: number; bytes: number }>();
    const legacy = (await db.get(FORMAT_KEY)) === undefined;
    let kept = 0;
    for await (const [key, raw] of db.iterator()) {
      const value = legacy ? raw : openValue(key, raw);
      if (!value) {
        removed.push(key);
        continue;
      }
      kept++;
      const blob = /^blob:([^:]+):/.exec(key);
      if (blob) {
        const u = usage.get(blob[1]!) ?? { count: 0, bytes: 0 };
        usage.set(blob[1]!, { count: u.count + 1, bytes: u.bytes + value.length });
      }
    }
    const ops: ({ type: 'del'; key: string } | { type: 'put'; key: string; value: Uint8Array })[] =
      removed.map((key) => ({ type: 'del', key }));
    // Usage records are rebuilt from the blobs; one for an owner left without blobs goes.
    for await (const key of db.keys({ gte: 'usage:', lt: 'usage;' })) {
      if (!usage.has(key.slice('usage:'.length)) && !removed.includes(key))
        ops.push({ type: 'del', key });
    }
    for (const [owner, u] of usage) {
      const key = `usage:${owner}`;
      const value = new TextEncoder().encode(JSON.stringify(u));
      ops.push({ type: 'put', key, value: legacy ? value : sealValue(key, value) });
    }
    await db.batch(ops);
    return { kept, removed, owners: usage.size };
  } finally {
    await db.close();
    tightenTree(dir);
  }
}
