// The DMsg framing for @peerwire/transport's TCP links, on datt's DMsg framer (wire's HeaderFramer).
import { TransportError } from '@peerwire/transport';
import type { Framing } from '@peerwire/transport/node';
import { DecodeError, type Framer } from '@peerwire/wire';
import {
  DEFAULT_MAX_DMSG_DATA_LENGTH,
  DMSG_HEADER_LENGTH,
  DmsgFramer,
  type DmsgLimits,
} from '../dmsg.js';
import { DattError } from '../errors.js';

/**
 * Transport framers throw `DecodeError`s: an oversized header becomes `BODY_TOO_LARGE` (the link
 * closes with 1009), any other bad header `BAD_ENCODING` (1002); the `DattError` is the `cause`.
 */
class TransportDmsgFramer implements Framer {
  readonly #framer: DmsgFramer;

  constructor(limits: DmsgLimits) {
    this.#framer = new DmsgFramer(limits);
  }

  get buffered(): number {
    return this.#framer.buffered;
  }

  push(chunk: Uint8Array): Uint8Array[] {
    try {
      return this.#framer.push(chunk);
    } catch (error) {
      if (!(error instanceof DattError)) throw error;
      throw new DecodeError(
        error.code === 'TOO_LARGE' ? 'BODY_TOO_LARGE' : 'BAD_ENCODING',
        `${error.message} (${error.code})`,
        { cause: error },
      );
    }
  }
}

/**
 * DMsg framing for `listenTcp`/`connectTcp` of `@peerwire/transport/node`: each `message` is one
 * whole DMsg (`header ‖ data`, checksum not yet checked: `decodeDmsg` or a `DattEngine` peer
 * with `message` framing checks it, so each byte is hashed once). Headers are validated as they
 * arrive; a `datasize` above `maxDataLength` (default 30000) closes the link before its data is
 * buffered. `encode` sends a frame as is (the engine's output is already a DMsg).
 */
export function dmsgFraming(limits: DmsgLimits = {}): Framing {
  const maxDataLength = limits.maxDataLength ?? DEFAULT_MAX_DMSG_DATA_LENGTH;
  const maxFrameLength = DMSG_HEADER_LENGTH + maxDataLength;
  return {
    name: 'dmsg',
    maxFrameLength,
    createFramer: () => new TransportDmsgFramer({ maxDataLength }),
    encode(message) {
      if (message.length > maxFrameLength) {
        throw new TransportError(
          'TOO_LARGE',
          `a ${message.length}-byte DMsg exceeds the frame limit of ${maxFrameLength} bytes`,
        );
      }
      return message;
    },
  };
}
