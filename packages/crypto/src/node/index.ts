/**
 * Node-only helpers: keep a keychain in a file with permissions 0600, written atomically.
 * (`@peerwire/crypto/node`; the root entry point stays browser-safe.)
 */
import { randomBytes } from 'node:crypto';
import { chmod, open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Keychain, type KeychainLoadOptions, type KeychainSaveOptions } from '../keychain.js';

/** Permissions of a keychain file: owner read/write only. */
export const KEYCHAIN_FILE_MODE = 0o600;

/**
 * Writes `keychain` to `path` (encrypted when `passphrase` is given): to a temporary file in
 * the same directory created with mode 0600, flushed, then renamed over `path`, so a crash never
 * leaves a half-written keychain.
 */
export async function saveKeychain(
  path: string,
  keychain: Keychain,
  opts?: KeychainSaveOptions,
): Promise<void> {
  const bytes = await keychain.toBytes(opts);
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(tmp, 'wx', KEYCHAIN_FILE_MODE);
  try {
    await handle.writeFile(bytes);
    await handle.chmod(KEYCHAIN_FILE_MODE); // in case the umask or the platform changed it
    await handle.sync();
  } catch (error) {
    await handle.close();
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
  await handle.close();
  try {
    await rename(tmp, path);
    await chmod(path, KEYCHAIN_FILE_MODE);
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
  try {
    const dir = await open(dirname(path), 'r');
    await dir.sync().finally(() => dir.close());
  } catch {
    // Directory fsync is not available everywhere (e.g. Windows); the rename itself is done.
  }
}

/**
 * Reads a keychain file. Throws `CryptoError` `BAD_PASSPHRASE` or `CORRUPT_KEYCHAIN` for a bad
 * passphrase or file, and the file system's error (e.g. `ENOENT`) when it cannot be read.
 */
export async function loadKeychain(path: string, opts?: KeychainLoadOptions): Promise<Keychain> {
  return Keychain.fromBytes(new Uint8Array(await readFile(path)), opts);
}
