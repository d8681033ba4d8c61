import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { BobError } from '../errors.js';
import { WRITE_WINDOW } from './connection.js';

/** A fresh temporary name for what a receiver writes before it is checked (`.bob-partial-…`). */
export function partialName(): string {
  return `.bob-partial-${randomBytes(6).toString('hex')}`;
}

export async function exists(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => undefined)) !== undefined;
}

/** Throws `UNSAFE_PATH` when `path` is a symbolic link (never written through). */
export async function refuseSymlink(path: string): Promise<void> {
  if ((await lstat(path)).isSymbolicLink()) {
    throw new BobError('UNSAFE_PATH', `${path} is a symbolic link: refusing to write through it`);
  }
}

/** Creates `path`, failing if anything exists there (`wx`). */
export function openExclusive(path: string): Promise<WriteStream> {
  return new Promise((resolvePromise, reject) => {
    const ws = createWriteStream(path, { flags: 'wx', highWaterMark: WRITE_WINDOW });
    ws.once('open', () => resolvePromise(ws));
    ws.once('error', reject);
  });
}

/** Writes, waiting for `drain` when the stream's buffer is full. */
export function writeTo(ws: WriteStream, bytes: Uint8Array): Promise<void> {
  if (ws.write(bytes)) return Promise.resolve();
  return new Promise((resolvePromise, reject) => {
    const onDrain = () => {
      ws.off('error', onError);
      resolvePromise();
    };
    const onError = (e: Error) => {
      ws.off('drain', onDrain);
      reject(e);
    };
    ws.once('drain', onDrain);
    ws.once('error', onError);
  });
}

export function closeStream(ws: WriteStream): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    ws.once('error', reject);
    ws.end(() => resolvePromise());
  });
}
