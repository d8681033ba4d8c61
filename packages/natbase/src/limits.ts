import { NatbaseError } from './errors.js';

/**
 * Every timer and limit of the base server (spec §7) and the host agent (spec §2, §8, §9, §10),
 * with its default. Times are milliseconds, sizes bytes. Pass a partial object as `limits`;
 * unset fields keep the defaults below. [ref] marks a value taken from the reference client,
 * [pw] a peerwire choice.
 */

/** Largest TCP record payload either side accepts or produces: < 1995 bytes (spec §3) [ref]. */
export const MAX_TCP_PAYLOAD = 1994;

export interface BaseServerLimits {
  /** Most TCP connections at once; further ones are closed at accept [pw: 50,000]. */
  readonly maxConnections: number;
  /** Most TCP connections from one IP address [pw: 256; many devices share a NAT]. */
  readonly maxConnectionsPerIp: number;
  /** Most connections not yet bound to a device (no valid signed message yet) [pw: 4,096]. */
  readonly maxPendingConnections: number;
  /** Most devices bound at once [pw: 50,000]. */
  readonly maxDevices: number;
  /** A connection that has not sent a valid signed message by then is closed [pw: 30 s]. */
  readonly bindTimeoutMs: number;
  /** A bound connection silent this long is closed (clients send INFO every 25 s) [pw: 90 s]. */
  readonly idleTimeoutMs: number;
  /** Send something (STATE) on a connection quiet for this long (spec §7.9: 25 s). */
  readonly keepaliveIntervalMs: number;
  /** A device's UDP path counts as confirmed this long after NAT_OK_CONFIRM (spec §7.8: 35 s). */
  readonly udpConfirmedTtlMs: number;
  /** Largest TCP record payload accepted or produced (spec §3/§7.10: 1994). */
  readonly maxTcpPayload: number;
  /** Largest UDP datagram processed; larger ones are dropped unread [pw: 4096]. */
  readonly maxUdpDatagram: number;
  /**
   * Bytes the I/O layer may hold unsent for one connection (reported with `tcpBacklog`); relayed
   * DATA that would exceed it is dropped, control messages still go [pw: 64 KiB].
   */
  readonly maxSendQueueBytes: number;
  /** Addresses of one INFO stored; the rest are ignored [pw: 32]. */
  readonly maxInfoAddresses: number;
  /** Devices one device may be interested in (REQUEST_INFO targets kept) [pw: 1,024]. */
  readonly maxInterestsPerDevice: number;
  /** Signed messages verified per second per TCP connection and per UDP source IP [pw: 20]. */
  readonly signedRatePerSecond: number;
  /** Burst allowance of that rate [pw: 60]. */
  readonly signedBurst: number;
  /** DATA messages relayed per second per source device [pw: 5,000]. */
  readonly relayRatePerSecond: number;
  /** Burst allowance of that rate [pw: 10,000]. */
  readonly relayBurst: number;
  /** UDP source IPs whose rate buckets are remembered; the oldest go first [pw: 16,384]. */
  readonly maxTrackedUdpSources: number;
  /**
   * Timeouts and keepalives are applied by one sweep over the connections at most this often, so
   * that many connections cost one pass per interval, not one per deadline [pw: 1 s; a
   * keepalive is then at most 1 s late, far inside the client's 35 s].
   */
  readonly sweepIntervalMs: number;
}

export const DEFAULT_BASE_SERVER_LIMITS: BaseServerLimits = Object.freeze({
  maxConnections: 50_000,
  maxConnectionsPerIp: 256,
  maxPendingConnections: 4_096,
  maxDevices: 50_000,
  bindTimeoutMs: 30_000,
  idleTimeoutMs: 90_000,
  keepaliveIntervalMs: 25_000,
  udpConfirmedTtlMs: 35_000,
  maxTcpPayload: MAX_TCP_PAYLOAD,
  maxUdpDatagram: 4_096,
  maxSendQueueBytes: 65_536,
  maxInfoAddresses: 32,
  maxInterestsPerDevice: 1_024,
  signedRatePerSecond: 20,
  signedBurst: 60,
  relayRatePerSecond: 5_000,
  relayBurst: 10_000,
  maxTrackedUdpSources: 16_384,
  sweepIntervalMs: 1_000,
});

