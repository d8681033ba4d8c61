/** The rate limiter the relay uses; it lives in `@peerwire/wire` and is re-exported here. */
export { TokenBucket } from '@peerwire/wire';
export type { BusAnnouncement, RelayBus } from './bus.js';
export { localOnlyBus } from './bus.js';
export type { RelayErrorCode } from './errors.js';
export { RelayError } from './errors.js';
export type { RelayLimits } from './limits.js';
export { DEFAULT_RELAY_LIMITS, RELAY_LIMIT_DESCRIPTIONS, resolveLimits } from './limits.js';
export type {
  DropReason,
  RejectReason,
  RelayClock,
  RelayEvent,
  RelayOptions,
  RelayPeer,
  RelayRandom,
  RelayStats,
  Session,
} from './relay.js';
export { CLOSE_GOING_AWAY, CLOSE_POLICY, CLOSE_TOO_BIG, CLOSE_TRY_LATER, Relay } from './relay.js';
export type { BlobQuota, BlobUsage, RelayStore, StoredCard, StoredMembership } from './store.js';
export { MemoryRelayStore } from './store.js';
export type {
  RelayWork,
  StoreOp,
  StoreValues,
  VerifyCheck,
  VerifyValues,
  WorkResult,
} from './work.js';
export { WorkRunner } from './work-runner.js';
