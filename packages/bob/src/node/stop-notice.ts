/**
 * Why a receiver stops (a peerwire extension of spec §8.4). bob has no acknowledgement: a sender
 * only sees close markers, so a refusal ("the file exists"), a rejection or the receiver's Ctrl-C
 * looked like success. The receiver → sender direction cannot carry data records (its cipher is
 * ChaCha20-Poly1305, spec §7.2), and bob reads nothing after a close marker. So a peerwire
 * receiver that stops early writes its close marker followed by one plain line,
 * `peerwire-stop:<kind>:<text>\n`, then hangs up. OCaml bob's sender stops reading at the marker
 * and never sees the line. The line is not authenticated: a hostile relay could forge one, which
 * only makes a sender report a failure (a relay can cut any transfer anyway).
 */
import type { Socket } from 'node:net';
import { utf8Decode, utf8Encode } from '@peerwire/wire';
import { BobError } from '../errors.js';
import { CLOSE_RECORD } from '../record-format.js';
import { type ChunkReader, CLOSE_GRACE_MS, drainToEnd, writeAll } from './connection.js';

const PREFIX = 'peerwire-stop:';
/** Longest notice text sent or kept, in characters. */
export const MAX_STOP_NOTICE_TEXT = 200;
/** Most bytes the sender reads from the receiver's direction (markers and a notice fit easily). */
export const MAX_RECEIVER_BYTES = 1024;

export type StopKind = 'stopped' | 'refused';

export interface StopNotice {
  readonly kind: StopKind;
  readonly text: string;
}

/** The close marker and the notice line, as the receiver writes them. */
export function encodeStopNotice(notice: StopNotice): Uint8Array {
  const text = notice.text.slice(0, MAX_STOP_NOTICE_TEXT).replace(/[\r\n]/g, ' ');
  const line = utf8Encode(`${PREFIX}${notice.kind}:${text}\n`);
  const out = new Uint8Array(CLOSE_RECORD.length + line.length);
  out.set(CLOSE_RECORD);
  out.set(line, CLOSE_RECORD.length);
  return out;
}

/** The notice in the bytes after the first close marker, or undefined when there is none. */
export function decodeStopNotice(tail: Uint8Array): StopNotice | undefined {
  let text: string;
  try {
    text = utf8Decode(tail.subarray(0, tail.indexOf(0x0a) < 0 ? tail.length : tail.indexOf(0x0a)));
  } catch {
    return undefined;
  }
  const m = /^peerwire-stop:(stopped|refused):(.*)$/.exec(text);
  if (!m) return undefined;
  return { kind: m[1] as StopKind, text: m[2]!.slice(0, MAX_STOP_NOTICE_TEXT) };
}

/**
 * Receiver side, synchronous (for Ctrl-C): writes the marker and the notice and ends the socket.
 * The relay answers the end by closing both sides.
 */
export function writeStopNotice(socket: Socket, notice: StopNotice): void {
  if (socket.destroyed || !socket.writable) return;
  socket.write(encodeStopNotice(notice));
  socket.end();
}

/** Receiver side, after a failure: the marker and notice, then waits for the relay to close. */
export async function sendStopNotice(
  socket: Socket,
  reader: ChunkReader,
  notice: StopNotice,
  graceMs = 1000,
): Promise<void> {
  try {
    await writeAll(socket, encodeStopNotice(notice));
    socket.end();
    await drainToEnd(reader, graceMs);
  } catch {
    // The connection is already gone: nobody is left to tell.
  }
}

/** What the sender learned from the receiver's direction. */
export type ReceiverOutcome =
  /** A close marker (the receiver's, or the relay's when the receiver went away), no notice. */
  | { readonly type: 'closed' }
  | { readonly type: 'notice'; readonly notice: StopNotice }
  /** End of stream with no marker. */
  | { readonly type: 'ended' }
  /** A connection error, or bytes other than a close marker. */
  | { readonly type: 'broken'; readonly error: unknown };

/**
 * Sender side: reads the receiver's direction until it ends, or `graceMs` after the close marker
 * (the relay closes next), keeping at most MAX_RECEIVER_BYTES.
 */
export async function watchReceiver(
  reader: ChunkReader,
  graceMs = CLOSE_GRACE_MS,
): Promise<ReceiverOutcome> {
  const seen = new Uint8Array(MAX_RECEIVER_BYTES);
  let have = 0;
  let deadline: Promise<null> | undefined;
  let timer: NodeJS.Timeout | undefined;
  const outcome = (): ReceiverOutcome => {
    if (have < CLOSE_RECORD.length) return { type: 'ended' };
    const notice = decodeStopNotice(seen.subarray(CLOSE_RECORD.length, have));
    return notice ? { type: 'notice', notice } : { type: 'closed' };
  };
  try {
    for (;;) {
      const read = reader.read();
      read.catch(() => {}); // a read left pending at the deadline has nobody to tell
      const chunk = deadline ? await Promise.race([read, deadline]) : await read;
      if (chunk === null) return outcome();
      const take = Math.min(chunk.length, seen.length - have);
      seen.set(chunk.subarray(0, take), have);
      have += take;
      const head = Math.min(have, CLOSE_RECORD.length);
      for (let i = 0; i < head; i++) {
        if (seen[i] !== 0xff) {
          throw new BobError(
            'UNEXPECTED_DATA',
            'the receiver sent data records; only the close marker is allowed in that direction',
          );
        }
      }
      if (have === seen.length) {
        await drainToEnd(reader, graceMs);
        return outcome();
      }
      if (have >= CLOSE_RECORD.length && !deadline) {
        deadline = new Promise((r) => {
          timer = setTimeout(() => r(null), graceMs);
          timer.unref();
        });
      }
    }
  } catch (error) {
    return have >= CLOSE_RECORD.length ? outcome() : { type: 'broken', error };
  } finally {
    clearTimeout(timer);
  }
}

/** The sender's error for a receiver that stopped with a notice. */
export function noticeError(notice: StopNotice): BobError {
  return notice.kind === 'refused'
    ? new BobError('REFUSED', `the receiver refused the transfer: ${notice.text}`)
    : new BobError('PEER_STOPPED', 'the receiver stopped the transfer');
}
