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

// Buffer.allocUnsafe carves small outputs from Node's pool instead of allocating an ArrayBuffer
// per frame; the result is handed out as a plain Uint8Array view.
function frameBuffer(total: number): Uint8Array {
  const buf = Buffer.allocUnsafe(total);
  return new Uint8Array(buf.buffer, buf.byteOffset, total);
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
  return {
    name: 'length-prefixed',
    maxFrameLength: max,
    createFramer: () => new LengthPrefixFramer(max),
    encode(message: Uint8Array): Uint8Array {
      const length = message.length;
      if (length > max) throw tooLarge('length-prefixed', length, max);
      const out = frameBuffer(4 + length);
      out[0] = length >>> 24;
      out[1] = (length >>> 16) & 0xff;
      out[2] = (length >>> 8) & 0xff;
      out[3] = length & 0xff;
      out.set(message, 4);
      return out;
    },
  };
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
  return {
    name: 'tls-records',
    maxFrameLength: max,
    createFramer: () => new TlsRecordFramer(max),
    encode(message: Uint8Array): Uint8Array {
      const length = message.length;
      if (length > max) throw tooLarge('tls-records', length, max);
      const out = frameBuffer(5 + length);
      out[0] = 0x17;
      out[1] = 0x03;
      out[2] = 0x03;
      out[3] = length & 0xff;
      out[4] = length >>> 8;
      out.set(message, 5);
      return out;
    },
  };
}
