import {
  DecodeError,
  encodeTlsRecord,
  MAX_TLS_RECORD_LENGTH,
  TlsRecordFramer,
} from '@peerwire/wire';
import { NatbaseError } from '../errors.js';

/**
 * The largest TCP payload (spec §3): the reference client's read buffer is 2000 bytes, so a
 * payload must be below 1995 bytes.
 */
export const DEFAULT_MAX_TCP_PAYLOAD = 1994;
/** The fake TLS record header length: `17 03 03` ‖ u16 LE length. */
export const RECORD_HEADER_LENGTH = 5;

/**
 * The base connection's TCP framing (spec §3) on `@peerwire/wire`'s `TlsRecordFramer`: `17 03 03`,
 * a **little-endian** u16 length, then one message. A bad header throws `BAD_RECORD_HEADER`; a
 * length above `maxPayload` throws `FRAME_TOO_LARGE` as soon as the header arrives, before any of
 * the body is buffered. Either way the connection should be closed.
 */
export class NatbaseFramer {
  readonly #framer: TlsRecordFramer;

  constructor(readonly maxPayload: number = DEFAULT_MAX_TCP_PAYLOAD) {
    this.#framer = new TlsRecordFramer(maxPayload);
  }

  /** The payloads of the records `chunk` completes. */
  push(chunk: Uint8Array): Uint8Array[] {
    try {
      return this.#framer.push(chunk);
    } catch (cause) {
      if (cause instanceof DecodeError) {
        const code = cause.code === 'BODY_TOO_LARGE' ? 'FRAME_TOO_LARGE' : 'BAD_RECORD_HEADER';
        throw new NatbaseError(code, cause.message, { cause });
      }
      throw cause;
    }
  }

  /** Bytes held for an incomplete record. */
  get buffered(): number {
    return this.#framer.buffered;
  }
}

/** `17 03 03 ‖ u16le(length) ‖ payload`. Throws `FRAME_TOO_LARGE` above `maxPayload`. */
export function encodeRecord(
  payload: Uint8Array,
  maxPayload: number = DEFAULT_MAX_TCP_PAYLOAD,
): Uint8Array {
  if (payload.length > Math.min(maxPayload, MAX_TLS_RECORD_LENGTH)) {
    throw new NatbaseError(
      'FRAME_TOO_LARGE',
      `payload of ${payload.length} bytes exceeds the limit of ${Math.min(maxPayload, MAX_TLS_RECORD_LENGTH)}`,
    );
  }
  return encodeTlsRecord(payload);
}
