import type { Framing } from '@peerwire/transport/node';
import type { Framer } from '@peerwire/wire';

/**
 * A pass-through `Framing` for `@peerwire/transport`'s TCP links: each received chunk is handed
 * on as is and each message is written as is. natbase's cores do their own fake-TLS framing
 * (they take raw stream bytes and emit whole records), so the link must not frame again.
 */
export function rawStream(): Framing {
  return {
    name: 'natbase-raw-stream',
    maxFrameLength: Number.MAX_SAFE_INTEGER,
    createFramer: (): Framer => ({
      push: (chunk: Uint8Array) => (chunk.length === 0 ? [] : [chunk]),
      buffered: 0,
    }),
    encode: (message) => message,
  };
}
