// Issue 15 items 1 and 2: a damaged store is refused (never replaced by an empty one), with the
// underlying problem named and every file kept; corrupt record bytes are detected, not served;
// `--repair-store` brings the data back; the store's files are 0600 and its directories 0700.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClassicLevel } from 'classic-level';
import { afterEach, describe, expect, it } from 'vitest';
import { LevelRelayStore } from '../src/level-store.js';
import { repairLevelOnly, repairStore } from '../src/repair-store.js';
import {
  StoreCorruptRecordError,
  StoreDamagedError,
  StoreLockedError,
} from '../src/store-errors.js';
import { startRelay, tempDir } from './helpers.js';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const owner = 'a'.repeat(64);
const key = new TextEncoder().encode('photo');

/** A data dir whose store holds one 4 KB random blob, a server code and enough filler that
 * LevelDB writes a table (.ldb) file on reopen. */
async function filledStore(): Promise<{ data: string; dir: string; blob: Uint8Array }> {
  const t = tempDir();
  cleanups.push(t.remove);
  const dir = join(t.path, 'spot');
  const blob = new Uint8Array(randomBytes(4096));
  let store = await LevelRelayStore.open(dir);
  await store.setMeta('serverCode', 'keep');
  await store.putBlob(owner, key, blob);
  await store.close();
  store = await LevelRelayStore.open(dir); // the log becomes a table file
  await store.close();
  return { data: t.path, dir, blob };
}

function ldbFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.ldb'));
}

async function openError(dir: string): Promise<unknown> {
  return LevelRelayStore.open(dir).then(
    async (s) => {
      await s.close();
      return undefined;
    },
    (e: unknown) => e,
  );
}

describe('damaged store', () => {
  it('a missing CURRENT is refused, files kept, and --repair-store brings the data back', async () => {
    const { dir, blob } = await filledStore();
    const before = ldbFiles(dir);
    expect(before.length).toBeGreaterThan(0);
    rmSync(join(dir, 'CURRENT'));
    const error = await openError(dir);
    expect(error).toBeInstanceOf(StoreDamagedError);
    expect((error as Error).message).toMatch(/CURRENT file is missing/);
    expect((error as Error).message).toMatch(/--repair-store/);
    expect(ldbFiles(dir)).toEqual(before); // nothing deleted, no new empty store
    expect(readdirSync(dir)).not.toContain('CURRENT');

    const report = await repairStore(dir);
    expect(report.removed).toEqual([]);
    const store = await LevelRelayStore.open(dir);
    cleanups.push(() => store.close());
    expect(await store.getMeta('serverCode')).toBe('keep');
    expect(await store.getBlob(owner, key)).toEqual(blob);
    expect(await store.blobUsage(owner)).toEqual({ count: 1, bytes: 4096 });
  });

  it('a missing .ldb names the corruption, not a lock', async () => {
    const { dir } = await filledStore();
    rmSync(join(dir, ldbFiles(dir)[0]!));
    const error = await openError(dir);
    expect(error).toBeInstanceOf(StoreDamagedError);
    expect((error as Error).message).toMatch(/Corruption: .*missing files/);
    expect((error as Error).message).not.toMatch(/another relay/);
  });

  it('a garbage MANIFEST names the corruption and keeps the files', async () => {
    const { dir } = await filledStore();
    const manifest = readdirSync(dir).find((f) => f.startsWith('MANIFEST-'))!;
    writeFileSync(join(dir, manifest), 'garbage, not a manifest');
    const files = readdirSync(dir).sort();
    const error = await openError(dir);
    expect(error).toBeInstanceOf(StoreDamagedError);
    expect((error as Error).message).toMatch(/Corruption/);
    expect(readdirSync(dir).sort()).toEqual(files);
  });

  it('a store in use by another process is reported as locked', async () => {
    const { dir } = await filledStore();
    const store = await LevelRelayStore.open(dir);
    cleanups.push(() => store.close());
    const error = await openError(dir);
    expect(error).toBeInstanceOf(StoreLockedError);
    expect((error as Error).message).toMatch(/another relay/);
  });

  it('random bytes written into an .ldb are detected on read, reported, and removed by repair', async () => {
    const { dir, blob } = await filledStore();
    const file = join(dir, ldbFiles(dir)[0]!);
    const bytes = readFileSync(file);
    const at = bytes.indexOf(Buffer.from(blob.subarray(1000, 1064)));
    expect(at).toBeGreaterThan(0); // the blob is stored raw (random bytes do not compress)
    randomBytes(64).copy(bytes, at + 100);
    writeFileSync(file, bytes);

    const reported: string[] = [];
    const store = await LevelRelayStore.open(dir, { onCorruption: (k) => reported.push(k) });
    await expect(store.getBlob(owner, key)).rejects.toBeInstanceOf(StoreCorruptRecordError);
    expect(reported).toEqual([`blob:${owner}:${Buffer.from(key).toString('hex')}`]);
    expect(await store.getMeta('serverCode')).toBe('keep'); // other records still served
    await store.close();

    const report = await repairStore(dir);
    expect(report.removed).toEqual(reported);
    const repaired = await LevelRelayStore.open(dir);
    cleanups.push(() => repaired.close());
    expect(await repaired.getBlob(owner, key)).toBeUndefined();
    expect(await repaired.blobUsage(owner)).toEqual({ count: 0, bytes: 0 });
    expect(await repaired.getMeta('serverCode')).toBe('keep');
  });

  it('a store written before checksums is upgraded and still read', async () => {
    const t = tempDir();
    cleanups.push(t.remove);
    const db = new ClassicLevel<string, Uint8Array>(t.path, { valueEncoding: 'view' });
    await db.put('meta:serverCode', new TextEncoder().encode('old1'));
    await db.close();
    const store = await LevelRelayStore.open(t.path);
    cleanups.push(() => store.close());
    expect(await store.getMeta('serverCode')).toBe('old1');
  });

  it('the store files are 0600 and its directories 0700', async () => {
    const { data, dir } = await filledStore();
    for (const d of [data, dir]) expect(statSync(d).mode & 0o777).toBe(0o700);
    for (const f of readdirSync(dir)) expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
  });
});

