/**
 * Injected time, for every sans-I/O core: milliseconds since the Unix epoch. Cores never read
 * the system clock themselves; hosts pass `wallClock` (or a test's fake clock).
 */
export interface Clock {
  now(): number;
}

/** The system's wall clock (`Date.now()`), for hosts. */
export const wallClock: Clock = { now: () => Date.now() };
