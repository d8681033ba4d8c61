import { DecodeError, EncodeError } from './errors.js';
import { StreamReader } from './stream-reader.js';

/** A stream framer: feed it received chunks, get back the complete frames they finish. */
export interface Framer {
  push(chunk: Uint8Array): Uint8Array[];
  /** Bytes held for an incomplete frame. */
  readonly buffered: number;
}

export interface HeaderFramerOptions {
  /** Hand out `header ‖ body` instead of the body alone (default false). */
  readonly includeHeader?: boolean;
}

/**
 * A framer for frames that start with a fixed-size header carrying the body length: subclasses
 * only read the header (`bodyLength`, which throws its package's error for a bad or oversized
 * header, before any body byte is buffered). Memory holds at most one partial frame plus the
 * chunk being pushed. Frames are views into the pushed chunks when a frame lies in one chunk.
 * Shared by the u32 length-prefix and TLS-record framers here and by datt's DMsg framer.
 */
export abstract class HeaderFramer implements Framer {
  readonly #reader = new StreamReader(Number.POSITIVE_INFINITY);
  readonly #includeHeader: boolean;
  #head: Uint8Array | undefined;
  #pending = -1;

  constructor(
    readonly headerLength: number,
    options?: HeaderFramerOptions,
  ) {
    this.#includeHeader = options?.includeHeader ?? false;
  }

  /** The body length a header announces; throws for a bad or oversized header. */
  protected abstract bodyLength(header: Uint8Array): number;

  get buffered(): number {
    return this.#reader.buffered + (this.#head?.length ?? 0);
  }

  push(chunk: Uint8Array): Uint8Array[] {
    this.#reader.push(chunk);
    const frames: Uint8Array[] = [];
    for (;;) {
      if (this.#pending < 0) {
        const head = this.#reader.take(this.headerLength);
        if (!head) break;
        this.#pending = this.bodyLength(head);
        if (this.#includeHeader) this.#head = head;
      }
      const body = this.#reader.take(this.#pending);
      if (!body) break;
      this.#pending = -1;
      if (this.#head === undefined) {
        frames.push(body);
      } else {
        frames.push(joinFrame(this.#head, body));
        this.#head = undefined;
      }
    }
    return frames;
  }
}

/** `head ‖ body` as one array: a view when they are adjacent in memory (the usual case), else a copy. */
function joinFrame(head: Uint8Array, body: Uint8Array): Uint8Array {
  if (head.buffer === body.buffer && head.byteOffset + head.length === body.byteOffset) {
    return new Uint8Array(head.buffer, head.byteOffset, head.length + body.length);
  }
  const frame = new Uint8Array(head.length + body.length);
  frame.set(head, 0);
  frame.set(body, head.length);
  return frame;
}

/** Default frame limit of the u32 length-prefix framer (1 MiB). */
export const DEFAULT_MAX_FRAME_LENGTH = 1 << 20;

/**
 * Frames prefixed with a big-endian u32 length (ptpchat over TCP). A length above
 * `maxFrameLength` throws `BODY_TOO_LARGE` as soon as the 4-byte prefix arrives, before any
 * body byte is buffered.
 */
export class LengthPrefixFramer extends HeaderFramer {
  readonly maxFrameLength: number;

  constructor(maxFrameLength = DEFAULT_MAX_FRAME_LENGTH) {
    super(4);
    this.maxFrameLength = maxFrameLength;
  }

  protected bodyLength(head: Uint8Array): number {
    const length = ((head[0]! << 24) | (head[1]! << 16) | (head[2]! << 8) | head[3]!) >>> 0;
    if (length > this.maxFrameLength) {
      throw new DecodeError(
        'BODY_TOO_LARGE',
        `frame of ${length} bytes exceeds the limit of ${this.maxFrameLength}`,
      );
    }
    return length;
  }
}

/** `u32be(len) ‖ payload`. */
export function encodeLengthPrefixed(
  payload: Uint8Array,
  maxFrameLength = DEFAULT_MAX_FRAME_LENGTH,
): Uint8Array {
  if (payload.length > maxFrameLength) {
    throw new EncodeError(
      'BODY_TOO_LARGE',
      `frame of ${payload.length} bytes exceeds the limit of ${maxFrameLength}`,
    );
  }
  const out = new Uint8Array(4 + payload.length);
  new DataView(out.buffer).setUint32(0, payload.length, false);
  out.set(payload, 4);
  return out;
}

/** The header of a TLS 1.2 application-data record as natbase fakes it. */
export const TLS_RECORD_HEADER = Uint8Array.of(0x17, 0x03, 0x03);
export const MAX_TLS_RECORD_LENGTH = 0xffff;

/**
 * Frames of `17 03 03` + u16 **little-endian** length + payload (natbase's fake TLS records).
 * A different header throws `BAD_VALUE`; a length above `maxFrameLength` throws `BODY_TOO_LARGE`.
 */
export class TlsRecordFramer extends HeaderFramer {
  readonly maxFrameLength: number;

  constructor(maxFrameLength = MAX_TLS_RECORD_LENGTH) {
    super(5);
    this.maxFrameLength = Math.min(maxFrameLength, MAX_TLS_RECORD_LENGTH);
  }

  protected bodyLength(head: Uint8Array): number {
    if (head[0] !== 0x17 || head[1] !== 0x03 || head[2] !== 0x03) {
      throw new DecodeError('BAD_VALUE', 'record does not start with 17 03 03');
    }
    const length = head[3]! | (head[4]! << 8);
    if (length > this.maxFrameLength) {
      throw new DecodeError(
        'BODY_TOO_LARGE',
        `record of ${length} bytes exceeds the limit of ${this.maxFrameLength}`,
      );
    }
    return length;
  }
}

/** `17 03 03 ‖ u16le(len) ‖ payload`. */
export function encodeTlsRecord(payload: Uint8Array): Uint8Array {
  if (payload.length > MAX_TLS_RECORD_LENGTH) {
    throw new EncodeError(
      'BODY_TOO_LARGE',
      `record of ${payload.length} bytes exceeds ${MAX_TLS_RECORD_LENGTH}`,
    );
  }
  const out = new Uint8Array(5 + payload.length);
  out.set(TLS_RECORD_HEADER, 0);
  out[3] = payload.length & 0xff;
  out[4] = payload.length >> 8;
  out.set(payload, 5);
  return out;
}
