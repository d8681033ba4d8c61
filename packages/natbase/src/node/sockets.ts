import { isIPv4 } from 'node:net';
import { type Endpoint, formatIp, isV4Mapped, parseIp } from '../codec/address.js';

/** An address and port as node:dgram / node:net report them, as an `Endpoint`. Throws `BAD_ADDRESS`. */
export function endpointOf(address: string, port: number): Endpoint {
  return { ip: parseIp(address), port };
}

/**
 * The address string to hand a socket of `family` for `e`, or `undefined` when that socket
 * cannot reach it (an IPv6 address on an IPv4 socket).
 */
export function socketAddress(e: Endpoint, family: 'udp4' | 'udp6'): string | undefined {
  const text = formatIp(e.ip);
  if (family === 'udp4') return isV4Mapped(e.ip) ? text : undefined;
  return isIPv4(text) ? `::ffff:${text}` : text;
}

/** The time for the cores: a monotonic millisecond clock. */
export function monotonicNow(): number {
  return performance.now();
}

/**
 * One pending "call `timer(now)` at `at`" request of a core (the cores ask for one timer at a
 * time; a new request replaces the old). Unref'd: the sockets keep the process alive, not this.
 */
export class TimerSlot {
  #handle: ReturnType<typeof setTimeout> | undefined;
  #at = Number.POSITIVE_INFINITY;
  readonly #fire: () => void;

  constructor(fire: () => void) {
    this.#fire = fire;
  }

  /** Asks for a call at `at` (core time), `now` being the current core time. */
  set(at: number, now: number): void {
    if (this.#handle !== undefined && at === this.#at) return;
    this.clear();
    this.#at = at;
    const delay = Math.max(0, Math.min(at - now, 2_147_483_000));
    this.#handle = setTimeout(() => {
      this.#handle = undefined;
      this.#at = Number.POSITIVE_INFINITY;
      this.#fire();
    }, Math.ceil(delay));
    this.#handle.unref?.();
  }

  clear(): void {
    if (this.#handle !== undefined) clearTimeout(this.#handle);
    this.#handle = undefined;
    this.#at = Number.POSITIVE_INFINITY;
  }
}
