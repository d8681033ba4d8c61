import { compareBytes, toHex, utf8Decode, utf8Encode } from '@peerwire/wire';
import { BobError } from './errors.js';
import { type HashFactory, nobleSha1 } from './primitives.js';
import { checkEntryName } from './safe-path.js';

/** Git pack object types (spec §8). bob uses 1 (its root), 2, 3, 4 (single-file name) and 6. */
export const ObjectType = {
  Commit: 1,
  Tree: 2,
  Blob: 3,
  Tag: 4,
  OfsDelta: 6,
  RefDelta: 7,
} as const;
/** A base (non-delta) object type. */
export type BaseType = 1 | 2 | 3 | 4;

const TYPE_NAMES: Record<BaseType, string> = { 1: 'commit', 2: 'tree', 3: 'blob', 4: 'tag' };

/** Length of a SHA-1 object id. */
export const ID_LENGTH = 20;

/** The header git hashes before an object's content: `"<type> <size>\0"`. */
export function objectHeader(type: BaseType, size: number): Uint8Array {
  return utf8Encode(`${TYPE_NAMES[type]} ${size}\0`);
}

/** The git object id: SHA-1 of header ‖ content. */
export function objectId(
  type: BaseType,
  content: Uint8Array,
  sha1: HashFactory = nobleSha1,
): Uint8Array {
  const h = sha1();
  h.update(objectHeader(type, content.length));
  h.update(content);
  return h.digest();
}

/** One entry of a tree: a sub-directory (`40000`) or a regular file (`100644`). */
export interface TreeEntry {
  readonly name: string;
  readonly kind: 'dir' | 'file';
  readonly id: Uint8Array;
}

const MODE_DIR = utf8Encode('40000');
const MODE_FILE = utf8Encode('100644');

function sortKey(entry: TreeEntry): Uint8Array {
  return utf8Encode(entry.kind === 'dir' ? `${entry.name}/` : entry.name);
}

/**
 * Serializes a tree in git's order (names compared as bytes, directories as if followed by `/`),
 * which is also bob's. Names must be plain components; duplicates are refused.
 */
export function encodeTree(entries: readonly TreeEntry[]): Uint8Array {
  const keyed = entries.map((entry) => {
    checkEntryName(entry.name);
    if (entry.id.length !== ID_LENGTH) throw new BobError('BAD_OBJECT', 'an object id is 20 bytes');
    return { entry, key: sortKey(entry), name: utf8Encode(entry.name) };
  });
  keyed.sort((a, b) => compareBytes(a.key, b.key));
  let size = 0;
  for (let i = 0; i < keyed.length; i++) {
    const k = keyed[i]!;
    if (i > 0 && k.entry.name === keyed[i - 1]!.entry.name) {
      throw new BobError('BAD_OBJECT', `duplicate tree entry ${JSON.stringify(k.entry.name)}`);
    }
    size += (k.entry.kind === 'dir' ? 5 : 6) + 1 + k.name.length + 1 + ID_LENGTH;
  }
  const out = new Uint8Array(size);
  let o = 0;
  for (const { entry, name } of keyed) {
    const mode = entry.kind === 'dir' ? MODE_DIR : MODE_FILE;
    out.set(mode, o);
    o += mode.length;
    out[o++] = 0x20;
    out.set(name, o);
    o += name.length;
    out[o++] = 0;
    out.set(entry.id, o);
    o += ID_LENGTH;
  }
  return out;
}

function badObject(what: string): BobError {
  return new BobError('BAD_OBJECT', what);
}

/**
 * Parses a tree. Modes `40000` (directory) and `100644`/`100755` (file) are accepted; symlinks,
 * submodules and anything else throw `BAD_OBJECT`. Every name goes through `checkEntryName`
 * (`UNSAFE_PATH` for `..`, `/`, ...), and duplicate names are refused.
 */
export function decodeTree(bytes: Uint8Array): TreeEntry[] {
  const entries: TreeEntry[] = [];
  const seen = new Set<string>();
  let o = 0;
  while (o < bytes.length) {
    const space = bytes.indexOf(0x20, o);
    if (space < 0) throw badObject('tree entry without a mode separator');
    const mode = String.fromCharCode(...bytes.subarray(o, Math.min(space, o + 8)));
    let kind: 'dir' | 'file';
    if (mode === '40000') kind = 'dir';
    else if (mode === '100644' || mode === '100755') kind = 'file';
    else if (mode === '120000') throw badObject('the tree holds a symbolic link; bob sends none');
    else throw badObject(`unsupported tree entry mode ${JSON.stringify(mode)}`);
    const nul = bytes.indexOf(0, space + 1);
    if (nul < 0) throw badObject('tree entry name without its NUL terminator');
    if (nul + 1 + ID_LENGTH > bytes.length) throw badObject('tree entry cut inside its object id');
    let name: string;
    try {
      name = utf8Decode(bytes, space + 1, nul, 'tree entry name');
    } catch (cause) {
      throw new BobError('UNSAFE_PATH', 'a tree entry name is not valid UTF-8', { cause });
    }
    checkEntryName(name);
    if (seen.has(name)) throw badObject(`duplicate tree entry ${JSON.stringify(name)}`);
    seen.add(name);
    entries.push({ name, kind, id: bytes.slice(nul + 1, nul + 1 + ID_LENGTH) });
    o = nul + 1 + ID_LENGTH;
  }
  return entries;
}

/** bob's folder root (a type-1 object): `basename ‖ \0 ‖ tree id ‖ decimal(count)`. */
export interface FolderRoot {
  readonly name: string;
  readonly tree: Uint8Array;
  /** For progress only. */
  readonly count: number;
}

export function encodeRoot(root: FolderRoot): Uint8Array {
  if (root.tree.length !== ID_LENGTH) throw badObject('the root tree id is 20 bytes');
  if (root.name.includes('\0')) throw badObject('the root name contains NUL');
  const name = utf8Encode(root.name);
  const count = utf8Encode(String(root.count));
  const out = new Uint8Array(name.length + 1 + ID_LENGTH + count.length);
  out.set(name, 0);
  out.set(root.tree, name.length + 1);
  out.set(count, name.length + 1 + ID_LENGTH);
  return out;
}

/** Parses the root; the name is returned as sent (reduce it with `safeBasename`). */
export function decodeRoot(bytes: Uint8Array): FolderRoot {
  const nul = bytes.indexOf(0);
  if (nul < 0 || nul + 1 + ID_LENGTH > bytes.length)
    throw badObject('malformed folder root object');
  let name: string;
  try {
    name = utf8Decode(bytes, 0, nul, 'folder name');
  } catch (cause) {
    throw new BobError('UNSAFE_PATH', 'the folder name is not valid UTF-8', { cause });
  }
  const tail = bytes.subarray(nul + 1 + ID_LENGTH);
  const digits = tail.length <= 15 ? String.fromCharCode(...tail) : 'x';
  if (!/^[0-9]*$/.test(digits)) throw badObject('the folder root count is not a number');
  return {
    name,
    tree: bytes.slice(nul + 1, nul + 1 + ID_LENGTH),
    count: digits === '' ? 0 : Number(digits),
  };
}

/** Hex form of an id, for maps and messages. */
export function idHex(id: Uint8Array): string {
  return toHex(id);
}
