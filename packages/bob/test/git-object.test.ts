import { fromHex, toHex, utf8Encode } from '@peerwire/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectThrowsCode, valueOrTypedError } from '../../../tooling/test-helpers.js';
import {
  BobError,
  decodeRoot,
  decodeTree,
  encodeRoot,
  encodeTree,
  ObjectType,
  objectId,
} from '../src/index.js';
import { nodePrimitives } from '../src/node/index.js';

const id = (hex: string) => fromHex(hex);

describe('git objects (spec §8.2)', () => {
  it('computes the ids git computes', () => {
    // `git hash-object` values, well known.
    expect(toHex(objectId(ObjectType.Blob, new Uint8Array(0)))).toBe(
      'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391',
    );
    expect(toHex(objectId(ObjectType.Blob, utf8Encode('Hello World!\n')))).toBe(
      '980a0d5f19a64b4b30a87d4206aade58726b60e3',
    );
    expect(toHex(objectId(ObjectType.Tree, new Uint8Array(0)))).toBe(
      '4b825dc642cb6eb9a060e54bf8d69288fbee4904',
    );
    expect(toHex(objectId(ObjectType.Blob, utf8Encode('x'), nodePrimitives.sha1))).toBe(
      toHex(objectId(ObjectType.Blob, utf8Encode('x'))),
    );
  });

  it("writes trees in git's order and format: 40000 for directories, 100644 for files", () => {
    const blob = objectId(ObjectType.Blob, utf8Encode('Hello World!\n'));
    const empty = id('4b825dc642cb6eb9a060e54bf8d69288fbee4904');
    const tree = encodeTree([
      { name: 'a', kind: 'dir', id: empty },
      { name: 'a.txt', kind: 'file', id: blob },
      { name: 'B', kind: 'file', id: blob },
    ]);
    // "B" < "a.txt" < "a/" (directories sort as if followed by "/").
    expect(decodeTree(tree).map((e) => e.name)).toEqual(['B', 'a.txt', 'a']);
    expect(toHex(tree.subarray(0, 9))).toBe(toHex(utf8Encode('100644 B\0')));
    // `git mktree` gives this id for the same entries (checked with git 2.x).
    expect(toHex(objectId(ObjectType.Tree, tree))).toBe('5fd42acc8545be4fea11483afd1c725fc427ad21');
  });

  it('rejects unsafe names, duplicates, symlinks and garbage in trees', () => {
    const zero = new Uint8Array(20);
    expectThrowsCode(
      () => encodeTree([{ name: '..', kind: 'dir', id: zero }]),
      BobError,
      'UNSAFE_PATH',
    );
    expectThrowsCode(
      () => encodeTree([{ name: 'a/b', kind: 'file', id: zero }]),
      BobError,
      'UNSAFE_PATH',
    );
    expectThrowsCode(
      () =>
        encodeTree([
          { name: 'x', kind: 'file', id: zero },
          { name: 'x', kind: 'file', id: zero },
        ]),
      BobError,
      'BAD_OBJECT',
    );
    const raw = (mode: string, name: string) =>
      Uint8Array.from([...utf8Encode(`${mode} ${name}\0`), ...zero]);
    expectThrowsCode(() => decodeTree(raw('100644', '..')), BobError, 'UNSAFE_PATH');
    expectThrowsCode(() => decodeTree(raw('100644', '../../etc/passwd')), BobError, 'UNSAFE_PATH');
    expectThrowsCode(() => decodeTree(raw('40000', '/abs')), BobError, 'UNSAFE_PATH');
    expectThrowsCode(() => decodeTree(raw('120000', 'link')), BobError, 'BAD_OBJECT');
    expectThrowsCode(() => decodeTree(raw('100644', 'a').subarray(0, 20)), BobError, 'BAD_OBJECT');
    expect(decodeTree(raw('100755', 'run.sh'))[0]).toMatchObject({ name: 'run.sh', kind: 'file' });
  });

  it("encodes bob's root object and reads it back", () => {
    const root = {
      name: 'photos',
      tree: id('4b825dc642cb6eb9a060e54bf8d69288fbee4904'),
      count: 12,
    };
    const bytes = encodeRoot(root);
    expect(toHex(bytes)).toBe(
      toHex(utf8Encode('photos\0')) +
        '4b825dc642cb6eb9a060e54bf8d69288fbee4904' +
        toHex(utf8Encode('12')),
    );
    expect(decodeRoot(bytes)).toEqual(root);
    expectThrowsCode(() => decodeRoot(utf8Encode('no-nul')), BobError, 'BAD_OBJECT');
  });

  it('fuzz: tree and root decoders give a value or a BobError; re-encoding a tree is stable', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => {
        const tree = valueOrTypedError(() => decodeTree(bytes), BobError);
        if (tree) {
          const again = decodeTree(encodeTree(tree));
          expect(again.map((e) => e.name).sort()).toEqual(tree.map((e) => e.name).sort());
          expect(encodeTree(again)).toEqual(encodeTree(tree));
        }
        valueOrTypedError(() => decodeRoot(bytes), BobError);
      }),
    );
  });
});
