import { inflateSync } from 'node:zlib';
import { bytesEqual, concatBytes, fromHex, toHex, utf8Encode } from '@peerwire/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectThrowsCode, valueOrTypedError } from '../../../tooling/test-helpers.js';
import {
  BobError,
  encodeRoot,
  encodeTree,
  type MemoryFolder,
  ObjectType,
  objectId,
  type PackEvent,
  PackReader,
  PackWriter,
  type PayloadEvent,
  PayloadReader,
  packFolder,
  packSingleFile,
  readPayload,
} from '../src/index.js';
import { encodeObjectHeader, zlibDeflate } from '../src/internal.js';
import { nodePrimitives } from '../src/node/index.js';
import { buildPack, chunked, encodeDelta } from './helpers.js';
import { SINGLE_FILE_PACK as S } from './spec-vectors.js';

const text = (s: string) => utf8Encode(s);

describe('single-file PACK (spec §8.1)', () => {
  it('writes the spec example byte for byte', () => {
    const pack = packSingleFile(S.name, text(S.content));
    expect(toHex(pack)).toBe(
      S.header + S.tagHeader + S.tagZlib + S.blobHeader + S.blobZlib + S.trailer,
    );
  });

  it('streams the same bytes with PackWriter and node:crypto SHA-1', () => {
    const w = new PackWriter(2, { sha1: nodePrimitives.sha1 });
    const parts = [
      w.header(),
      w.object(ObjectType.Tag, 7),
      w.data(fromHex(S.tagZlib)),
      w.object(ObjectType.Blob, 13),
      w.data(fromHex(S.blobZlib).subarray(0, 5)),
      w.data(fromHex(S.blobZlib).subarray(5)),
      w.trailer(),
    ];
    expect(toHex(concatBytes(...parts))).toBe(toHex(packSingleFile(S.name, text(S.content))));
    expectThrowsCode(() => new PackWriter(1).trailer(), BobError, 'BAD_PACK');
  });

  it('encodes object headers like git (tag 7 → 47, blob 13 → 3d, multi-byte sizes)', () => {
    expect(toHex(encodeObjectHeader(4, 7))).toBe('47');
    expect(toHex(encodeObjectHeader(3, 13))).toBe('3d');
    expect(toHex(encodeObjectHeader(3, 16))).toBe('b001');
    expect(toHex(encodeObjectHeader(3, 2 ** 30))).toBe('b080808020');
  });

  it('reads it back in any chunking: name, size, contents, intact trailer', () => {
    const content = new Uint8Array(200_000).map((_, i) => (i * 7) & 0xff);
    for (const [size, cuts] of [
      [3000, [1]],
      [content.length, [7, 3000]],
      [content.length, [65536]],
      [content.length, [1 << 30]],
    ] as const) {
      const pack = packSingleFile('big.bin', content.subarray(0, size), { level: 0 });
      const r = new PayloadReader();
      const events = chunked(pack, cuts, (c) => r.push(c));
      r.end();
      expect(events[0]).toEqual({ type: 'file', name: 'big.bin', rawName: 'big.bin', size });
      const received = join(events.flatMap((e) => (e.type === 'file-data' ? [e.bytes] : [])));
      expect(bytesEqual(received, content.subarray(0, size))).toBe(true);
      expect(events.at(-1)?.type).toBe('end');
    }
  });

  it('reduces the received name to a safe basename, and refuses unusable names', () => {
    const p = readPayload(packSingleFile('../../etc/passwd', text('x')));
    expect(p).toMatchObject({ kind: 'file', name: 'passwd', rawName: '../../etc/passwd' });
    expectThrowsCode(() => readPayload(packSingleFile('..', text('x'))), BobError, 'UNSAFE_PATH');
  });

  it('detects any flipped byte (CHECKSUM_MISMATCH, or earlier as BAD_ZLIB / BAD_PACK)', () => {
    const pack = packSingleFile(S.name, text(S.content));
    for (let i = 0; i < pack.length; i++) {
      const bad = Uint8Array.from(pack);
      bad[i]! ^= 0x20;
      const r = new PayloadReader();
      let error: unknown;
      try {
        r.push(bad);
        r.end();
      } catch (e) {
        error = e;
      }
      expect(error, `flip at ${i}`).toBeInstanceOf(BobError);
    }
    const badTrailer = Uint8Array.from(pack);
    badTrailer[pack.length - 1]! ^= 1;
    expectThrowsCode(() => new PayloadReader().push(badTrailer), BobError, 'CHECKSUM_MISMATCH');
  });

  it('reports a truncated stream and trailing garbage', () => {
    const pack = packSingleFile(S.name, text(S.content));
    const r = new PayloadReader();
    r.push(pack.subarray(0, pack.length - 1));
    expectThrowsCode(() => r.end(), BobError, 'TRUNCATED');
    expectThrowsCode(
      () => new PayloadReader().push(concatBytes(pack, Uint8Array.of(0))),
      BobError,
      'BAD_PACK',
    );
  });

  it('refuses single-file PACKs of the wrong shape', () => {
    const tag = { type: 4 as const, content: text('a') };
    const blob = { type: 3 as const, content: text('b') };
    expectThrowsCode(() => readPayload(buildPack([tag, blob, blob])), BobError, 'BAD_PACK');
    expectThrowsCode(() => readPayload(buildPack([tag, tag])), BobError, 'BAD_PACK');
  });
});

