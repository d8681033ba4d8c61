import { StreamReader } from '@peerwire/wire';
import { DattError } from './errors.js';
import { sha256d } from './hash.js';

/** The DMsg magic, big-endian on the wire (`25 5a 48 4b`). */
export const DMSG_MAGIC = 0x255a484b;
/** magic(4) ‖ cmd(12) ‖ datasize(4) ‖ checksum(4). */
export const DMSG_HEADER_LENGTH = 24;
/** Command names are NUL-padded to this many bytes. */
export const DMSG_COMMAND_LENGTH = 12;
/** Default maximum DMsg data size (spec §1): 30000 bytes. */
export const DEFAULT_MAX_DMSG_DATA_LENGTH = 30_000;

/** Limits for DMsg codecs. */
export interface DmsgLimits {
  /**
   * Largest `datasize` accepted or produced, in bytes (default 30000). A header announcing more
   * is rejected with `TOO_LARGE` before any data byte is buffered.
   */
  readonly maxDataLength?: number;
}

/** One decoded DMsg. `data` is a view into the received bytes where possible. */
export interface Dmsg {
  readonly cmd: string;
  readonly data: Uint8Array;
}

/** First 4 bytes of SHA-256(SHA-256(data)). */
export function dmsgChecksum(data: Uint8Array): Uint8Array {
  return sha256d(data).subarray(0, 4);
}

const commandCache = new Map<string, Uint8Array>();

/** The 12 NUL-padded bytes of a command name; throws `BAD_COMMAND` for anything but 1–12 printable ASCII characters. */
export function encodeCommand(cmd: string): Uint8Array {
  const cached = commandCache.get(cmd);
  if (cached) return cached;
  if (cmd.length === 0 || cmd.length > DMSG_COMMAND_LENGTH) {
    throw new DattError(
      'BAD_COMMAND',
      `command ${JSON.stringify(cmd)} must be 1 to ${DMSG_COMMAND_LENGTH} characters`,
    );
  }
  const out = new Uint8Array(DMSG_COMMAND_LENGTH);
  for (let i = 0; i < cmd.length; i++) {
    const c = cmd.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) {
      throw new DattError(
        'BAD_COMMAND',
        `command ${JSON.stringify(cmd)} has a character that is not printable ASCII at ${i}`,
      );
    }
    out[i] = c;
  }
  if (commandCache.size < 256) commandCache.set(cmd, out);
  return out;
}

/**
 * Reads the NUL-padded command at `offset`: trailing NULs are stripped (as the reference does);
 * a non-NUL byte after a NUL, an empty name or a byte outside printable ASCII is `BAD_COMMAND`.
 */
function decodeCommand(buf: Uint8Array, offset: number): string {
  let end = offset + DMSG_COMMAND_LENGTH;
  while (end > offset && buf[end - 1] === 0) end--;
  if (end === offset) throw new DattError('BAD_COMMAND', 'DMsg command is empty (all NUL)');
  let cmd = '';
  for (let i = offset; i < end; i++) {
    const c = buf[i]!;
    if (c === 0) {
      throw new DattError('BAD_COMMAND', `DMsg command has a byte after a NUL at ${i - offset}`);
    }
    if (c < 0x20 || c > 0x7e) {
      throw new DattError(
        'BAD_COMMAND',
        `DMsg command byte 0x${c.toString(16).padStart(2, '0')} at ${i - offset} is not printable ASCII`,
      );
    }
    cmd += String.fromCharCode(c);
  }
  return cmd;
}

function maxOf(limits: DmsgLimits | undefined): number {
  return limits?.maxDataLength ?? DEFAULT_MAX_DMSG_DATA_LENGTH;
}

/** `magic ‖ cmd ‖ datasize ‖ checksum ‖ data` (spec §1). */
export function encodeDmsg(cmd: string, data: Uint8Array, limits?: DmsgLimits): Uint8Array {
  const max = maxOf(limits);
  if (data.length > max) {
    throw new DattError(
      'TOO_LARGE',
      `DMsg ${cmd} data of ${data.length} bytes exceeds the limit of ${max}`,
    );
  }
  const out = new Uint8Array(DMSG_HEADER_LENGTH + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, DMSG_MAGIC, false);
  out.set(encodeCommand(cmd), 4);
  view.setUint32(16, data.length, false);
  out.set(dmsgChecksum(data), 20);
  out.set(data, DMSG_HEADER_LENGTH);
  return out;
}

