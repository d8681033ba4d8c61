import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { TransportError } from '@peerwire/transport';
import { type Endpoint, formatIp } from '../codec/address.js';
import { MULTICAST_GROUP_V6 } from '../codec/multicast.js';
import { type BoundDatagram, bindDatagram, closeDatagram } from './datagram.js';

/** `IFF_UP` and `IFF_MULTICAST` of `<linux/if.h>` (the bits of `/sys/class/net/<if>/flags`). */
const IFF_UP = 0x1;
const IFF_MULTICAST = 0x1000;

/**
 * The interfaces the IPv6 group (§10) is joined on: up, multicast-capable, not loopback, with an
 * IPv6 link-local (`fe80::/10`) address. Up/multicast come from `/sys/class/net/<if>/flags`
 * where it exists (Linux); elsewhere an interface with a link-local address is taken as both.
 */
export function linkLocalInterfaces(): string[] {
  const out: string[] = [];
  for (const [name, list] of Object.entries(networkInterfaces())) {
    const linkLocal = (list ?? []).some(
      (i) => !i.internal && i.family === 'IPv6' && /^fe[89ab][0-9a-f]:/i.test(i.address),
    );
    if (linkLocal && upAndMulticast(name)) out.push(name);
  }
  return out;
}

function upAndMulticast(name: string): boolean {
  let text: string;
  try {
    text = readFileSync(`/sys/class/net/${name}/flags`, 'utf8');
  } catch {
    return true;
  }
  const flags = Number.parseInt(text.trim(), 16);
  if (!Number.isFinite(flags)) return true;
  return (flags & IFF_UP) !== 0 && (flags & IFF_MULTICAST) !== 0;
}

/** Whether `ip` (16 bytes) is IPv6 link-local, `fe80::/10`: it needs a scope to be reached. */
export function isLinkLocal(ip: Uint8Array): boolean {
  return ip.length === 16 && ip[0] === 0xfe && (ip[1]! & 0xc0) === 0x80;
}

/**
 * The scope (interface) of each IPv6 link-local peer address heard from: node:dgram reports a
 * link-local source as `fe80::1%eth0`, the cores carry 16 bytes without the scope, and a datagram
 * back must name the interface. The same address heard on two interfaces keeps the latest one.
 * At most `limit` addresses (the oldest is forgotten).
 */
export class LinkLocalScopes {
  readonly #scopes = new Map<string, string>();

  constructor(readonly limit = DEFAULT_MAX_LINK_LOCAL_SCOPES) {}

  /** Remembers the scope of a socket address such as `fe80::1%eth0` (others are ignored). */
  learn(address: string): void {
    const at = address.indexOf('%');
    if (at < 0) return;
    const key = address.slice(0, at).toLowerCase();
    if (!/^fe[89ab][0-9a-f]:/.test(key)) return;
    this.#scopes.delete(key);
    this.#scopes.set(key, address.slice(at + 1));
    if (this.#scopes.size > this.limit) {
      const oldest = this.#scopes.keys().next().value;
      if (oldest !== undefined) this.#scopes.delete(oldest);
    }
  }

  /**
   * The text address to send `e` to: with its `%scope` for a link-local address (undefined when
   * no scope was heard for it), as is for any other.
   */
  address(e: Endpoint): string | undefined {
    const text = formatIp(e.ip);
    if (!isLinkLocal(e.ip)) return text;
    const scope = this.#scopes.get(text);
    return scope === undefined ? undefined : `${text}%${scope}`;
  }

  get size(): number {
    return this.#scopes.size;
  }
}

/** Link-local peer addresses whose scope is remembered [pw]. */
export const DEFAULT_MAX_LINK_LOCAL_SCOPES = 1_024;

/**
 * The IPv6 half of link-local discovery (§10) on real sockets: one IPv6-only UDP socket on port
 * 5581 joined to `ff02:88bb:31e4:95f7:2b87:6b52:e112:19ac` on every interface of
 * `linkLocalInterfaces()`, re-evaluated by `refresh()`; `announce` sends one datagram out of each
 * joined interface (destination `ff02:…%ifname`). A join that fails is reported once per
 * interface and error and does not stop the others.
 */
export class Ipv6Discovery {
  readonly #socket: BoundDatagram;
  readonly #joined = new Set<string>();
  readonly #reported = new Set<string>();
  readonly #onError: (error: Error) => void;
  readonly #interfaces: () => string[];
  #closed = false;

  private constructor(
    socket: BoundDatagram,
    onError: (error: Error) => void,
    interfaces: () => string[],
  ) {
    this.#socket = socket;
    this.#onError = onError;
    this.#interfaces = interfaces;
  }

  static async open(
    port: number,
    onError: (error: Error) => void,
    interfaces: () => string[] = linkLocalInterfaces,
    host = '::',
  ): Promise<Ipv6Discovery> {
    const socket = await bindDatagram(host, port, { reuseAddr: true, ipv6Only: true });
    try {
      socket.socket.setMulticastLoopback(false);
      socket.socket.setMulticastTTL(1);
    } catch (error) {
      await closeDatagram(socket.socket);
      throw new TransportError('LISTEN_FAILED', `IPv6 multicast: ${String(error)}`, {
        cause: error,
      });
    }
    const d = new Ipv6Discovery(socket, onError, interfaces);
    socket.socket.on('error', (e) => onError(e));
    d.refresh();
    return d;
  }

  /** Datagrams on the group's socket: the source as node:dgram gives it (`fe80::1%eth0`). */
  onMessage(handler: (msg: Buffer, address: string, port: number) => void): void {
    this.#socket.socket.on('message', (msg: Buffer, rinfo) =>
      handler(msg, rinfo.address, rinfo.port),
    );
  }

  /** The interfaces the group is joined on now. */
  get interfaces(): string[] {
    return [...this.#joined];
  }

  /** Joins the group on new interfaces and leaves it on those gone. */
  refresh(): void {
    if (this.#closed) return;
    const now = new Set(this.#interfaces());
    for (const name of this.#joined) {
      if (now.has(name)) continue;
      this.#joined.delete(name);
      try {
        this.#socket.socket.dropMembership(MULTICAST_GROUP_V6, `::%${name}`);
      } catch {
        // the interface is gone and with it the membership
      }
    }
    const present = networkInterfaces();
    for (const name of now) {
      if (this.#joined.has(name)) continue;
      // libuv maps an unknown `%name` to interface 0, which joins on the default route's
      // interface: only names the system lists are joined.
      if (!present[name]) {
        this.#reportOnce(name, new Error('no such interface'));
        continue;
      }
      try {
        this.#socket.socket.addMembership(MULTICAST_GROUP_V6, `::%${name}`);
        this.#joined.add(name);
      } catch (error) {
        this.#reportOnce(name, error);
      }
    }
  }

  /** Sends `bytes` to the group, port `port`, out of every joined interface. */
  announce(bytes: Uint8Array, port: number): void {
    if (this.#closed) return;
    for (const name of this.#joined) {
      this.#socket.socket.send(bytes, port, `${MULTICAST_GROUP_V6}%${name}`, (error) => {
        if (error) this.#reportOnce(name, error);
      });
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await closeDatagram(this.#socket.socket);
  }

  #reportOnce(name: string, error: unknown): void {
    const text = error instanceof Error ? error.message : String(error);
    const key = `${name}\n${text}`;
    if (this.#reported.has(key)) return;
    this.#reported.add(key);
    this.#onError(
      new TransportError('LISTEN_FAILED', `IPv6 multicast group on ${name}: ${text}`, {
        cause: error,
      }),
    );
  }
}