describe('deferred single-file data (for a native inflater)', () => {
  const content = new Uint8Array(150_000).map((_, i) => (i * 13) & 0xff);
  const pack = packSingleFile('f.bin', content, { level: 0 });

  it('hands over exactly the zlib stream and checks the trailer at end()', () => {
    for (const cuts of [[1, 9, 100], [4096], [pack.length]]) {
      const r = new PayloadReader({ deferFileData: true });
      const events = chunked(pack, cuts, (c) => r.push(c));
      const last = r.end();
      expect(events[0]).toMatchObject({ type: 'file', name: 'f.bin', size: content.length });
      expect(events.some((e) => e.type === 'file-data')).toBe(false);
      const z = join(events.flatMap((e) => (e.type === 'file-zlib' ? [e.bytes] : [])));
      expect(bytesEqual(inflateSync(z), content)).toBe(true);
      expect(last.map((e) => e.type)).toEqual(['end']);
    }
  });

  it('still detects a bad trailer, a flipped byte and a cut stream', () => {
    const bad = Uint8Array.from(pack);
    bad[pack.length - 3]! ^= 1;
    const r1 = new PayloadReader({ deferFileData: true });
    r1.push(bad);
    expectThrowsCode(() => r1.end(), BobError, 'CHECKSUM_MISMATCH');
    const flipped = Uint8Array.from(pack);
    flipped[pack.length - 1000]! ^= 1;
    const r2 = new PayloadReader({ deferFileData: true });
    r2.push(flipped);
    expectThrowsCode(() => r2.end(), BobError, 'CHECKSUM_MISMATCH');
    // Without a length, a cut stream only shows as a trailer that does not match...
    const r3 = new PayloadReader({ deferFileData: true });
    r3.push(pack.subarray(0, pack.length - 21));
    expectThrowsCode(() => r3.end(), BobError, 'CHECKSUM_MISMATCH');
    // ...unless fewer than 20 bytes followed the blob header.
    const r4 = new PayloadReader({ deferFileData: true });
    r4.push(pack.subarray(0, 40));
    expectThrowsCode(() => r4.end(), BobError, 'TRUNCATED');
  });

  it('never defers folder objects (their ids must be computed)', () => {
    const r = new PayloadReader({ deferFileData: true });
    const events = r.push(packFolder('d', { a: text('x'), b: text('y') }));
    r.end();
    expect(events.some((e) => e.type === 'file-zlib')).toBe(false);
    expect(events.at(-1)?.type).toBe('end');
  });
});

describe('PACK reader robustness', () => {
  it('refuses an object that inflates to more than its header says (zip bomb) before keeping it', () => {
    const w = new PackWriter(1);
    const bomb = zlibDeflate(new Uint8Array(1 << 20));
    const pack = concatBytes(w.header(), w.object(ObjectType.Blob, 10), w.data(bomb), w.trailer());
    expectThrowsCode(() => new PackReader().push(pack), BobError, 'BAD_ZLIB');
  });

  it('refuses an object shorter than its header says', () => {
    const w = new PackWriter(1);
    const pack = concatBytes(
      w.header(),
      w.object(ObjectType.Blob, 10),
      w.data(zlibDeflate(text('short'))),
      w.trailer(),
    );
    expectThrowsCode(() => new PackReader().push(pack), BobError, 'BAD_PACK');
  });

  it('refuses REF_DELTA, reserved types, bad signatures and versions, deltas to nowhere', () => {
    const header = (type: number) =>
      concatBytes(fromHex('5041434b0000000200000001'), encodeObjectHeader(type, 1));
    expectThrowsCode(() => new PackReader().push(header(7)), BobError, 'BAD_PACK');
    expectThrowsCode(() => new PackReader().push(header(5)), BobError, 'BAD_PACK');
    expectThrowsCode(() => new PackReader().push(header(0)), BobError, 'BAD_PACK');
    expectThrowsCode(
      () => new PackReader().push(fromHex('5041434c0000000200000001')),
      BobError,
      'BAD_PACK',
    );
    expectThrowsCode(
      () => new PackReader().push(fromHex('5041434b0000000400000001')),
      BobError,
      'BAD_PACK',
    );
    expectThrowsCode(
      () => new PackReader().push(concatBytes(header(6), Uint8Array.of(3))),
      BobError,
      'BAD_PACK',
    );
    expectThrowsCode(
      () =>
        new PackReader({ limits: { maxObjects: 10 } }).push(fromHex('5041434b000000020000000b')),
      BobError,
      'LIMIT_EXCEEDED',
    );
  });

  it('fuzz: arbitrary bytes give events or a BobError, never another exception', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (tail) => {
        const input = concatBytes(fromHex('5041434b00000002'), tail);
        valueOrTypedError(() => {
          const r = new PayloadReader();
          r.push(input);
          r.end();
        }, BobError);
        valueOrTypedError(() => new PackReader().push(tail), BobError);
      }),
    );
  });

  it('fuzz: a mutated valid PACK is rejected with a BobError or read identically', () => {
    const pack = packFolder('root', {
      a: text('alpha'),
      sub: { b: text('beta'), c: new Uint8Array(300) },
    });
    const original = readPayload(pack);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: pack.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        (at, xor) => {
          const bad = Uint8Array.from(pack);
          bad[at]! ^= xor;
          const r = valueOrTypedError(() => readPayload(bad), BobError);
          if (r) expect(r).toEqual(original);
        },
      ),
    );
  });
});

