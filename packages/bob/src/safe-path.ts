import { BobError } from './errors.js';

/** Longest file name accepted from a peer, in UTF-16 code units (most file systems allow 255 bytes). */
export const MAX_NAME_LENGTH = 255;

function unsafe(name: string, why: string): BobError {
  return new BobError('UNSAFE_PATH', `refusing the received name ${JSON.stringify(name)}: ${why}`);
}

function hasControl(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/**
 * Checks one path component from a folder tree: it must name an entry of its directory and
 * nothing else. Empty names, `.`, `..`, names containing `/`, `\`, NUL or control characters,
 * and over-long names throw `UNSAFE_PATH`: the whole pack is rejected (spec §12).
 */
export function checkEntryName(name: string): void {
  if (name.length === 0) throw unsafe(name, 'empty name');
  if (name === '.' || name === '..') throw unsafe(name, 'it refers to a directory itself');
  if (name.includes('/') || name.includes('\\')) throw unsafe(name, 'it contains a path separator');
  if (hasControl(name)) throw unsafe(name, 'it contains control characters');
  if (name.length > MAX_NAME_LENGTH)
    throw unsafe(name, `longer than ${MAX_NAME_LENGTH} characters`);
}

/**
 * Reduces a received file or folder name to a safe basename (spec §12): the last component
 * after any `/` or `\`, so `../../etc/passwd` becomes `passwd` and `/tmp/x` becomes `x`. When
 * nothing usable is left (`..`, `/`, control characters) it throws `UNSAFE_PATH`.
 */
export function safeBasename(name: string): string {
  const parts = name.split(/[/\\]/).filter((p) => p.length > 0);
  const last = parts.at(-1);
  if (last === undefined) throw unsafe(name, 'no file name in it');
  checkEntryName(last);
  return last;
}
