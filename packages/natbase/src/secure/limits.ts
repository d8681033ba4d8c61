/** The secure layer's limits and timers (spec §2, §11), every one configurable. */
export interface SecureLimits {
  /** Packets queued per peer while the handshake runs (spec §2: 10). Further ones are dropped. */
  readonly maxQueuedPackets: number;
  /**
   * The largest packet accepted from a peer: upstream drops secure packets of 2000 bytes or more
   * ("rejects cleartext over about 2000 bytes"), so 1999.
   */
  readonly maxPacketLength: number;
  /**
   * The largest payload `send` seals: 1999 − 49 = 1950, so that every packet peerwire sends is
   * one the reference client accepts.
   */
  readonly maxPayloadLength: number;
  /** A measured RTT is reported for this long after its heartbeat reply (upstream: 10 s). */
  readonly latencyValidityMs: number;
  /** Peers tracked at once (each holds keys and a queue); packets from further ones are dropped. */
  readonly maxPeers: number;
  /**
   * While packets wait for a handshake, HELLO 1 is repeated after this long without keys
   * (`timer`). peerwire: upstream repeats it only on the next send, so a lost HELLO 1 (no base
   * yet, the peer not yet at the base) strands the queue until the application sends again.
   */
  readonly helloRetryMs: number;
  /** Repeats of HELLO 1 for one queue; then it is dropped (`HANDSHAKE_TIMEOUT`). */
  readonly maxHelloRetries: number;
}

export const DEFAULT_SECURE_LIMITS: SecureLimits = {
  maxQueuedPackets: 10,
  maxPacketLength: 1999,
  maxPayloadLength: 1950,
  latencyValidityMs: 10_000,
  maxPeers: 4096,
  helloRetryMs: 1_000,
  maxHelloRetries: 15,
};

export function resolveSecureLimits(overrides: Partial<SecureLimits> = {}): SecureLimits {
  return { ...DEFAULT_SECURE_LIMITS, ...overrides };
}
