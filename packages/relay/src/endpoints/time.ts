import { utf8Encode } from '@peerwire/wire';
import type { RelayContext } from '../context.js';
import { type Endpoint, endpointFailed } from './endpoint.js';

/** `@/time`: the relay's clock, 8 bytes of Unix seconds then 4 of nanoseconds (big-endian). */
export function timeEndpoint(): Endpoint {
  return {
    name: 'time',
    serve: (_conn, _payload, ms) => {
      const out = new Uint8Array(12);
      const view = new DataView(out.buffer);
      view.setBigUint64(0, BigInt(Math.floor(ms / 1000)), false);
      view.setUint32(8, Math.floor((ms % 1000) * 1e6), false);
      return out;
    },
  };
}

/** `@/version`: the relay's version text. */
export function versionEndpoint(ctx: RelayContext): Endpoint {
  const text = utf8Encode(ctx.version);
  return { name: 'version', serve: () => text };
}

/** `@/p_api`: part of the protocol, not offered by this relay; answered with an error. */
export const pApiEndpoint: Endpoint = {
  name: 'p_api',
  serve: () => {
    throw endpointFailed('p_api is not supported by this relay');
  },
};
