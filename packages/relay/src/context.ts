import type { CryptoBackend } from '@peerwire/crypto';
import type { RelayEvent, RelayStats } from './events.js';
import type { RelayLimits } from './limits.js';
import type { RelayStore } from './store.js';

/** Injected time: milliseconds since the Unix epoch. */
export interface RelayClock {
  now(): number;
}

/** Injected randomness. */
export interface RelayRandom {
  /** `n` cryptographically random bytes (handshake nonces, connection names). */
  bytes(n: number): Uint8Array;
  /** A uniform integer in [0, n) (choosing among an identity's connections). */
  int(n: number): number;
}

/** What every part of the relay core shares: configuration, injected I/O, counters, events. */
export interface RelayContext {
  readonly serverCode: string;
  readonly version: string;
  readonly limits: RelayLimits;
  readonly store: RelayStore;
  readonly clock: RelayClock;
  readonly random: RelayRandom;
  readonly stats: RelayStats;
  /** Options for every signature check (the injected crypto backend, when there is one). */
  readonly verifyOptions: { readonly backend?: CryptoBackend };
  event(event: RelayEvent): void;
}
