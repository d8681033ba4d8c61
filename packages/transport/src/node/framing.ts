import {
  DEFAULT_MAX_FRAME_LENGTH,
  type Framer,
  LengthPrefixFramer,
  MAX_TLS_RECORD_LENGTH,
  TlsRecordFramer,
} from '@peerwire/wire';
import { TransportError } from '../errors.js';
import { intOption } from '../options.js';

/**
 * How messages are delimited on a byte stream (TCP). `createFramer` is called once per
 * connection; `encode` turns one message into the bytes to write.
 */
export interface Framing {
  /** A short name for messages and logs, e.g. `length-prefixed`. */
  readonly name: string;
  /** The largest message, in bytes, in either direction. */
  readonly maxFrameLength: number;
  /** A fresh incremental decoder (from `@peerwire/wire`); it throws `DecodeError` on bad input. */
  createFramer(): Framer;
  /** The framed bytes of one message; throws `TransportError` `TOO_LARGE` above `maxFrameLength`. */
  encode(message: Uint8Array): Uint8Array;
}

/**
 * The built-in framings also encode straight into a Node Buffer, which the TCP link hands to the
 * socket as is (a plain Uint8Array would be wrapped in a Buffer again by the stream).
 */
export const encodeToBuffer: unique symbol = Symbol('encodeToBuffer');

/** A built-in framing: the public `Framing` plus the Buffer encoder. */
export interface BufferFraming extends Framing {
  [encodeToBuffer](message: Uint8Array): Buffer;
}

/** `Buffer` → plain `Uint8Array` view (no copy), for the public `encode`. */
function view(buf: Buffer): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
}

function tooLarge(name: string, length: number, max: number): TransportError {
  return new TransportError(
    'TOO_LARGE',
    `a ${length}-byte message exceeds the ${name} frame limit of ${max} bytes`,
  );
}

/** Frames of a big-endian u32 length and the payload (ptpchat). Default limit 1 MiB. */
export function lengthPrefixed(maxFrameLength: number = DEFAULT_MAX_FRAME_LENGTH): Framing {
  const max = intOption('maxFrameLength', maxFrameLength, DEFAULT_MAX_FRAME_LENGTH, 0, 0xffffffff);
  const toBuffer = (message: Uint8Array): Buffer => {
    const length = message.length;
    if (length > max) throw tooLarge('length-prefixed', length, max);
    // allocUnsafe carves small frames from Node's pool instead of a fresh ArrayBuffer each.
    const out = Buffer.allocUnsafe(4 + length);
    out.writeUInt32BE(length, 0);
    out.set(message, 4);
    return out;
  };
  const framing: BufferFraming = {
    name: 'length-prefixed',
    maxFrameLength: max,
    createFramer: () => new LengthPrefixFramer(max),
    encode: (message) => view(toBuffer(message)),
    [encodeToBuffer]: toBuffer,
  };
  return framing;
}

/** Fake TLS application-data records: `17 03 03`, a u16 little-endian length, the payload (natbase). */
export function tlsRecords(maxFrameLength: number = MAX_TLS_RECORD_LENGTH): Framing {
  const max = intOption(
    'maxFrameLength',
    maxFrameLength,
    MAX_TLS_RECORD_LENGTH,
    0,
    MAX_TLS_RECORD_LENGTH,
  );
  const toBuffer = (message: Uint8Array): Buffer => {
    const length = message.length;
    if (length > max) throw tooLarge('tls-records', length, max);
    const out = Buffer.allocUnsafe(5 + length);
    out[0] = 0x17;
    out[1] = 0x03;
    out[2] = 0x03;
    out[3] = length & 0xff;
    out[4] = length >>> 8;
    out.set(message, 5);
    return out;
  };
  const framing: BufferFraming = {
    name: 'tls-records',
    maxFrameLength: max,
    createFramer: () => new TlsRecordFramer(max),
    encode: (message) => view(toBuffer(message)),
    [encodeToBuffer]: toBuffer,
  };
  return framing;
}
