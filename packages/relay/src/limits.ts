import { DEFAULT_MAX_BODY_LENGTH, MAX_NAME_LENGTH } from '@peerwire/wire';
import { RelayError } from './errors.js';

/** Every limit the relay enforces. All are configurable; the defaults are safe for a public relay. */
export interface RelayLimits {
  /** Largest packet (one WebSocket message) in bytes. Over it: close 1009. */
  readonly maxPacketBytes: number;
  /** Largest instant-message body in bytes. Over it: close 1009. */
  readonly maxBodyBytes: number;
  /** Longest recipient or sender name in bytes. Over it: close 1009. */
  readonly maxNameBytes: number;
  /** Largest ping payload echoed back. Over it: close 1009. */
  readonly maxPingBytes: number;
  /** Time allowed from connection to a valid handshake response, in ms. */
  readonly handshakeTimeoutMs: number;
  /** Sustained instant messages per second per connection (token bucket rate). */
  readonly messagesPerSecond: number;
  /** Instant messages a connection may send in a burst. */
  readonly messageBurst: number;
  /** Sustained bytes per second per connection. */
  readonly bytesPerSecond: number;
  /** Bytes a connection may send in a burst. */
  readonly byteBurst: number;
  /** Bytes waiting to be written to one connection; beyond it, messages to it are dropped and counted. */
  readonly maxQueuedBytes: number;
  /** Simultaneous connections from one IP address. */
  readonly maxConnectionsPerIp: number;
  /** Simultaneous connections in total. */
  readonly maxConnections: number;
  /** Blobs one identity may store. */
  readonly maxBlobsPerIdentity: number;
  /** Bytes of blobs one identity may store. */
  readonly maxBlobBytesPerIdentity: number;
  /** Largest blob key in bytes. */
  readonly maxBlobKeyBytes: number;
  /** Identities one identity may watch through `@/idcard_find`. */
  readonly maxSubscriptionsPerIdentity: number;
  /** Memberships kept per group (registry). */
  readonly maxMembersPerGroup: number;
  /**
   * Requests remembered so that their response goes back to the connection that asked, when
   * the asker's identity has several connections (the oldest are forgotten first).
   */
  readonly maxReplyRoutes: number;
  /** How long such a request is remembered, in ms. */
  readonly replyRouteTtlMs: number;
  /**
   * Group memberships honoured per presented IDCard: only the first ones are verified (each is
   * a signature check) and routed to (`g.`); the rest are ignored, the card is not refused.
   */
  readonly maxGroupsPerCard: number;
  /**
   * Parsed recipient targets cached (recipients repeat, and parsing validates a hash). When full
   * the cache is emptied; a miss only costs a parse.
   */
  readonly targetCacheSize: number;
}

export const DEFAULT_RELAY_LIMITS: RelayLimits = {
  maxPacketBytes: 1024 * 1024,
  maxBodyBytes: DEFAULT_MAX_BODY_LENGTH,
  maxNameBytes: MAX_NAME_LENGTH,
  maxPingBytes: 4096,
  handshakeTimeoutMs: 30_000,
  messagesPerSecond: 500,
  messageBurst: 2000,
  bytesPerSecond: 4 * 1024 * 1024,
  byteBurst: 16 * 1024 * 1024,
  maxQueuedBytes: 4 * 1024 * 1024,
  maxConnectionsPerIp: 64,
  maxConnections: 50_000,
  maxBlobsPerIdentity: 1000,
  maxBlobBytesPerIdentity: 16 * 1024 * 1024,
  maxBlobKeyBytes: 256,
  maxSubscriptionsPerIdentity: 1000,
  maxMembersPerGroup: 100_000,
  maxReplyRoutes: 65_536,
  replyRouteTtlMs: 300_000,
  maxGroupsPerCard: 32,
  targetCacheSize: 4096,
};

/** One line per limit, for generated help (`peerwire-relay --help-config`). */
export const RELAY_LIMIT_DESCRIPTIONS: { readonly [K in keyof RelayLimits]: string } = {
  maxPacketBytes: 'largest packet (one WebSocket message) in bytes; over it: close 1009',
  maxBodyBytes: 'largest instant-message body in bytes; over it: close 1009',
  maxNameBytes: 'longest recipient or sender name in bytes; over it: close 1009',
  maxPingBytes: 'largest ping payload echoed back; over it: close 1009',
  handshakeTimeoutMs: 'time from connection to a valid handshake response (ms); then close 1008',
  messagesPerSecond: 'sustained instant messages per second per connection',
  messageBurst: 'instant messages a connection may send in a burst',
  bytesPerSecond: 'sustained bytes per second per connection',
  byteBurst: 'bytes a connection may send in a burst',
  maxQueuedBytes: 'bytes waiting to be written to one connection; beyond: dropped, counted',
  maxConnectionsPerIp: 'simultaneous connections from one IP address (refused with 1013)',
  maxConnections: 'simultaneous connections in total (refused with 1013)',
  maxBlobsPerIdentity: 'blobs one identity may store (@/store_blob)',
  maxBlobBytesPerIdentity: 'bytes of blobs one identity may store',
  maxBlobKeyBytes: 'largest blob key in bytes',
  maxSubscriptionsPerIdentity: 'identities one identity may watch through @/idcard_find',
  maxMembersPerGroup: 'memberships kept per group in the registry (@/group_update)',
  maxReplyRoutes: 'requests remembered to route their response to the asking connection',
  replyRouteTtlMs: 'how long such a request is remembered (ms)',
  maxGroupsPerCard: 'memberships of a presented IDCard verified and routed to (the rest ignored)',
  targetCacheSize: 'parsed recipient targets cached (emptied when full)',
};

/** Merges `overrides` into the defaults and checks every value is a positive number. */
export function resolveLimits(overrides: Partial<RelayLimits> = {}): RelayLimits {
  const limits = { ...DEFAULT_RELAY_LIMITS, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
      throw new RelayError(
        'BAD_CONFIG',
        `relay limit ${name} must be a positive number, got ${String(value)}`,
      );
    }
  }
  return limits;
}
