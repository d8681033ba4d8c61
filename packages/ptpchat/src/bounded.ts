import { BoundedMap, type EvictionOrder } from '@peerwire/wire';

/** A size limit as `BoundedMap` takes it: a whole number, at least 0, or Infinity. */
export const boundOf = (n: number): number =>
  Number.isNaN(n) ? 0 : n === Number.POSITIVE_INFINITY ? n : Math.max(0, Math.floor(n));

/** A wire `BoundedMap` of at most `maxEntries` (any number: see `boundOf`). */
export function boundedMap<K, V>(maxEntries: number, order: EvictionOrder): BoundedMap<K, V> {
  return new BoundedMap<K, V>({ maxEntries: boundOf(maxEntries), order });
}
