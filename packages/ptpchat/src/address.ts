import { PtpchatError } from './errors.js';

/** A CONNECT address (spec §9): an IP and/or a port. */
export interface UdpAddress {
  /** IPv4 dotted quad or IPv6 text (no brackets), `undefined` for a port-only address. */
  readonly ip?: string;
  /** 1-65535, `undefined` for an IP-only address. */
  readonly port?: number;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const PORT = /^[0-9]{1,5}$/;

/** True for an IPv4 dotted quad. */
export function isIPv4(text: string): boolean {
  return IPV4.test(text);
}

/** True for IPv6 text (RFC 4291 §2.2 forms, an embedded IPv4 tail allowed, no zone). */
export function isIPv6(text: string): boolean {
  if (!/^[0-9A-Fa-f:.]{2,45}$/.test(text)) return false;
  let s = text;
  const lastColon = s.lastIndexOf(':');
  if (lastColon < 0) return false;
  const tail = s.slice(lastColon + 1);
  if (tail.includes('.')) {
    if (!isIPv4(tail)) return false;
    s = `${s.slice(0, lastColon + 1)}0:0`; // the IPv4 tail stands for two groups
  }
  const halves = s.split('::');
  if (halves.length > 2) return false;
  const groups = (h: string): string[] => (h === '' ? [] : h.split(':'));
  const hex = (g: string): boolean => /^[0-9A-Fa-f]{1,4}$/.test(g);
  if (halves.length === 1) {
    const g = groups(s);
    return g.length === 8 && g.every(hex);
  }
  const all = [...groups(halves[0]!), ...groups(halves[1]!)];
  return all.length <= 7 && all.every(hex);
}

function parsePort(text: string): number {
  if (!PORT.test(text)) throw new PtpchatError('BAD_ADDRESS', `bad port ${JSON.stringify(text)}`);
  const port = Number(text);
  if (port < 1 || port > 65535) throw new PtpchatError('BAD_ADDRESS', `port ${port} out of range`);
  return port;
}

/**
 * Parses `203.0.113.5:40001`, `[2001:db8::5]:40001`, `203.0.113.5`, `2001:db8::5` or `40001`.
 * `''` is an empty address (`{}`). Throws `BAD_ADDRESS`.
 */
export function parseAddress(text: string): UdpAddress {
  if (typeof text !== 'string' || text.length > 64) {
    throw new PtpchatError('BAD_ADDRESS', 'address is not a short string');
  }
  if (text === '') return {};
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    const ip = text.slice(1, close);
    if (close < 0 || !isIPv6(ip) || text[close + 1] !== ':') {
      throw new PtpchatError('BAD_ADDRESS', `bad address ${JSON.stringify(text)}`);
    }
    return { ip: ip.toLowerCase(), port: parsePort(text.slice(close + 2)) };
  }
  if (PORT.test(text)) return { port: parsePort(text) };
  if (isIPv4(text)) return { ip: text };
  if (isIPv6(text)) return { ip: text.toLowerCase() };
  const colon = text.lastIndexOf(':');
  if (colon > 0 && isIPv4(text.slice(0, colon))) {
    return { ip: text.slice(0, colon), port: parsePort(text.slice(colon + 1)) };
  }
  throw new PtpchatError('BAD_ADDRESS', `bad address ${JSON.stringify(text)}`);
}

/** Formats an address the way spec §9 writes it (brackets around an IPv6 with a port). */
export function formatAddress(address: UdpAddress): string {
  const { ip, port } = address;
  if (ip === undefined) return port === undefined ? '' : String(port);
  if (port === undefined) return ip;
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** True when the address has both an IP and a port (a socket address). */
export function isFullAddress(address: UdpAddress): address is Required<UdpAddress> {
  return address.ip !== undefined && address.port !== undefined;
}

/** An IPv4-mapped IPv6 address (`::ffff:1.2.3.4`) as its IPv4 form; anything else unchanged. */
export function unmapIPv4(ip: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return m ? m[1]! : ip;
}
