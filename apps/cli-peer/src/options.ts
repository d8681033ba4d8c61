/**
 * Parsers for option values, shared by every command: a bad value is a usage error (exit 2)
 * that names the option and says what it takes, before anything connects anywhere.
 */
import { InvalidArgumentError } from 'commander';

/** A whole number from `min` to `max` (commander argParser). */
export function integerArg(what: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(
        `${what} is a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? '' : ` to ${max}`}`,
      );
    }
    return n;
  };
}

/** `--timeout <ms>`: at least 1 ms. */
export const timeoutArg = integerArg('a timeout in milliseconds', 1);

/** `-n, --count <n>`: at least 1. */
export const countArg = integerArg('a count', 1);

const RELAY_SCHEMES = new Set(['ws:', 'wss:', 'http:', 'https:']);

/**
 * A Spot relay URL: `ws(s)://host[:port]/_websocket`, or an `http(s)://` base for discovery.
 * Returns the reason it is not one, or undefined when it is.
 */
export function relayUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${value} is not a URL; give ws://host:port/_websocket or an http(s):// base for discovery`;
  }
  if (!RELAY_SCHEMES.has(url.protocol)) {
    return `${value}: a relay URL starts with ws://, wss://, http:// or https://`;
  }
  return undefined;
}
