import { type Endpoint, formatEndpoint } from '../codec/address.js';
import type { RandomSource } from '../codec/identity.js';

/** INFO's address list (§5): overlay (`fc94`) addresses left out, copied, sorted by text form. */
export function filterLocal(addresses: readonly Endpoint[]): Endpoint[] {
  return sortEndpoints(
    addresses
      .filter((e) => !(e.ip[0] === 0xfc && e.ip[1] === 0x94))
      .map((e) => ({ ip: e.ip.slice(), port: e.port })),
  );
}

/** Sorts in place by text form (so that equal sets compare equal), and returns the list. */
export function sortEndpoints(list: Endpoint[]): Endpoint[] {
  return list.sort((a, b) => compareText(formatEndpoint(a), formatEndpoint(b)));
}

/** How many 18-byte entries fit an INFO (129 + 18n bytes) in one TCP record. */
export function maxInfoEntries(maxTcpPayload: number): number {
  return Math.max(0, Math.floor((maxTcpPayload - 129) / 18));
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A random index below `n` from the injected random source (source-map evictions). */
export function randomIndex(random: RandomSource, n: number): number {
  if (n <= 1) return 0;
  const b = random(4);
  const v = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  return v % n;
}
