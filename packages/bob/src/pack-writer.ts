import { concatBytes, utf8Encode } from '@peerwire/wire';
import { BobError } from './errors.js';
import {
  type BaseType,
  encodeRoot,
  encodeTree,
  ID_LENGTH,
  idHex,
  ObjectType,
  objectId,
  type TreeEntry,
} from './git-object.js';
import { type HashFactory, type IncrementalHash, nobleSha1 } from './primitives.js';
import { BOB_ZLIB_LEVEL, zlibDeflate } from './zlib.js';

/** `PACK` */
export const PACK_SIGNATURE = Uint8Array.of(0x50, 0x41, 0x43, 0x4b);
/** Size of the PACK header (signature, version, count). */
export const PACK_HEADER_LENGTH = 12;
/** Size of the SHA-1 trailer. */
export const PACK_TRAILER_LENGTH = 20;

/**
 * The git pack object header (bob:lib/pack.ml `encode_header_of_entry`): first byte
 * `more | type << 4 | size & 0x0f`, then 7 bits of size per byte, least significant first.
 */
export function encodeObjectHeader(type: number, size: number): Uint8Array {
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new BobError('BAD_PACK', `object size ${size} is not a non-negative safe integer`);
  }
  const bytes: number[] = [];
  let c = (type << 4) | (size % 16);
  let rest = Math.floor(size / 16);
  while (rest !== 0) {
    bytes.push(c | 0x80);
    c = rest % 128;
    rest = Math.floor(rest / 128);
  }
  bytes.push(c);
  return Uint8Array.from(bytes);
}

/**
 * Writes a PACK stream piece by piece, hashing everything for the trailer. The caller
 * compresses object contents itself (any zlib: pako, node:zlib) and passes the compressed
 * bytes to `data`; this keeps a 1 GiB file streaming with constant memory.
 */
export class PackWriter {
  readonly #count: number;
  readonly #hash: IncrementalHash;
  #objects = 0;
  #offset = 0;
  #started = false;
  #finished = false;

  constructor(count: number, options: { readonly sha1?: HashFactory } = {}) {
    if (!Number.isInteger(count) || count < 0 || count > 0xffffffff) {
      throw new BobError('BAD_PACK', `a PACK holds 0 to 2^32-1 objects, not ${count}`);
    }
    this.#count = count;
    this.#hash = (options.sha1 ?? nobleSha1)();
  }

  /** Bytes produced so far. */
  get offset(): number {
    return this.#offset;
  }

