// The per-file compression decision, end to end: compressible data still shrinks, random data
// is sent in stored blocks, and the receiver takes both.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBobRelay, receive, sendPath, startBobRelay } from '../../src/node/index.js';

let relay: RunningBobRelay;
let work: string;
beforeAll(async () => {
  relay = await startBobRelay({ host: '127.0.0.1', port: 0, securePort: 0 });
  work = await mkdtemp(join(tmpdir(), 'bob-compression-'));
});
afterAll(async () => {
  await relay.close();
  await rm(work, { recursive: true, force: true });
});
const at = () => ({ relay: `127.0.0.1:${relay.ports.handshake}`, securePort: relay.ports.secure });
/** Stored zlib: 2 header bytes, 5 bytes per block of at most 65535, 4 bytes of adler32. */
const storedSize = (n: number) => 2 + 5 * Math.max(1, Math.ceil(n / 65535)) + n + 4;

describe('default options decide per file whether compression pays', () => {
  it('a compressible folder still shrinks', async () => {
    const src = join(work, 'text');
    const out = join(work, 'text-out');
    await mkdir(join(src, 'logs'), { recursive: true });
    await mkdir(out);
    const line = (i: number) =>
      `2026-12-03T13:${i % 60} INFO request ${i} served in ${i % 97} ms\n`;
    const log = Array.from({ length: 20_000 }, (_, i) => line(i)).join('');
    await writeFile(join(src, 'logs', 'app.log'), log);
    await writeFile(join(src, 'readme.md'), '# notes\n'.repeat(2000));
    const [sent, got] = await Promise.all([
      sendPath(src, { ...at(), password: 'pw-text' }),
      receive('pw-text', { ...at(), outDir: out }),
    ]);
    expect(sent.files).toEqual({ compressed: 2, stored: 0 });
    expect(sent.packBytes).toBeLessThan(sent.bytes / 4);
    expect(await readFile(join(got.path, 'logs', 'app.log'), 'utf8')).toBe(log);
  });

  it('random data is sent in stored blocks, and received', async () => {
    const src = join(work, 'random');
    const out = join(work, 'random-out');
    await mkdir(src);
    await mkdir(out);
    const content = randomBytes(3 * 1024 * 1024 + 5);
    await writeFile(join(src, 'video.bin'), content);
    const [sent, got] = await Promise.all([
      sendPath(join(src, 'video.bin'), { ...at(), password: 'pw-random' }),
      receive('pw-random', { ...at(), outDir: out }),
    ]);
    expect(sent.files).toEqual({ compressed: 0, stored: 1 });
    // PACK header and trailer, the name's tag object, the blob's header and stored zlib stream.
    const overhead = 12 + 20 + 64;
    expect(sent.packBytes).toBeLessThanOrEqual(storedSize(content.length) + overhead);
    expect((await readFile(got.path)).equals(content)).toBe(true);
  });

  it('a folder mixing both compresses only the file that pays', async () => {
    const src = join(work, 'mixed');
    const out = join(work, 'mixed-out');
    await mkdir(src);
    await mkdir(out);
    await writeFile(join(src, 'a.txt'), 'abc '.repeat(50_000));
    await writeFile(join(src, 'b.bin'), randomBytes(200_000));
    const [sent, got] = await Promise.all([
      sendPath(src, { ...at(), password: 'pw-mixed' }),
      receive('pw-mixed', { ...at(), outDir: out }),
    ]);
    expect(sent.files).toEqual({ compressed: 1, stored: 1 });
    expect(got.files).toBe(2);
  });

  it('--no-compression stores everything, compressible or not', async () => {
    const src = join(work, 'plain');
    const out = join(work, 'plain-out');
    await mkdir(src);
    await mkdir(out);
    await writeFile(join(src, 'a.txt'), 'abc '.repeat(50_000));
    const [sent] = await Promise.all([
      sendPath(join(src, 'a.txt'), { ...at(), password: 'pw-plain', compression: false }),
      receive('pw-plain', { ...at(), outDir: out }),
    ]);
    expect(sent.files).toEqual({ compressed: 0, stored: 1 });
    expect(sent.packBytes).toBeGreaterThan(200_000);
  });
});