export interface HostAgentLimits {
  /** INFO + NAT_INIT + multicast + peer HELLOs this often (spec §2: 25 s) [ref]. */
  readonly refreshIntervalMs: number;
  /** NAT_INIT again this long after the last while unconfirmed (spec §2: 3 s) [ref]. */
  readonly natInitRetryMs: number;
  /** Wait this long after a failed round of base connections before the next (spec §2: 3 s) [ref]. */
  readonly baseReconnectBackoffMs: number;
  /** Reconnect after this long without any TCP message from the base (spec §2: 35 s) [ref]. */
  readonly baseLivenessTimeoutMs: number;
  /** Give up on a base connection that has not said HELLO by then [pw: 35 s, as liveness]. */
  readonly baseHelloTimeoutMs: number;
  /** UDP to the base counts as alive this long after the last NAT_OK (spec §2: 35 s) [ref]. */
  readonly udpBaseAliveMs: number;
  /** A peer without traffic this long is torn down (spec §2: 120 s) [ref]. */
  readonly peerTeardownMs: number;
  /** A direct-path re-establish with no HELLO_REPLY by then falls back (spec §2: 3 s) [ref]. */
  readonly reestablishTimeoutMs: number;
  /** Re-establish attempts triggered by sends after this many failures stop (spec §2: 5) [ref]. */
  readonly maxFailedEstablishments: number;
  /** Source addresses remembered per peer (spec §2/§9: 5) [ref]. */
  readonly maxSourceAddresses: number;
  /** Peers tracked at once; HELLOs from further new devices are ignored [pw: 4,096]. */
  readonly maxPeers: number;
  /** Candidate addresses kept from one DEVICE_ADDRESSES [pw: 32]. */
  readonly maxTargetAddresses: number;
  /** Largest TCP record payload accepted from the base or produced (spec §3: 1994). */
  readonly maxTcpPayload: number;
  /** Timers the agent asks for are at least this far apart (one pass over the peers each) [pw: 100 ms]. */
  readonly timerGranularityMs: number;
  /** Peer HELLOs / HELLO_REPLYs verified per second per source IP; more are dropped unread [pw: 50]. */
  readonly helloRatePerSecond: number;
  /** Burst allowance of that rate [pw: 100]. */
  readonly helloBurst: number;
  /** Source IPs whose HELLO rate buckets are remembered; the oldest go first [pw: 1,024]. */
  readonly maxTrackedHelloSources: number;
}

export const DEFAULT_HOST_AGENT_LIMITS: HostAgentLimits = Object.freeze({
  refreshIntervalMs: 25_000,
  natInitRetryMs: 3_000,
  baseReconnectBackoffMs: 3_000,
  baseLivenessTimeoutMs: 35_000,
  baseHelloTimeoutMs: 35_000,
  udpBaseAliveMs: 35_000,
  peerTeardownMs: 120_000,
  reestablishTimeoutMs: 3_000,
  maxFailedEstablishments: 5,
  maxSourceAddresses: 5,
  maxPeers: 4_096,
  maxTargetAddresses: 32,
  maxTcpPayload: MAX_TCP_PAYLOAD,
  timerGranularityMs: 100,
  helloRatePerSecond: 50,
  helloBurst: 100,
  maxTrackedHelloSources: 1_024,
});

/** Merges `partial` over `defaults`, rejecting values that are not positive finite numbers. */
export function resolveLimits<T extends object>(defaults: T, partial: Partial<T> | undefined): T {
  const out = { ...defaults, ...(partial ?? {}) } as Record<string, unknown>;
  for (const [key, value] of Object.entries(out)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new NatbaseError(
        'BAD_VALUE',
        `limit ${key} must be a positive finite number, got ${String(value)}`,
      );
    }
  }
  return Object.freeze(out) as T;
}
