import type { Framing } from '@peerwire/transport/node';
import type { Framer } from '@peerwire/wire';
import { PtpchatError } from '../errors.js';

/** Hands every chunk read from the socket on as it is: the engine frames (§1.1). */
class PassThroughFramer implements Framer {
  readonly buffered = 0;

  push(chunk: Uint8Array): Uint8Array[] {
    return [chunk];
  }
}

/**
 * The transport `Framing` of a ptpchat TCP link. The engine does the spec's framing itself — it
 * emits `send` bytes already framed (`u32be(length) ‖ json`) and reads links with
 * `receiveBytes`, where the codec's `PtpchatFramer` drops keepalives and refuses a frame over
 * `maxFrameLength` as soon as its prefix arrives, counted as a `frame-too-large` drop — so the
 * link passes bytes through both ways and only checks that nothing larger than a frame is sent.
 */
export function ptpchatStream(maxFrameLength: number): Framing {
  const max = maxFrameLength + 4;
  return {
    name: 'ptpchat',
    maxFrameLength: max,
    createFramer: () => new PassThroughFramer(),
    encode(framed: Uint8Array): Uint8Array {
      if (framed.length > max) {
        throw new PtpchatError(
          'MESSAGE_TOO_LARGE',
          `a ${framed.length}-byte frame exceeds the limit of ${max} bytes`,
        );
      }
      return framed;
    },
  };
}
