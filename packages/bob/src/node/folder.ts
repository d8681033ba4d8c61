import { createReadStream } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BobError } from '../errors.js';
import { ObjectType, objectHeader } from '../git-object.js';
import type { FolderDir, FolderFile } from '../pack-writer.js';
import type { HashFactory } from '../primitives.js';
import { checkEntryName } from '../safe-path.js';

/** A file of a folder to send, located on disk. */
export type DiskFile = FolderFile<string>;

/** An entry left out of a sent folder, reported to the user (dotfiles are not listed). */
export interface SkippedEntry {
  /** Path relative to the folder sent, `/`-separated. */
  readonly path: string;
  readonly reason: 'symlink' | 'special';
}

export interface ScannedFolder {
  readonly root: FolderDir<string>;
  readonly files: number;
  readonly bytes: number;
  /** Symbolic links and special files that were not sent. */
  readonly skipped: readonly SkippedEntry[];
}

/**
 * Walks a folder the way bob does (spec §8.2): regular files and directories, dotfiles and
 * dot-directories skipped; symbolic links and special files are skipped too (bob follows links,
 * which could send files from outside the folder); those are listed in `skipped`. Each file is
 * read once to compute its blob id.
 */
export async function scanFolder(
  path: string,
  sha1: HashFactory,
  signal?: AbortSignal,
): Promise<ScannedFolder> {
  let files = 0;
  let bytes = 0;
  const skipped: SkippedEntry[] = [];
  const walk = async (dir: string, rel: string): Promise<FolderDir<string>> => {
    const entries = new Map<string, FolderFile<string> | FolderDir<string>>();
    const names = (await readdir(dir)).sort();
    for (const name of names) {
      if (signal?.aborted) throw new BobError('ABORTED', 'the transfer was cancelled');
      if (name.startsWith('.')) continue;
      const full = join(dir, name);
      const info = await lstat(full);
      if (info.isDirectory()) {
        checkEntryName(name);
        entries.set(name, await walk(full, `${rel}${name}/`));
      } else if (info.isFile()) {
        checkEntryName(name);
        const id = await hashBlob(full, info.size, sha1);
        entries.set(name, { kind: 'file', id, size: info.size, source: full });
        files++;
        bytes += info.size;
      } else {
        skipped.push({
          path: `${rel}${name}`,
          reason: info.isSymbolicLink() ? 'symlink' : 'special',
        });
      }
    }
    return { kind: 'dir', entries };
  };
  const root = await walk(path, '');
  return { root, files, bytes, skipped };
}

/** The git blob id of a file, streamed. */
export async function hashBlob(path: string, size: number, sha1: HashFactory): Promise<Uint8Array> {
  const h = sha1();
  h.update(objectHeader(ObjectType.Blob, size));
  let read = 0;
  if (size > 0) {
    for await (const chunk of createReadStream(path, {
      start: 0,
      end: size - 1,
      highWaterMark: 1 << 18,
    })) {
      h.update(chunk as Buffer);
      read += (chunk as Buffer).length;
    }
  }
  if (read !== size)
    throw new BobError('FILE_CHANGED', `${path} changed size while it was being read`);
  return h.digest();
}
