import { BobError } from './errors.js';
import { type BaseType, decodeRoot, decodeTree, idHex, ObjectType } from './git-object.js';
import { safeBasename } from './safe-path.js';

/** Default cap on the files and directories a received folder may create. */
export const DEFAULT_MAX_FOLDER_ENTRIES = 1_000_000;
/** Default cap on directory nesting in a received folder. */
export const DEFAULT_MAX_FOLDER_DEPTH = 64;

/** What the assembler knows about one received object (after deltas are resolved). */
export interface ReceivedObject {
  readonly type: BaseType;
  /** Contents of roots and trees (blobs stay wherever the caller stored them). */
  readonly content?: Uint8Array;
}

/** Where everything of a received folder goes, relative to the output directory. */
export interface FolderPlan {
  /** The folder's name, reduced to a safe basename. */
  readonly name: string;
  /** The name as sent. */
  readonly rawName: string;
  /** Directories to create, parents first, as `/`-joined paths under `name`. */
  readonly directories: string[];
  /** Files to write: `/`-joined path under `name`, and the hex id of their blob. */
  readonly files: { readonly path: string; readonly id: string }[];
}

export interface FolderPlanLimits {
  readonly maxEntries?: number;
  readonly maxDepth?: number;
}

/**
 * Rebuilds a received folder from its objects (spec §8.4): finds the single type-1 root, walks
 * the trees from it, and checks every reference (kind and presence) and every name (no `..`, no
 * separators: `UNSAFE_PATH`). Nothing is touched on disk: the caller writes the plan only if
 * this returns.
 */
export function planFolder(
  objects: ReadonlyMap<string, ReceivedObject>,
  limits: FolderPlanLimits = {},
): FolderPlan {
  const maxEntries = limits.maxEntries ?? DEFAULT_MAX_FOLDER_ENTRIES;
  const maxDepth = limits.maxDepth ?? DEFAULT_MAX_FOLDER_DEPTH;
  const roots = [...objects.values()].filter((o) => o.type === ObjectType.Commit);
  if (roots.length !== 1) {
    throw new BobError(
      'BAD_OBJECT',
      roots.length === 0
        ? 'the folder PACK has no root object'
        : 'the folder PACK has several root objects',
    );
  }
  const root = decodeRoot(roots[0]!.content ?? new Uint8Array(0));
  const name = safeBasename(root.name);
  const directories: string[] = [];
  const files: { path: string; id: string }[] = [];
  let entries = 0;
  const walk = (treeId: string, prefix: string, depth: number): void => {
    if (depth > maxDepth) {
      throw new BobError('LIMIT_EXCEEDED', `the folder nests deeper than ${maxDepth} levels`);
    }
    const tree = objects.get(treeId);
    if (!tree) throw new BobError('OBJECT_MISSING', `tree ${treeId} is not in the PACK`);
    if (tree.type !== ObjectType.Tree || !tree.content) {
      throw new BobError(
        'BAD_OBJECT',
        `object ${treeId} is referenced as a directory but is not a tree`,
      );
    }
    for (const entry of decodeTree(tree.content)) {
      if (++entries > maxEntries) {
        throw new BobError('LIMIT_EXCEEDED', `the folder holds more than ${maxEntries} entries`);
      }
      const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      const id = idHex(entry.id);
      if (entry.kind === 'dir') {
        directories.push(path);
        walk(id, path, depth + 1);
      } else {
        const blob = objects.get(id);
        if (!blob) throw new BobError('OBJECT_MISSING', `blob ${id} (${path}) is not in the PACK`);
        if (blob.type !== ObjectType.Blob) {
          throw new BobError(
            'BAD_OBJECT',
            `object ${id} (${path}) is referenced as a file but is not a blob`,
          );
        }
        files.push({ path, id });
      }
    }
  };
  walk(idHex(root.tree), '', 0);
  return { name, rawName: root.name, directories, files };
}
