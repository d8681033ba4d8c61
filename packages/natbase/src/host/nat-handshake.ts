import { type Endpoint, formatEndpoint } from '../codec/address.js';
import type { Identity } from '../codec/identity.js';
import { sealPeerToBase } from '../codec/peer-to-base.js';
import type { HostAgentLimits } from '../limits.js';
import type { HostAgentAction } from './types.js';

/**
 * The host's UDP path to the base in use (spec §5, §6, §8.1): the base UDP addresses of the
 * last STATE (the primary first), NAT_INIT with a counter that grows with every send, NAT_OK
 * answered with NAT_OK_CONFIRM, and the 35 s window in which UDP to the base counts as alive.
 */
export class NatHandshake {
  /** Base UDP addresses of the last STATE, the primary first. */
  addresses: Endpoint[] = [];
  /** The primary's text form: datagrams from it are the base's (§6). */
  primaryKey: string | undefined;
  counter = 0n;
  confirmed = false;
  lastInitSent = Number.NEGATIVE_INFINITY;
  lastOk = Number.NEGATIVE_INFINITY;

  constructor(
    readonly identity: Identity,
    readonly limits: HostAgentLimits,
  ) {}

  /** A new base (or none): nothing is known about its UDP side. */
  reset(): void {
    this.addresses = [];
    this.primaryKey = undefined;
    this.confirmed = false;
    this.lastOk = Number.NEGATIVE_INFINITY;
  }

  get primary(): Endpoint | undefined {
    return this.addresses[0];
  }

  alive(now: number): boolean {
    return this.addresses.length > 0 && now - this.lastOk < this.limits.udpBaseAliveMs;
  }

  /** STATE: store the addresses; true when they changed. */
  state(addresses: readonly Endpoint[]): boolean {
    const before = keysOf(this.addresses);
    this.addresses = addresses.map((e) => ({ ip: e.ip.slice(), port: e.port }));
    this.primaryKey = formatEndpoint(this.addresses[0]!);
    return keysOf(this.addresses) !== before;
  }

  /** NAT_INIT to every base address under `cookie` (nothing before STATE). */
  init(cookie: Uint8Array | undefined, now: number, actions: HostAgentAction[]): void {
    if (!cookie || this.addresses.length === 0) return;
    this.lastInitSent = now;
    this.confirmed = false;
    this.counter++;
    this.#send('NAT_INIT', cookie, actions);
  }

  /** NAT_OK from the primary: UDP is alive; NAT_OK_CONFIRM to every base address. */
  ok(cookie: Uint8Array | undefined, now: number, actions: HostAgentAction[]): void {
    this.lastOk = now;
    this.confirmed = true;
    if (cookie) this.#send('NAT_OK_CONFIRM', cookie, actions);
  }

  /** When a NAT_INIT retry or the end of the alive window is due. */
  nextDeadline(hasBase: boolean, now: number): number {
    let at = Number.POSITIVE_INFINITY;
    if (!this.confirmed && hasBase && this.addresses.length > 0) {
      at = this.lastInitSent + this.limits.natInitRetryMs;
    }
    if (this.alive(now)) at = Math.min(at, this.lastOk + this.limits.udpBaseAliveMs);
    return at;
  }

  #send(kind: 'NAT_INIT' | 'NAT_OK_CONFIRM', cookie: Uint8Array, actions: HostAgentAction[]): void {
    const bytes = sealPeerToBase({ kind, counter: this.counter }, this.identity, cookie);
    for (const to of this.addresses) actions.push({ type: 'send', transport: 'udp', to, bytes });
  }
}

export function keysOf(list: readonly Endpoint[]): string {
  return list.map(formatEndpoint).join(' ');
}
