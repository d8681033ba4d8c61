import type { Clock, RandomSource } from '@peerwire/wire';
import type { RelayEvent, RelayStats } from './events.js';
import type { RelayLimits } from './limits.js';
import type { RelayStore } from './store.js';

/** Injected time: milliseconds since the Unix epoch (`Clock` from `@peerwire/wire`). */
export type RelayClock = Clock;

/**
 * Injected randomness (`RandomSource` from `@peerwire/wire`): `bytes` for handshake nonces and
 * connection names, `int` for choosing among an identity's connections.
 */
export type RelayRandom = RandomSource;

/** What every part of the relay core shares: configuration, injected I/O, counters, events. */
export interface RelayContext {
  readonly serverCode: string;
  readonly version: string;
  readonly limits: RelayLimits;
  readonly store: RelayStore;
  readonly clock: RelayClock;
  readonly random: RelayRandom;
  readonly stats: RelayStats;
  event(event: RelayEvent): void;
}
