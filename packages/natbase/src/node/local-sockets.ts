import { networkInterfaces } from 'node:os';
import type { Endpoint } from '../codec/address.js';
import { type BoundDatagram, bindDatagram } from './datagram.js';
import { endpointOf } from './sockets.js';

/** First UDP source port tried, then +1 on each bind failure up to `LAST_SOURCE_PORT` (spec §2). */
export const FIRST_SOURCE_PORT = 5582;
export const LAST_SOURCE_PORT = 6999;
/** Binds the host's UDP socket: `port` if given, else the first free one from 5582 to 6999. */
export async function bindSourcePort(
  host: string,
  port: number | undefined,
): Promise<BoundDatagram> {
  if (port !== undefined) return bindDatagram(host, port);
  let last: unknown;
  for (let p = FIRST_SOURCE_PORT; p <= LAST_SOURCE_PORT; p++) {
    try {
      return await bindDatagram(host, p);
    } catch (error) {
      last = error;
    }
  }
  throw last;
}

/** Non-internal IPv4 and global IPv6 interface addresses, with `port`. */
export function interfaceAddresses(port: number): Endpoint[] {
  const out: Endpoint[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) {
      if (info.internal) continue;
      if (info.family === 'IPv6' && /^fe80:|^fc94:/i.test(info.address)) continue;
      const e = safeEndpoint(info.address, port);
      if (e) out.push(e);
    }
  }
  return out;
}

/** An `Endpoint` of a socket address (a `%scope` dropped), or undefined for a bad one. */
export function safeEndpoint(address: string, port: number): Endpoint | undefined {
  try {
    return endpointOf(address.replace(/%.*$/, ''), port);
  } catch {
    return undefined;
  }
}
