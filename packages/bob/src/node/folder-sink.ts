import type { WriteStream } from 'node:fs';
import { copyFile, lstat, mkdir, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { applyDelta } from '../delta.js';
import { BobError } from '../errors.js';
import {
  DEFAULT_MAX_FOLDER_DEPTH,
  DEFAULT_MAX_FOLDER_ENTRIES,
  type FolderPlan,
  planFolder,
  type ReceivedObject,
} from '../folder-plan.js';
import { type BaseType, decodeRoot, idHex, ObjectType, objectId } from '../git-object.js';
import { DEFAULT_MAX_DELTA_SIZE } from '../pack-reader.js';
import type { PayloadEvent } from '../payload-reader.js';
import type { HashFactory } from '../primitives.js';
import { safeBasename } from '../safe-path.js';
import {
  closeStream,
  exists,
  openExclusive,
  partialName,
  refuseSymlink,
  writeTo,
} from './disk-writes.js';
import type { PayloadSink, Saved, SinkOptions } from './payload-sink.js';

/** Default cap on the trees and roots of a received folder, held in memory (64 MiB). */
export const DEFAULT_MAX_TREE_BYTES = 64 * 1024 * 1024;
/** Default cap on a delta base loaded in memory to apply a delta (64 MiB). */
export const DEFAULT_MAX_DELTA_BASE = 64 * 1024 * 1024;

/** The events of a folder payload. */
export type FolderEvent = Extract<
  PayloadEvent,
  { type: 'folder' | 'object' | 'delta' | 'data' | 'object-end' }
>;

interface StoredObject {
  type: BaseType;
  size: number;
  id?: Uint8Array;
  /** Blobs (and delta data) live in files; roots, trees and tags in memory. */
  file?: string;
  parts?: Uint8Array[];
  content?: Uint8Array;
  baseOffset?: number;
  delta?: boolean;
}

/**
 * A folder: every blob (and delta) goes to its own file in a temporary directory in `outDir`,
 * roots and trees stay in memory (bounded by `maxTreeBytes`); `commit` resolves the deltas,
 * plans the tree (`planFolder`: safe names, limits) and moves the files into place.
 */
export class FolderSink implements PayloadSink<FolderEvent> {
  readonly kind = 'folder';
  readonly #outDir: string;
  readonly #options: SinkOptions;
  readonly #sha1: HashFactory;
  readonly #objects = new Map<number, StoredObject>();
  #current: StoredObject | undefined;
  #stream: WriteStream | undefined;
  #treeBytes = 0;
  #tmpDir: string | undefined;

  constructor(outDir: string, options: SinkOptions, sha1: HashFactory) {
    this.#outDir = outDir;
    this.#options = options;
    this.#sha1 = sha1;
  }

  async handle(e: FolderEvent): Promise<void> {
    switch (e.type) {
      case 'folder':
        this.#tmpDir = join(this.#outDir, partialName());
        await mkdir(this.#tmpDir);
        this.#options.onEvent?.({ type: 'folder', objects: e.count });
        return;
      case 'object':
      case 'delta': {
        const stored: StoredObject =
          e.type === 'delta'
            ? { type: ObjectType.Blob, size: e.size, baseOffset: e.baseOffset, delta: true }
            : { type: e.objectType, size: e.size };
        if (e.type === 'delta' || e.objectType === ObjectType.Blob) {
          stored.file = join(this.#tmpDir!, String(e.offset));
          this.#stream = await openExclusive(stored.file);
        } else {
          this.#treeBytes += e.size;
          const max = this.#options.limits?.maxTreeBytes ?? DEFAULT_MAX_TREE_BYTES;
          if (this.#treeBytes > max) {
            throw new BobError('LIMIT_EXCEEDED', `the folder's trees exceed ${max} bytes`);
          }
          stored.parts = [];
        }
        this.#objects.set(e.offset, stored);
        this.#current = stored;
        return;
      }
      case 'data':
        if (this.#current?.parts) this.#current.parts.push(e.bytes);
        else await writeTo(this.#stream!, e.bytes);
        return;
      case 'object-end': {
        const o = this.#current!;
        if (o.parts) o.content = concat(o.parts, o.size);
        o.parts = undefined;
        if (e.id) o.id = e.id;
        if (o.type === ObjectType.Commit && o.content) await this.#checkFolderName(o.content);
        if (o.file) {
          await closeStream(this.#stream!);
          this.#stream = undefined;
        }
        return;
      }
    }
  }

  /**
   * Refuses an existing destination as soon as the root names it, rather than after the whole
   * folder has arrived. (A malformed root is reported by `planFolder` at the end.)
   */
  async #checkFolderName(rootContent: Uint8Array): Promise<void> {
    if (this.#options.force) return;
    let name: string;
    try {
      name = safeBasename(decodeRoot(rootContent).name);
    } catch {
      return;
    }
    const dest = join(this.#outDir, name);
    if (await exists(dest)) {
      throw new BobError('FILE_EXISTS', `${dest} already exists (use force to merge into it)`);
    }
  }

  async commit(): Promise<Saved> {
    const maxBase = this.#options.limits?.maxDeltaBase ?? DEFAULT_MAX_DELTA_BASE;
    const maxDelta = this.#options.limits?.maxDeltaSize ?? DEFAULT_MAX_DELTA_SIZE;
    // Resolve deltas in stream order: a base always comes before its deltas.
    for (const o of this.#objects.values()) {
      if (!o.delta) continue;
      const base = this.#objects.get(o.baseOffset!)!;
      if (base.size > maxBase) {
        throw new BobError(
          'LIMIT_EXCEEDED',
          `a delta base of ${base.size} bytes is above the limit of ${maxBase}`,
        );
      }
      const baseContent = base.content ?? new Uint8Array(await readFile(base.file!));
      const deltaData = new Uint8Array(await readFile(o.file!));
      if (deltaData.length > maxDelta) throw new BobError('LIMIT_EXCEEDED', 'delta too large');
      const out = applyDelta(baseContent, deltaData, maxBase);
      o.type = base.type;
      o.size = out.length;
      o.delta = false;
      o.id = objectId(o.type, out, this.#sha1);
      if (o.type === ObjectType.Blob) {
        await writeFile(o.file!, out);
      } else {
        await unlink(o.file!);
        o.file = undefined;
        o.content = out;
      }
    }
    const objects = new Map<string, ReceivedObject>();
    const blobFiles = new Map<string, string>();
    for (const o of this.#objects.values()) {
      const id = idHex(o.id!);
      objects.set(
        id,
        o.type === ObjectType.Blob ? { type: o.type } : { type: o.type, content: o.content! },
      );
      if (o.type === ObjectType.Blob && !blobFiles.has(id)) blobFiles.set(id, o.file!);
    }
    const plan = planFolder(objects, {
      maxEntries: this.#options.limits?.maxEntries ?? DEFAULT_MAX_FOLDER_ENTRIES,
      maxDepth: this.#options.limits?.maxDepth ?? DEFAULT_MAX_FOLDER_DEPTH,
    });
    const dest = join(this.#outDir, plan.name);
    const destExists = await exists(dest);
    if (destExists && !this.#options.force) {
      throw new BobError('FILE_EXISTS', `${dest} already exists (use force to merge into it)`);
    }
    // Assemble inside the temporary directory, then move into place.
    const staging = destExists ? dest : join(this.#tmpDir!, 'tree');
    if (!destExists) await mkdir(staging);
    else await refuseSymlink(dest);
    const bytes = await this.#place(plan, staging, blobFiles);
    if (!destExists) await rename(staging, dest);
    await rm(this.#tmpDir!, { recursive: true, force: true });
    this.#tmpDir = undefined;
    return { kind: 'folder', name: plan.name, path: dest, bytes, files: plan.files.length };
  }

  async #place(plan: FolderPlan, root: string, blobFiles: Map<string, string>): Promise<number> {
    const inside = (rel: string) => {
      const p = resolve(root, ...rel.split('/'));
      if (!p.startsWith(root + sep))
        throw new BobError('UNSAFE_PATH', `${rel} would escape the folder`);
      return p;
    };
    for (const d of plan.directories) {
      const p = inside(d);
      if (await exists(p)) await refuseSymlink(p);
      else await mkdir(p);
    }
    const uses = new Map<string, number>();
    for (const f of plan.files) uses.set(f.id, (uses.get(f.id) ?? 0) + 1);
    let bytes = 0;
    for (const f of plan.files) {
      const target = inside(f.path);
      if (await exists(target)) await refuseSymlink(target);
      const source = blobFiles.get(f.id)!;
      const left = uses.get(f.id)! - 1;
      uses.set(f.id, left);
      if (left === 0) await rename(source, target);
      else await copyFile(source, target);
      bytes += (await lstat(target)).size;
    }
    return bytes;
  }

  async abort(): Promise<void> {
    this.#stream?.destroy();
    this.#stream = undefined;
    if (this.#tmpDir) await rm(this.#tmpDir, { recursive: true, force: true });
  }
}

function concat(parts: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
