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

/** `--secure-port`, `datt serve --port` and the like. */
export const portArg = (min = 1) => integerArg('a port', min, 65535);

/** `--get-price`, `--post-price`: satoshis from 0. */
export const satoshisArg = integerArg('an amount in satoshis', 0);

/**
 * `host:port` (or `host` when `portOptional`; `[v6]:port` for IPv6): the reason it is not one, or
 * undefined. The port is a whole number from 1 to 65535.
 */
export function hostPortProblem(value: string, portOptional = false): string | undefined {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:/\s[\]]+)(?::([^:]*))?$/.exec(value);
  if (!m) return `${value} is not host:port`;
  const port = m[2];
  if (port === undefined) return portOptional ? undefined : `${value} has no port (host:port)`;
  const n = Number(port);
  if (!/^\d+$/.test(port) || n < 1 || n > 65535)
    return `${value}: the port is a whole number from 1 to 65535`;
  return undefined;
}
