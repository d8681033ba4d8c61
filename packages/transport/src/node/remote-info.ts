import { isIPv4 } from 'node:net';
import type { RemoteInfo } from '../link.js';

/** A `RemoteInfo` for an address and port; IPv4-mapped IPv6 (`::ffff:a.b.c.d`) becomes IPv4. */
export function toRemoteInfo(address: string, port: number): RemoteInfo {
  if (address.length > 7 && address.slice(0, 7).toLowerCase() === '::ffff:') {
    const v4 = address.slice(7);
    if (isIPv4(v4)) return { address: v4, port, family: 'IPv4' };
  }
  return { address, port, family: address.includes(':') ? 'IPv6' : 'IPv4' };
}

/** The peer of a connected socket, or `undefined` once it is gone. */
export function remoteOf(socket: {
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
}): RemoteInfo | undefined {
  const { remoteAddress, remotePort } = socket;
  if (remoteAddress === undefined || remotePort === undefined) return undefined;
  return toRemoteInfo(remoteAddress, remotePort);
}
