import { DecodeError, encodeLengthPrefixed, LengthPrefixFramer } from '@peerwire/wire';
import { PtpchatError } from '../errors.js';
import { DEFAULT_LIMITS } from '../limits.js';

/** The keepalive of spec §1.1: a frame of length 0. */
export const KEEPALIVE_FRAME: Uint8Array = new Uint8Array(4);

/**
 * The TCP framing of spec §1.1 on `@peerwire/wire`'s length-prefix framer: a 4-byte big-endian
 * length, then that many bytes of JSON. Zero-length (keepalive) frames are counted and dropped.
 * A length above `maxFrameLength` (default 99999) throws `FRAME_TOO_LARGE` as soon as its prefix
 * arrives, before any of the body is buffered; the connection should then be closed.
 */
export class PtpchatFramer {
  readonly #framer: LengthPrefixFramer;
  #keepalives = 0;

  constructor(readonly maxFrameLength: number = DEFAULT_LIMITS.maxFrameLength) {
    this.#framer = new LengthPrefixFramer(maxFrameLength);
  }

  /** The JSON payloads of the frames `chunk` completes (keepalives left out). */
  push(chunk: Uint8Array): Uint8Array[] {
    let frames: Uint8Array[];
    try {
      frames = this.#framer.push(chunk);
    } catch (cause) {
      if (cause instanceof DecodeError)
        throw new PtpchatError('FRAME_TOO_LARGE', cause.message, { cause });
      throw cause;
    }
    if (frames.every((f) => f.length > 0)) return frames;
    const out = frames.filter((f) => f.length > 0);
    this.#keepalives += frames.length - out.length;
    return out;
  }

  /** Bytes held for an incomplete frame. */
  get buffered(): number {
    return this.#framer.buffered;
  }

  /** Keepalive frames received so far. */
  get keepalives(): number {
    return this.#keepalives;
  }
}

/** `u32be(length) ‖ json`. Throws `MESSAGE_TOO_LARGE` above `maxFrameLength`. */
export function encodeFrame(
  json: Uint8Array,
  maxFrameLength: number = DEFAULT_LIMITS.maxFrameLength,
): Uint8Array {
  if (json.length > maxFrameLength) {
    throw new PtpchatError(
      'MESSAGE_TOO_LARGE',
      `message of ${json.length} bytes exceeds the frame limit of ${maxFrameLength}`,
    );
  }
  return encodeLengthPrefixed(json, maxFrameLength);
}

const encoder = new TextEncoder();

/**
 * `u32be(length) ‖ UTF-8(text)` in one allocation (most messages are ASCII: then the text is
 * encoded straight into the frame). Throws `MESSAGE_TOO_LARGE` above `maxFrameLength`.
 */
export function encodeTextFrame(
  text: string,
  maxFrameLength: number = DEFAULT_LIMITS.maxFrameLength,
): Uint8Array {
  let out = new Uint8Array(4 + text.length);
  const { read, written } = encoder.encodeInto(text, out.subarray(4));
  let length = written;
  if (read !== text.length) {
    const body = encoder.encode(text);
    length = body.length;
    if (length <= maxFrameLength) {
      out = new Uint8Array(4 + length);
      out.set(body, 4);
    }
  }
  if (length > maxFrameLength) {
    throw new PtpchatError(
      'MESSAGE_TOO_LARGE',
      `message of ${length} bytes exceeds the frame limit of ${maxFrameLength}`,
    );
  }
  out[0] = length >>> 24;
  out[1] = (length >>> 16) & 0xff;
  out[2] = (length >>> 8) & 0xff;
  out[3] = length & 0xff;
  return out;
}
