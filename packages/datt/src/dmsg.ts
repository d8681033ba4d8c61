import { type Framer, HeaderFramer } from '@peerwire/wire';
import { DattError } from './errors.js';
import { type HashFunction, sha256d as portableSha256d } from './hash.js';

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

/** Options of the DMsg codecs: the limits, and the SHA-256d that computes checksums. */
export interface DmsgOptions extends DmsgLimits {
  /**
   * SHA-256(SHA-256(data)) for the checksum (default: the portable pure-JS one). In Node, pass
   * `nodeSha256d` from `@peerwire/datt/node` (`node:crypto`), several times faster.
   */
  readonly sha256d?: HashFunction;
}

/** One decoded DMsg. `data` is a view into the received bytes where possible. */
export interface Dmsg {
  readonly cmd: string;
  readonly data: Uint8Array;
}

/** First 4 bytes of SHA-256(SHA-256(data)). */
export function dmsgChecksum(
  data: Uint8Array,
  sha256d: HashFunction = portableSha256d,
): Uint8Array {
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
export function encodeDmsg(cmd: string, data: Uint8Array, options?: DmsgOptions): Uint8Array {
  return encodeDmsgParts(cmd, [data], options);
}

/**
 * A DMsg whose data is the concatenation of `parts`, written straight into the frame (one copy
 * of each part). Used by the message encoders.
 */
export function encodeDmsgParts(
  cmd: string,
  parts: readonly Uint8Array[],
  options?: DmsgOptions,
): Uint8Array {
  const max = maxOf(options);
  let length = 0;
  for (const p of parts) length += p.length;
  if (length > max) {
    throw new DattError(
      'TOO_LARGE',
      `DMsg ${cmd} data of ${length} bytes exceeds the limit of ${max}`,
    );
  }
  const command = encodeCommand(cmd);
  const out = new Uint8Array(DMSG_HEADER_LENGTH + length);
  let at = DMSG_HEADER_LENGTH;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  const view = new DataView(out.buffer);
  view.setUint32(0, DMSG_MAGIC, false);
  out.set(command, 4);
  view.setUint32(16, length, false);
  const sum = (options?.sha256d ?? portableSha256d)(out.subarray(DMSG_HEADER_LENGTH));
  out[20] = sum[0]!;
  out[21] = sum[1]!;
  out[22] = sum[2]!;
  out[23] = sum[3]!;
  return out;
}

interface Header {
  readonly cmd: string;
  readonly length: number;
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
  return { cmd, length };
}

/** Checks the checksum of a whole frame (header at 0, data at 24). */
function checkChecksum(cmd: string, frame: Uint8Array, sha256d: HashFunction): void {
  const sum = sha256d(frame.subarray(DMSG_HEADER_LENGTH));
  if (
    sum[0] !== frame[20] ||
    sum[1] !== frame[21] ||
    sum[2] !== frame[22] ||
    sum[3] !== frame[23]
  ) {
    throw new DattError('BAD_CHECKSUM', `DMsg ${cmd} checksum does not match its data`);
  }
}

/**
 * Decodes exactly one DMsg (a WebSocket message, a frame from `DmsgFramer`, a stored frame).
 * Trailing bytes are `TRAILING_BYTES`; `data` is a view into `bytes`.
 */
export function decodeDmsg(bytes: Uint8Array, options?: DmsgOptions): Dmsg {
  if (bytes.length < DMSG_HEADER_LENGTH) {
    throw new DattError(
      'TRUNCATED',
      `DMsg of ${bytes.length} bytes is shorter than the ${DMSG_HEADER_LENGTH}-byte header`,
    );
  }
  const header = decodeHeader(bytes, maxOf(options));
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
  checkChecksum(header.cmd, bytes, options?.sha256d ?? portableSha256d);
  return { cmd: header.cmd, data: bytes.subarray(DMSG_HEADER_LENGTH, end) };
}

/** DMsg frames (`header ‖ data`) out of a stream, on `@peerwire/wire`'s `HeaderFramer`. */
class DmsgHeaderFramer extends HeaderFramer {
  constructor(readonly max: number) {
    super(DMSG_HEADER_LENGTH, { includeHeader: true });
  }

  protected bodyLength(head: Uint8Array): number {
    return decodeHeader(head, this.max).length;
  }
}

/** The stream splitter shared by `DmsgFramer` and `DmsgDecoder`: a failure is final. */
class Splitter {
  readonly #framer: DmsgHeaderFramer;
  #failed: unknown;

  constructor(max: number) {
    this.#framer = new DmsgHeaderFramer(max);
  }

  get buffered(): number {
    return this.#framer.buffered;
  }

  /** Pushes a chunk and calls `onFrame` for every whole frame it completes. */
  push(chunk: Uint8Array, onFrame: (frame: Uint8Array) => void): void {
    if (this.#failed !== undefined) throw this.#failed;
    try {
      for (const frame of this.#framer.push(chunk)) onFrame(frame);
    } catch (error) {
      this.#failed = error;
      throw error;
    }
  }
}

/**
 * Splits a byte stream (TCP) into whole DMsg frames (`header ‖ data`), for any chunking, without
 * checking checksums: hand each frame to `decodeDmsg` (or `DattEngine` with `message` framing),
 * which checks it, so every byte is hashed once. The header (magic, command, size limit) is
 * validated as soon as its 24 bytes arrive: an oversized `datasize` is `TOO_LARGE` before its
 * data is buffered. Frames are views into the pushed chunks when a frame lies in one chunk.
 * Implements `Framer` from `@peerwire/wire` (it throws `DattError`s). After an error the stream
 * is unusable (it keeps throwing): close the connection.
 */
export class DmsgFramer implements Framer {
  readonly maxDataLength: number;
  readonly #splitter: Splitter;

  constructor(limits?: DmsgLimits) {
    this.maxDataLength = maxOf(limits);
    this.#splitter = new Splitter(this.maxDataLength);
  }

  /** Bytes held for an incomplete frame. */
  get buffered(): number {
    return this.#splitter.buffered;
  }

  push(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    this.#splitter.push(chunk, (frame) => out.push(frame));
    return out;
  }
}

/**
 * Streaming DMsg decoder for byte-stream transports (TCP): push chunks as they arrive, get back
 * the messages they complete, checksums checked. Any chunking gives the same messages. Memory is
 * bounded by one header plus `maxDataLength`: an oversized `datasize` is rejected on the header,
 * before its data is buffered. After an error the stream is unusable (the decoder keeps
 * throwing): close the connection.
 */
export class DmsgDecoder {
  readonly maxDataLength: number;
  readonly #splitter: Splitter;
  readonly #sha256d: HashFunction;

  constructor(options?: DmsgOptions) {
    this.maxDataLength = maxOf(options);
    this.#splitter = new Splitter(this.maxDataLength);
    this.#sha256d = options?.sha256d ?? portableSha256d;
  }

  /** Bytes held for an incomplete message. */
  get buffered(): number {
    return this.#splitter.buffered;
  }

  push(chunk: Uint8Array): Dmsg[] {
    const out: Dmsg[] = [];
    this.#splitter.push(chunk, (frame) => {
      // The header was validated when it arrived; this only reads its command back.
      const { cmd } = decodeHeader(frame.subarray(0, DMSG_HEADER_LENGTH), this.maxDataLength);
      checkChecksum(cmd, frame, this.#sha256d);
      out.push({ cmd, data: frame.subarray(DMSG_HEADER_LENGTH) });
    });
    return out;
  }
}
