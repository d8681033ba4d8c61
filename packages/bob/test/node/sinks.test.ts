// The receiver's sinks on their own: nothing is visible under the final name before commit,
// abort leaves nothing behind, and a size or limit problem is a BobError.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectRejectsCode } from '../../../../tooling/test-helpers.js';
import { BobError, ObjectType } from '../../src/index.js';
import { FileSink } from '../../src/node/file-sink.js';
import { FolderSink } from '../../src/node/folder-sink.js';
import { nodePrimitives } from '../../src/node/primitives.js';
import { ProgressReporter } from '../../src/node/progress.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bob-sinks-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const text = (s: string) => new TextEncoder().encode(s);

describe('FileSink', () => {
  it('writes under a partial name and links the file into place on commit', async () => {
    const sink = new FileSink(dir, {}, new ProgressReporter(undefined));
    await sink.handle({ type: 'file', name: 'a.txt', rawName: 'a.txt', size: 5 });
    await sink.handle({ type: 'file-zlib', bytes: new Uint8Array(deflateSync(text('hello'))) });
    expect(await readdir(dir)).not.toContain('a.txt');
    const saved = await sink.commit();
    expect(saved).toMatchObject({ kind: 'file', name: 'a.txt', bytes: 5, files: 1 });
    expect(await readFile(join(dir, 'a.txt'), 'utf8')).toBe('hello');
    expect(await readdir(dir)).toEqual(['a.txt']);
  });

  it('refuses an existing file, and a file shorter than announced; abort leaves nothing', async () => {
    await writeFile(join(dir, 'b.txt'), 'old');
    const exists = new FileSink(dir, {}, new ProgressReporter(undefined));
    await expectRejectsCode(
      () => exists.handle({ type: 'file', name: 'b.txt', rawName: 'b.txt', size: 1 }),
      BobError,
      'FILE_EXISTS',
    );
    const short = new FileSink(dir, {}, new ProgressReporter(undefined));
    await short.handle({ type: 'file', name: 'c.txt', rawName: 'c.txt', size: 6 });
    await short.handle({ type: 'file-zlib', bytes: new Uint8Array(deflateSync(text('hello'))) });
    await expectRejectsCode(() => short.commit(), BobError, 'BAD_PACK');
    await short.abort();
    expect(await readdir(dir)).toEqual(['b.txt']);
  });
});

describe('FolderSink', () => {
  it('keeps trees under maxTreeBytes and removes its temporary directory on abort', async () => {
    const sink = new FolderSink(dir, { limits: { maxTreeBytes: 10 } }, nodePrimitives.sha1);
    await sink.handle({ type: 'folder', count: 2 });
    expect((await readdir(dir)).length).toBe(1); // the partial directory
    const tree = (index: number, offset: number) =>
      ({ type: 'object', index, objectType: ObjectType.Tree, size: 8, offset }) as const;
    await sink.handle(tree(0, 12));
    await expectRejectsCode(() => sink.handle(tree(1, 40)), BobError, 'LIMIT_EXCEEDED');
    await sink.abort();
    expect(await readdir(dir)).toEqual([]);
  });
});