  #emit(bytes: Uint8Array): Uint8Array {
    this.#hash.update(bytes);
    this.#offset += bytes.length;
    return bytes;
  }

  /** `PACK`, version 2, object count. */
  header(): Uint8Array {
    if (this.#started) throw new BobError('BAD_PACK', 'the PACK header was already written');
    this.#started = true;
    const out = new Uint8Array(PACK_HEADER_LENGTH);
    out.set(PACK_SIGNATURE, 0);
    const view = new DataView(out.buffer);
    view.setUint32(4, 2);
    view.setUint32(8, this.#count);
    return this.#emit(out);
  }

  /** Starts the next object; follow with its zlib stream through `data`. */
  object(type: BaseType, size: number): Uint8Array {
    if (!this.#started || this.#finished) throw new BobError('BAD_PACK', 'object outside the PACK');
    if (this.#objects >= this.#count) {
      throw new BobError('BAD_PACK', `the PACK announced ${this.#count} objects`);
    }
    this.#objects++;
    return this.#emit(encodeObjectHeader(type, size));
  }

  /**
   * Starts an OFS_DELTA object (type 6) against the object that starts at `baseOffset`; follow
   * with the zlib stream of the delta data. bob's peers send base objects only (spec §12); this
   * exists for completeness and tests.
   */
  ofsDelta(baseOffset: number, size: number): Uint8Array {
    if (!this.#started || this.#finished) throw new BobError('BAD_PACK', 'object outside the PACK');
    if (this.#objects >= this.#count) {
      throw new BobError('BAD_PACK', `the PACK announced ${this.#count} objects`);
    }
    if (
      !Number.isSafeInteger(baseOffset) ||
      baseOffset < PACK_HEADER_LENGTH ||
      baseOffset >= this.#offset
    ) {
      throw new BobError('BAD_PACK', 'an OFS_DELTA base must be an earlier object');
    }
    this.#objects++;
    let distance = this.#offset - baseOffset;
    const ofs = [distance & 0x7f];
    distance = Math.floor(distance / 128);
    while (distance > 0) {
      distance -= 1;
      ofs.unshift(0x80 | (distance & 0x7f));
      distance = Math.floor(distance / 128);
    }
    const header = encodeObjectHeader(ObjectType.OfsDelta, size);
    const out = new Uint8Array(header.length + ofs.length);
    out.set(header, 0);
    out.set(ofs, header.length);
    return this.#emit(out);
  }

  /** Compressed bytes of the current object. */
  data(compressed: Uint8Array): Uint8Array {
    return this.#emit(compressed);
  }

  /** The SHA-1 of everything written: the end of the PACK. */
  trailer(): Uint8Array {
    if (this.#objects !== this.#count) {
      throw new BobError(
        'BAD_PACK',
        `wrote ${this.#objects} of the ${this.#count} objects announced`,
      );
    }
    this.#finished = true;
    const digest = this.#hash.digest();
    this.#offset += digest.length;
    return digest;
  }
}

export interface PackOptions {
  /** zlib level: 4 (bob's default) or 0 (`--no-compression`). */
  readonly level?: number;
  readonly sha1?: HashFactory;
}

/**
 * A single-file PACK in memory (spec §8.1): a tag object holding the name, then the blob.
 * For large files stream with `PackWriter` instead.
 */
export function packSingleFile(
  name: string,
  content: Uint8Array,
  options: PackOptions = {},
): Uint8Array {
  const level = options.level ?? BOB_ZLIB_LEVEL;
  const writer = new PackWriter(2, options);
  const nameBytes = utf8Encode(name);
  const parts = [
    writer.header(),
    writer.object(ObjectType.Tag, nameBytes.length),
    writer.data(zlibDeflate(nameBytes, level)),
    writer.object(ObjectType.Blob, content.length),
    writer.data(zlibDeflate(content, level)),
  ];
  parts.push(writer.trailer());
  return concatBytes(...parts);
}

/** A file of a folder to send: its blob id and size, plus whatever locates its bytes. */
export interface FolderFile<S> {
  readonly kind: 'file';
  readonly id: Uint8Array;
  readonly size: number;
  readonly source: S;
}

/** A directory of a folder to send. */
export interface FolderDir<S> {
  readonly kind: 'dir';
  readonly entries: ReadonlyMap<string, FolderFile<S> | FolderDir<S>>;
}

/** One object of a folder PACK, in the order to send it. */
export type PlannedObject<S> =
  | {
      readonly id: Uint8Array;
      readonly type: 1 | 2;
      readonly size: number;
      readonly content: Uint8Array;
    }
  | {
      readonly id: Uint8Array;
      readonly type: 3;
      readonly size: number;
      readonly file: FolderFile<S>;
    };

/**
 * Plans a folder PACK (spec §8.2): trees for directories, blobs for files (ids already
 * computed by the caller), the type-1 root, each object once (equal contents share an id), sorted
 * by id as bob does. Base objects only: no deltas.
 */
export function planFolderPack<S>(
  rootName: string,
  root: FolderDir<S>,
  options: { readonly sha1?: HashFactory } = {},
): {
  readonly objects: PlannedObject<S>[];
  readonly rootId: Uint8Array;
  readonly treeId: Uint8Array;
} {
  const sha1 = options.sha1 ?? nobleSha1;
  const byId = new Map<string, PlannedObject<S>>();
  const visit = (dir: FolderDir<S>): Uint8Array => {
    const entries: TreeEntry[] = [];
    for (const [name, node] of dir.entries) {
      if (node.kind === 'file') {
        if (node.id.length !== ID_LENGTH) throw new BobError('BAD_OBJECT', 'a blob id is 20 bytes');
        byId.set(idHex(node.id), { id: node.id, type: 3, size: node.size, file: node });
        entries.push({ name, kind: 'file', id: node.id });
      } else {
        entries.push({ name, kind: 'dir', id: visit(node) });
      }
    }
    const content = encodeTree(entries);
    const id = objectId(ObjectType.Tree, content, sha1);
    byId.set(idHex(id), { id, type: 2, size: content.length, content });
    return id;
  };
  const treeId = visit(root);
  const rootContent = encodeRoot({ name: rootName, tree: treeId, count: byId.size + 1 });
  const rootId = objectId(ObjectType.Commit, rootContent, sha1);
  byId.set(idHex(rootId), { id: rootId, type: 1, size: rootContent.length, content: rootContent });
  const objects = [...byId.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, o]) => o);
  return { objects, rootId, treeId };
}

/** An in-memory folder: names to file contents or sub-folders. */
export interface MemoryFolder {
  readonly [name: string]: Uint8Array | MemoryFolder;
}

/** A folder PACK in memory (tests, small payloads, browsers). */
export function packFolder(
  rootName: string,
  folder: MemoryFolder,
  options: PackOptions = {},
): Uint8Array {
  const sha1 = options.sha1 ?? nobleSha1;
  const level = options.level ?? BOB_ZLIB_LEVEL;
  const toDir = (f: MemoryFolder): FolderDir<Uint8Array> => {
    const entries = new Map<string, FolderFile<Uint8Array> | FolderDir<Uint8Array>>();
    for (const [name, value] of Object.entries(f)) {
      entries.set(
        name,
        value instanceof Uint8Array
          ? {
              kind: 'file',
              id: objectId(ObjectType.Blob, value, sha1),
              size: value.length,
              source: value,
            }
          : toDir(value),
      );
    }
    return { kind: 'dir', entries };
  };
  const { objects } = planFolderPack(rootName, toDir(folder), { sha1 });
  const writer = new PackWriter(objects.length, { sha1 });
  const parts = [writer.header()];
  for (const o of objects) {
    const content = o.type === 3 ? o.file.source : o.content;
    parts.push(writer.object(o.type, o.size), writer.data(zlibDeflate(content, level)));
  }
  parts.push(writer.trailer());
  return concatBytes(...parts);
}
