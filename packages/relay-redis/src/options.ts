import { RelayRedisError } from './errors.js';

/** Every limit and timer of the Redis cluster adapter (named, documented, configurable). */
export interface RedisClusterLimits {
  /**
   * How often a relay refreshes its presence in Redis and tells the other relays it is alive
   * (ms). One heartbeat costs a fixed handful of commands, however many identities are online.
   */
  readonly heartbeatMs: number;
  /**
   * How long presence lives without a heartbeat (ms): a crashed relay's clients vanish from
   * every other relay's view, and its keys from Redis, within this time. Must exceed
   * `heartbeatMs` (3x by default, so two lost heartbeats are tolerated).
   */
  readonly presenceTtlMs: number;
  /** Publishes waiting for Redis at once; beyond it cross-relay deliveries fail fast. */
  readonly maxPendingPublishes: number;
  /** Largest bus envelope sent or accepted (bytes): a Spot packet plus a short header. */
  readonly maxEnvelopeBytes: number;
  /**
   * Largest batch (bytes): the envelopes routed to one relay during one event-loop turn leave
   * in one PUBLISH of at most this size (a fuller batch is sent at once). An envelope too large
   * for a batch goes alone. Also the largest batch accepted from another relay.
   */
  readonly maxBatchBytes: number;
  /** Remote connections of one identity kept in the presence view; more are ignored. */
  readonly maxPresencePerIdentity: number;
  /** Remote connections kept in the presence view in all. */
  readonly maxPresenceEntries: number;
  /** How long the first connection to Redis may take before the start fails (ms). */
  readonly connectTimeoutMs: number;
  /** Longest wait between two reconnection attempts (ms). */
  readonly reconnectMaxDelayMs: number;
}

export const DEFAULT_CLUSTER_LIMITS: RedisClusterLimits = {
  heartbeatMs: 2_000,
  presenceTtlMs: 6_000,
  maxPendingPublishes: 10_000,
  maxEnvelopeBytes: 1024 * 1024 + 1024,
  maxBatchBytes: 256 * 1024,
  maxPresencePerIdentity: 64,
  maxPresenceEntries: 1_000_000,
  connectTimeoutMs: 5_000,
  reconnectMaxDelayMs: 2_000,
};

/** Fills the defaults and checks the values. */
export function resolveClusterLimits(partial?: Partial<RedisClusterLimits>): RedisClusterLimits {
  const limits = { ...DEFAULT_CLUSTER_LIMITS, ...partial };
  for (const [name, value] of Object.entries(limits)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new RelayRedisError('BAD_OPTIONS', `${name} must be a positive number`);
    }
  }
  if (limits.presenceTtlMs <= limits.heartbeatMs) {
    throw new RelayRedisError('BAD_OPTIONS', 'presenceTtlMs must exceed heartbeatMs');
  }
  return limits;
}
