import { TokenBucket } from '@peerwire/wire';
import { type Endpoint, formatIp } from '../codec/address.js';
import { NatbaseFramer } from '../codec/framing.js';
import type { RandomSource } from '../codec/identity.js';
import type { BaseServerLimits } from '../limits.js';
import type { Device } from './devices.js';
import type { ConnectionId } from './types.js';
import { idKey } from './wire.js';

/** One TCP connection from a host. */
export interface Connection {
  readonly id: ConnectionId;
  readonly remote: Endpoint;
  readonly ipKey: string;
  /** The HELLO's cookie as an `idKey` string (the bytes are not kept: 16-byte arrays are dear). */
  readonly cookieKey: string;
  readonly framer: NatbaseFramer;
  readonly openedAt: number;
  readonly signedBucket: TokenBucket;
  lastHeard: number;
  lastSent: number;
  /** Unsent bytes the I/O layer last reported (`tcpBacklog`). */
  backlog: number;
  device: Device | undefined;
  closing: boolean;
}

/**
 * The base's TCP connections (spec §7.1, §7.10): by id and by HELLO cookie (UDP messages name
 * their connection by cookie), counted per remote IP, with the connections not yet bound to a
 * device counted apart; admission against `maxConnections`, `maxConnectionsPerIp` and
 * `maxPendingConnections`.
 */
export class Connections {
  readonly #byId = new Map<ConnectionId, Connection>();
  readonly #byCookie = new Map<string, Connection>();
  readonly #perIp = new Map<string, number>();
  /** Open connections without a device yet. */
  #pending = 0;

  constructor(
    readonly limits: BaseServerLimits,
    readonly random: RandomSource,
  ) {}

  get size(): number {
    return this.#byId.size;
  }

  get(id: ConnectionId): Connection | undefined {
    return this.#byId.get(id);
  }

  has(id: ConnectionId): boolean {
    return this.#byId.has(id);
  }

  /** The live (not closing) connection that was given this cookie. */
  byCookie(cookie: Uint8Array): Connection | undefined {
    const c = this.#byCookie.get(idKey(cookie));
    return c && !c.closing ? c : undefined;
  }

  values(): IterableIterator<Connection> {
    return this.#byId.values();
  }

  /** Why a new connection from `remote` is refused, or undefined when it is admitted. */
  refusal(remote: Endpoint): string | undefined {
    const l = this.limits;
    const ipKey = formatIp(remote.ip);
    if (this.#byId.size >= l.maxConnections) return `already ${l.maxConnections} connections`;
    if ((this.#perIp.get(ipKey) ?? 0) >= l.maxConnectionsPerIp)
      return `already ${l.maxConnectionsPerIp} connections from ${ipKey}`;
    if (this.#pending >= l.maxPendingConnections)
      return `already ${l.maxPendingConnections} connections without a device`;
    return undefined;
  }

  /** Records an admitted connection with a fresh cookie (unique among live connections). */
  open(id: ConnectionId, remote: Endpoint, now: number): { c: Connection; cookie: Uint8Array } {
    const l = this.limits;
    let cookie = this.random(16);
    while (this.#byCookie.has(idKey(cookie))) cookie = this.random(16);
    const ipKey = formatIp(remote.ip);
    const c: Connection = {
      id,
      remote, // kept as given: the I/O layer must not modify it
      ipKey,
      cookieKey: idKey(cookie),
      framer: new NatbaseFramer(l.maxTcpPayload),
      openedAt: now,
      signedBucket: new TokenBucket(l.signedRatePerSecond, l.signedBurst, now),
      lastHeard: now,
      lastSent: now,
      backlog: 0,
      device: undefined,
      closing: false,
    };
    this.#byId.set(id, c);
    this.#byCookie.set(c.cookieKey, c);
    this.#perIp.set(ipKey, (this.#perIp.get(ipKey) ?? 0) + 1);
    this.#pending++;
    return { c, cookie };
  }

  /** The connection got its device. */
  bound(): void {
    this.#pending--;
  }

  /** The connection stops being served (closing): its cookie is void from now on. */
  stopServing(c: Connection): void {
    this.#byCookie.delete(c.cookieKey);
    if (c.device === undefined) this.#pending--;
  }

  /** The connection ended. */
  remove(c: Connection): void {
    this.#byId.delete(c.id);
    const left = (this.#perIp.get(c.ipKey) ?? 1) - 1;
    if (left > 0) this.#perIp.set(c.ipKey, left);
    else this.#perIp.delete(c.ipKey);
  }
}
