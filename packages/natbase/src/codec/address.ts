import type { ByteReader, ByteWriter } from '@peerwire/wire';
import { NatbaseError } from '../errors.js';

/**
 * A UDP endpoint as natbase carries it (spec §3): a 16-byte IPv6 address (IPv4 as v4-mapped
 * `::ffff:a.b.c.d`) and a port.
 */
export interface Endpoint {
  /** 16 bytes. */
  readonly ip: Uint8Array;
  readonly port: number;
}

/** Length of one address entry on the wire: 16-byte address ‖ u16 little-endian port. */
export const ADDRESS_LENGTH = 18;
export const IP_LENGTH = 16;

/** Appends `ip(16) ‖ port(u16 LE)`. */
export function writeEndpoint(w: ByteWriter, e: Endpoint): void {
  if (e.ip.length !== IP_LENGTH)
    throw new NatbaseError('BAD_VALUE', `an address is ${IP_LENGTH} bytes, not ${e.ip.length}`);
  if (!Number.isInteger(e.port) || e.port < 0 || e.port > 0xffff)
    throw new NatbaseError('BAD_VALUE', `port ${e.port} is not a u16`);
  w.bytes(e.ip).u16le(e.port);
}

/** Reads one 18-byte entry (the caller has checked the length). The ip is a copy. */
export function readEndpoint(r: ByteReader): Endpoint {
  const ip = r.bytes(IP_LENGTH, 'address').slice();
  return { ip, port: r.u16le('port') };
}

const V4_MAPPED_PREFIX = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff);

/** Whether `ip` (16 bytes) is an IPv4-mapped address `::ffff:a.b.c.d`. */
export function isV4Mapped(ip: Uint8Array): boolean {
  if (ip.length !== IP_LENGTH) return false;
  for (let i = 0; i < 12; i++) if (ip[i] !== V4_MAPPED_PREFIX[i]) return false;
  return true;
}

function parseV4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out.push(n);
  }
  return out;
}

function parseV6(text: string): Uint8Array | undefined {
  let head = text;
  let v4: number[] | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    v4 = parseV4(text.slice(lastColon + 1));
    if (!v4) return undefined;
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  const left = groups(halves[0]!);
  const right = halves.length === 2 ? groups(halves[1]!) : [];
  if (!left || !right) return undefined;
  let all: number[];
  if (halves.length === 2) {
    const fill = 8 - left.length - right.length;
    if (fill < 1) return undefined;
    all = [...left, ...new Array<number>(fill).fill(0), ...right];
  } else all = left;
  if (all.length !== 8) return undefined;
  const ip = new Uint8Array(IP_LENGTH);
  all.forEach((g, i) => {
    ip[2 * i] = g >> 8;
    ip[2 * i + 1] = g & 0xff;
  });
  if (v4) ip.set(v4, 12);
  return ip;
}

/**
 * Parses an IPv4 (`1.2.3.4`, returned v4-mapped) or IPv6 address (`fc94::1`, `::ffff:1.2.3.4`)
 * into 16 bytes. Throws `BAD_ADDRESS`.
 */
export function parseIp(text: string): Uint8Array {
  const v4 = parseV4(text);
  if (v4) {
    const ip = new Uint8Array(IP_LENGTH);
    ip.set(V4_MAPPED_PREFIX);
    ip.set(v4, 12);
    return ip;
  }
  const v6 = text.includes(':') ? parseV6(text) : undefined;
  if (!v6) throw new NatbaseError('BAD_ADDRESS', `not an IP address: ${JSON.stringify(text)}`);
  return v6;
}

/** The text form: dotted quad for v4-mapped addresses, RFC 5952 (lower case, longest `::`) else. */
export function formatIp(ip: Uint8Array): string {
  if (ip.length !== IP_LENGTH)
    throw new NatbaseError('BAD_ADDRESS', `an address is ${IP_LENGTH} bytes, not ${ip.length}`);
  if (isV4Mapped(ip)) return `${ip[12]}.${ip[13]}.${ip[14]}.${ip[15]}`;
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((ip[2 * i]! << 8) | ip[2 * i + 1]!);
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':');
  if (bestAt < 0) return hex(g);
  return `${hex(g.slice(0, bestAt))}::${hex(g.slice(bestAt + bestLen))}`;
}

/** `1.2.3.4:5582` or `[fc94::1]:5582`: also a good map key for an endpoint. */
export function formatEndpoint(e: Endpoint): string {
  return isV4Mapped(e.ip) ? `${formatIp(e.ip)}:${e.port}` : `[${formatIp(e.ip)}]:${e.port}`;
}

/** Parses what `formatEndpoint` writes. Throws `BAD_ADDRESS`. */
export function parseEndpoint(text: string): Endpoint {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):([0-9]{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port > 0xffff)
    throw new NatbaseError('BAD_ADDRESS', `not ip:port or [ip6]:port: ${JSON.stringify(text)}`);
  return { ip: parseIp(m[1] ?? m[2]!), port };
}