interface Header {
  readonly cmd: string;
  readonly length: number;
  readonly checksum: Uint8Array;
}

/** Validates a 24-byte header: magic, command, size limit (before any data is read). */
function decodeHeader(head: Uint8Array, max: number): Header {
  const magic = ((head[0]! << 24) | (head[1]! << 16) | (head[2]! << 8) | head[3]!) >>> 0;
  if (magic !== DMSG_MAGIC) {
    throw new DattError(
      'BAD_MAGIC',
      `DMsg magic is 0x${magic.toString(16).padStart(8, '0')}, expected 0x255a484b (not a Datt stream?)`,
    );
  }
  const cmd = decodeCommand(head, 4);
  const length = ((head[16]! << 24) | (head[17]! << 16) | (head[18]! << 8) | head[19]!) >>> 0;
  if (length > max) {
    throw new DattError(
      'TOO_LARGE',
      `DMsg ${cmd} announces ${length} data bytes, the limit is ${max}`,
    );
  }
  return { cmd, length, checksum: head.subarray(20, 24) };
}

function checkChecksum(header: Header, data: Uint8Array): void {
  const sum = sha256d(data);
  const c = header.checksum;
  if (sum[0] !== c[0] || sum[1] !== c[1] || sum[2] !== c[2] || sum[3] !== c[3]) {
    throw new DattError('BAD_CHECKSUM', `DMsg ${header.cmd} checksum does not match its data`);
  }
}

/**
 * Decodes exactly one DMsg (a WebSocket message, a stored frame). Trailing bytes are
 * `TRAILING_BYTES`; `data` is a view into `bytes`.
 */
export function decodeDmsg(bytes: Uint8Array, limits?: DmsgLimits): Dmsg {
  if (bytes.length < DMSG_HEADER_LENGTH) {
    throw new DattError(
      'TRUNCATED',
      `DMsg of ${bytes.length} bytes is shorter than the ${DMSG_HEADER_LENGTH}-byte header`,
    );
  }
  const header = decodeHeader(bytes, maxOf(limits));
  const end = DMSG_HEADER_LENGTH + header.length;
  if (bytes.length < end) {
    throw new DattError(
      'TRUNCATED',
      `DMsg ${header.cmd} announces ${header.length} data bytes, only ${bytes.length - DMSG_HEADER_LENGTH} present`,
    );
  }
  if (bytes.length > end) {
    throw new DattError(
      'TRAILING_BYTES',
      `DMsg ${header.cmd} is followed by ${bytes.length - end} unexpected bytes`,
    );
  }
  const data = bytes.subarray(DMSG_HEADER_LENGTH, end);
  checkChecksum(header, data);
  return { cmd: header.cmd, data };
}

/**
 * Streaming DMsg decoder for byte-stream transports (TCP): push chunks as they arrive, get back
 * the messages they complete. Any chunking gives the same messages. Memory is bounded by one
 * header plus `maxDataLength`: an oversized `datasize` is rejected on the header, before its
 * data is buffered. After an error the stream is unusable (the decoder keeps throwing): close
 * the connection.
 */
export class DmsgDecoder {
  readonly maxDataLength: number;
  readonly #reader = new StreamReader(Number.POSITIVE_INFINITY);
  #header: Header | undefined;
  #failed: DattError | undefined;

  constructor(limits?: DmsgLimits) {
    this.maxDataLength = maxOf(limits);
  }

  /** Bytes held for an incomplete message. */
  get buffered(): number {
    return this.#reader.buffered;
  }

  push(chunk: Uint8Array): Dmsg[] {
    if (this.#failed) throw this.#failed;
    this.#reader.push(chunk);
    const out: Dmsg[] = [];
    try {
      for (;;) {
        if (!this.#header) {
          const head = this.#reader.take(DMSG_HEADER_LENGTH);
          if (!head) break;
          this.#header = decodeHeader(head, this.maxDataLength);
        }
        const data = this.#reader.take(this.#header.length);
        if (!data) break;
        checkChecksum(this.#header, data);
        out.push({ cmd: this.#header.cmd, data });
        this.#header = undefined;
      }
    } catch (error) {
      this.#failed = error as DattError;
      throw error;
    }
    return out;
  }
}