function objectsOf(events: readonly (PackEvent | PayloadEvent)[]) {
  return events.filter((e) => e.type === 'object' || e.type === 'delta');
}

describe('folder PACK (spec §8.2)', () => {
  const folder: MemoryFolder = {
    'readme.md': text('# hello\n'),
    docs: { 'a.txt': text('A'), 'same.txt': text('# hello\n'), empty: {} },
    'z.bin': new Uint8Array(70_000).map((_, i) => i % 251),
  };

  it('writes base objects only, each once, sorted by id, with the type-1 root', () => {
    const pack = packFolder('project', folder);
    const r = new PackReader({ computeIds: true });
    const events = r.push(pack);
    const objects = objectsOf(events);
    expect(objects.every((o) => o.type === 'object')).toBe(true);
    const ids = events.flatMap((e) => (e.type === 'object-end' && e.id ? [toHex(e.id)] : []));
    expect(ids).toEqual([...ids].sort());
    expect(new Set(ids).size).toBe(ids.length); // readme.md and same.txt share one blob
    // 3 distinct blobs + 3 trees (root, docs, empty) + the root object.
    expect(ids.length).toBe(7);
    expect(objects.filter((o) => o.type === 'object' && o.objectType === 1)).toHaveLength(1);
  });

  it('reads it back: plan, files and contents', () => {
    const p = readPayload(packFolder('project', folder));
    if (p.kind !== 'folder') throw new Error('expected a folder');
    expect(p.plan.name).toBe('project');
    expect(p.plan.directories).toEqual(['docs', 'docs/empty']);
    const files = Object.fromEntries(p.plan.files.map((f) => [f.path, p.blobs.get(f.id)]));
    expect(files).toEqual({
      'readme.md': folder['readme.md'],
      'docs/a.txt': text('A'),
      'docs/same.txt': folder['readme.md'],
      'z.bin': folder['z.bin'],
    });
  });

  it('round-trips arbitrary folders', () => {
    const name = fc.stringMatching(/^[a-z0-9._-]{1,8}$/).filter((n) => n !== '.' && n !== '..');
    const tree: fc.Arbitrary<MemoryFolder> = fc.letrec((tie) => ({
      dir: fc.dictionary(
        name,
        fc.oneof({ depthSize: 'small' }, fc.uint8Array({ maxLength: 40 }), tie('dir')),
        {
          maxKeys: 4,
        },
      ),
    })).dir as fc.Arbitrary<MemoryFolder>;
    fc.assert(
      fc.property(tree, (f) => {
        const p = readPayload(packFolder('r', f, { level: 0 }));
        if (p.kind !== 'folder') throw new Error('expected a folder');
        const rebuilt: Record<string, unknown> = {};
        for (const d of p.plan.directories) setPath(rebuilt, d, {});
        for (const file of p.plan.files) setPath(rebuilt, file.path, p.blobs.get(file.id));
        expect(rebuilt).toEqual(f);
      }),
      // Each case packs and unpacks a whole folder with SHA-1 ids: 1,000 runs take ~3 s.
      { numRuns: 1000 },
    );
  });

  it('accepts OFS_DELTA objects (chains included) when receiving', () => {
    const base = text('line one\nline two\nline three\n');
    const v2 = text('line one\nline 2\nline three\n');
    const v3 = text('line one\nline 2\nline three\nline four\n');
    const d2 = encodeDelta(base.length, v2.length, [
      { copy: [0, 14] },
      { insert: text('2') },
      { copy: [17, 12] },
    ]);
    const d3 = encodeDelta(v2.length, v3.length, [
      { copy: [0, v2.length] },
      { insert: text('line four\n') },
    ]);
    const id = (c: Uint8Array) => objectId(ObjectType.Blob, c);
    const tree = encodeTree([
      { name: 'v1', kind: 'file', id: id(base) },
      { name: 'v2', kind: 'file', id: id(v2) },
      { name: 'v3', kind: 'file', id: id(v3) },
    ]);
    const root = encodeRoot({ name: 'deltas', tree: objectId(ObjectType.Tree, tree), count: 5 });
    const pack = buildPack([
      { type: 1, content: root },
      { type: 3, content: base },
      { type: 6, baseIndex: 1, delta: d2 },
      { type: 6, baseIndex: 2, delta: d3 },
      { type: 2, content: tree },
    ]);
    const p = readPayload(pack);
    if (p.kind !== 'folder') throw new Error('expected a folder');
    expect(p.plan.files.map((f) => [f.path, p.blobs.get(f.id)])).toEqual([
      ['v1', base],
      ['v2', v2],
      ['v3', v3],
    ]);
    const events = new PackReader().push(pack);
    expect(objectsOf(events).map((o) => o.type)).toEqual([
      'object',
      'object',
      'delta',
      'delta',
      'object',
    ]);
  });

  it('rejects hostile folders: ../ names, missing objects, wrong kinds, several roots', () => {
    const blob = text('evil');
    const bid = objectId(ObjectType.Blob, blob);
    const hostile = (
      entries: Uint8Array,
      extra: { type: 1 | 2 | 3; content: Uint8Array }[] = [],
    ) => {
      const tid = objectId(ObjectType.Tree, entries);
      return buildPack([
        { type: 1, content: encodeRoot({ name: 'innocent', tree: tid, count: 3 }) },
        { type: 2, content: entries },
        { type: 3, content: blob },
        ...extra,
      ]);
    };
    const rawEntry = (mode: string, name: string, id: Uint8Array) =>
      concatBytes(text(`${mode} ${name}\0`), id);
    expectThrowsCode(
      () => readPayload(hostile(rawEntry('100644', '../evil', bid))),
      BobError,
      'UNSAFE_PATH',
    );
    expectThrowsCode(
      () => readPayload(hostile(rawEntry('100644', '..', bid))),
      BobError,
      'UNSAFE_PATH',
    );
    expectThrowsCode(
      () => readPayload(hostile(rawEntry('40000', '/etc', bid))),
      BobError,
      'UNSAFE_PATH',
    );
    expectThrowsCode(
      () => readPayload(hostile(rawEntry('40000', 'dir', bid))),
      BobError,
      'BAD_OBJECT',
    );
    expectThrowsCode(
      () => readPayload(hostile(rawEntry('100644', 'ghost', new Uint8Array(20)))),
      BobError,
      'OBJECT_MISSING',
    );
    const secondRoot = {
      type: 1 as const,
      content: encodeRoot({ name: 'other', tree: new Uint8Array(20), count: 1 }),
    };
    expectThrowsCode(
      () => readPayload(hostile(rawEntry('100644', 'ok', bid), [secondRoot])),
      BobError,
      'BAD_OBJECT',
    );
    // The folder name itself is reduced, not rejected: "../../x" arrives as "x".
    const tree = rawEntry('100644', 'ok', bid);
    const pack = buildPack([
      {
        type: 1,
        content: encodeRoot({ name: '../../x', tree: objectId(ObjectType.Tree, tree), count: 3 }),
      },
      { type: 2, content: tree },
      { type: 3, content: blob },
    ]);
    expect(readPayload(pack)).toMatchObject({ kind: 'folder', plan: { name: 'x' } });
  });

  it('bounds exponential trees (a subtree referenced twice per level)', () => {
    const blob = text('x');
    let id = objectId(ObjectType.Blob, blob);
    const objects: { type: 1 | 2 | 3; content: Uint8Array }[] = [{ type: 3, content: blob }];
    let kind: 'file' | 'dir' = 'file';
    for (let level = 0; level < 30; level++) {
      const tree = encodeTree([
        { name: 'a', kind, id },
        { name: 'b', kind, id },
      ]);
      objects.push({ type: 2, content: tree });
      id = objectId(ObjectType.Tree, tree);
      kind = 'dir';
    }
    objects.push({ type: 1, content: encodeRoot({ name: 'bomb', tree: id, count: 0 }) });
    expectThrowsCode(
      () => readPayload(buildPack(objects), { maxEntries: 10_000 }),
      BobError,
      'LIMIT_EXCEEDED',
    );
  });
});

function join(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function setPath(root: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('/');
  let node = root;
  for (const p of parts.slice(0, -1)) node = node[p] as Record<string, unknown>;
  node[parts.at(-1)!] = value;
}
