/**
 * Received attachments on disk: with `--files <dir>`, each one is written there under a safe
 * version of the name its sender gave (the message text), never over an existing file.
 */
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { Attachment } from '@peerwire/ptpchat';
import { safeFileName } from './views.js';

/** Writes `attachment` into `dir` as `name` (or `name-1`, `name-2`, ... when taken); returns the path. */
export async function saveAttachment(
  dir: string,
  name: string,
  attachment: Attachment,
): Promise<string> {
  const safe = safeFileName(name);
  const dot = safe.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [safe.slice(0, dot), safe.slice(dot)] : [safe, ''];
  for (let i = 0; i < 1000; i++) {
    const path = join(dir, i === 0 ? safe : `${stem}-${i}${ext}`);
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(path, 'wx', 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw error;
    }
    try {
      await handle.writeFile(attachment.data);
    } finally {
      await handle.close();
    }
    return path;
  }
  throw new Error(`${dir} already holds 1000 files named like ${safe}`);
}
