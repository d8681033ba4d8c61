import { TransportError } from './errors.js';
import {
  DEFAULT_CLOSE_TIMEOUT_MS,
  DEFAULT_HIGH_WATER_MARK,
  DEFAULT_LOW_WATER_MARK,
  DEFAULT_MAX_BUFFERED_AMOUNT,
  DEFAULT_MAX_HELD_MESSAGES,
  type LinkOptions,
} from './link.js';

/** `value` if it is an integer in [min, max], `fallback` if undefined; otherwise `BAD_OPTION`. */
export function intOption(
  name: string,
  value: number | undefined,
  fallback: number,
  min = 1,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new TransportError(
      'BAD_OPTION',
      `option ${name} must be an integer from ${min} to ${max}, got ${String(value)}`,
    );
  }
  return value;
}

/** Flow-control limits after defaults and validation. */
export interface ResolvedLinkOptions {
  readonly highWaterMark: number;
  readonly lowWaterMark: number;
  readonly maxBufferedAmount: number;
  readonly closeTimeoutMs: number;
  readonly maxHeldMessages: number;
}

export function resolveLinkOptions(options: LinkOptions = {}): ResolvedLinkOptions {
  const highWaterMark = intOption('highWaterMark', options.highWaterMark, DEFAULT_HIGH_WATER_MARK);
  const lowWaterMark = intOption(
    'lowWaterMark',
    options.lowWaterMark,
    Math.min(DEFAULT_LOW_WATER_MARK, highWaterMark >>> 2),
    0,
    highWaterMark,
  );
  const maxBufferedAmount = intOption(
    'maxBufferedAmount',
    options.maxBufferedAmount,
    Math.max(DEFAULT_MAX_BUFFERED_AMOUNT, highWaterMark * 2),
    highWaterMark,
  );
  return {
    highWaterMark,
    lowWaterMark,
    maxBufferedAmount,
    closeTimeoutMs: intOption('closeTimeoutMs', options.closeTimeoutMs, DEFAULT_CLOSE_TIMEOUT_MS),
    maxHeldMessages: intOption(
      'maxHeldMessages',
      options.maxHeldMessages,
      DEFAULT_MAX_HELD_MESSAGES,
      0,
    ),
  };
}