describe('peerwire-relay with a damaged store', () => {
  it('refuses to start (exit 1) naming the problem; --repair-store repairs it (exit 0)', async () => {
    const { data, dir } = await filledStore();
    rmSync(join(dir, 'CURRENT'));
    const files = readdirSync(dir).sort();
    const args = [
      '--import',
      'tsx',
      main,
      '-d',
      data,
      '--host',
      '127.0.0.1',
      '-p',
      '0',
      '--no-bob',
    ];
    const start = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 20_000 });
    expect(start.status).toBe(1);
    expect(start.stdout).toMatch(/damaged: its CURRENT file is missing/);
    expect(start.stdout).not.toMatch(/another relay/);
    expect(readdirSync(dir).sort()).toEqual(files);

    const repair = spawnSync(process.execPath, [...args, '--repair-store'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(repair.status).toBe(0);
    expect(repair.stdout).toMatch(
      /repaired the store in .*: \d+ records kept, 0 corrupt records removed/,
    );
    const store = await LevelRelayStore.open(dir);
    cleanups.push(() => store.close());
    expect(await store.getMeta('serverCode')).toBe('keep');
  }, 40_000);
});

describe('the Datt content store', () => {
  it('a missing CURRENT is refused too, files kept', async () => {
    const t = tempDir();
    cleanups.push(t.remove);
    const options = {
      memory: false,
      dataDir: t.path,
      datt: { enabled: true, port: 0, wsPort: 0 },
    };
    const first = await startRelay(options);
    await first.close();
    const content = join(t.path, 'datt', 'content');
    expect(readdirSync(content)).toContain('CURRENT');
    rmSync(join(content, 'CURRENT'));
    const files = readdirSync(content).sort();
    const error = await startRelay(options).then(
      async (r) => {
        await r.close();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StoreDamagedError);
    expect((error as Error).message).toMatch(
      /datt\/content is damaged: its CURRENT file is missing/,
    );
    expect(readdirSync(content).sort()).toEqual(files);
    await repairLevelOnly(content);
    const repaired = await startRelay(options);
    cleanups.push(() => repaired.close());
    expect(readdirSync(content)).toContain('CURRENT');
  });
});
