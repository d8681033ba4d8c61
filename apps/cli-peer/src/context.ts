/**
 * What every command shares: global options, the keychain file, the Spot client, output in text
 * or JSON, and the mapping from failures to exit codes and messages a user can act on.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClientError, SpotClient } from '@peerwire/client';
import { IDCard, type Keychain } from '@peerwire/crypto';
import { loadKeychain } from '@peerwire/crypto/node';
import { connectWebSocket } from '@peerwire/transport/node';
import { PeerwireError } from '@peerwire/wire';

export interface GlobalOptions {
  keychain?: string;
  relay?: string;
  json?: boolean;
  timeout?: number;
}

/** Exit codes: documented in `peerwire --help`. */
export { EXIT } from './exit-codes.js';

import { EXIT } from './exit-codes.js';
import { relayUrlProblem } from './options.js';
import { DialGiveUp, dialReason, watchDials } from './relay-dial.js';

/** A failure the user can fix (its own module: send/recv load it without the Spot client). */
export { CliError } from './cli-error.js';

import { CliError } from './cli-error.js';

export function defaultKeychainPath(): string {
  return join(configDir(), 'keychain');
}

/** `$XDG_CONFIG_HOME/peerwire` (default `~/.config/peerwire`). */
import { configDir } from './config-dir.js';

export { configDir };

export function keychainPath(opts: GlobalOptions): string {
  return opts.keychain ?? process.env.PEERWIRE_KEYCHAIN ?? defaultKeychainPath();
}

/** The signed IDCard is kept beside the keychain so that its Issued time stays stable. */
export function cardPath(keychainFile: string): string {
  return `${keychainFile}.card`;
}

export function passphrase(): string | undefined {
  return process.env.PEERWIRE_PASSPHRASE || undefined;
}

export async function openKeychain(
  opts: GlobalOptions,
): Promise<{ keychain: Keychain; path: string }> {
  const path = keychainPath(opts);
  if (!existsSync(path)) {
    throw new CliError(
      `no keychain at ${path}; create one with: peerwire id new${opts.keychain ? ` --keychain ${path}` : ''}`,
      EXIT.usage,
    );
  }
  const pass = passphrase();
  try {
    return {
      keychain: await loadKeychain(path, pass === undefined ? {} : { passphrase: pass }),
      path,
    };
  } catch (error) {
    if (error instanceof PeerwireError && error.code === 'BAD_PASSPHRASE') {
      throw new CliError(
        pass === undefined
          ? `the keychain ${path} is encrypted: set PEERWIRE_PASSPHRASE`
          : `wrong passphrase for ${path} (PEERWIRE_PASSPHRASE)`,
        EXIT.usage,
      );
    }
    throw new CliError(`cannot read the keychain ${path}: ${(error as Error).message}`);
  }
}

/** The identity's card: the one saved beside the keychain, re-made if missing or foreign. */
export async function loadCard(keychain: Keychain, path: string): Promise<IDCard> {
  const file = cardPath(path);
  if (existsSync(file)) {
    try {
      const card = await IDCard.parseSigned(new Uint8Array(readFileSync(file)));
      if (keychain.has(card.self)) return card;
    } catch {
      // fall through and re-create
    }
  }
  const self = keychain.firstSigner;
  if (!self) throw new CliError(`the keychain ${path} holds no signing key`);
  const card = IDCard.create(self.publicKey).addKeychain(keychain);
  writeFileSync(file, await card.sign(self), { mode: 0o600 });
  return card;
}

export function saveCard(path: string, blob: Uint8Array): void {
  writeFileSync(cardPath(path), blob, { mode: 0o600 });
}

/**
 * The Spot relay URL (`-r`, else PEERWIRE_RELAY, else the local default), checked here rather
 * than by the global option's parser: `send`/`recv` take a `--relay host:port` of their own.
 */
export function relayUrl(opts: GlobalOptions): string {
  const [value, from] =
    opts.relay !== undefined
      ? [opts.relay, '--relay']
      : process.env.PEERWIRE_RELAY !== undefined
        ? [process.env.PEERWIRE_RELAY, 'PEERWIRE_RELAY']
        : ['ws://127.0.0.1:8080/_websocket', 'default'];
  const problem = relayUrlProblem(value);
  if (problem) throw new CliError(`${from}: ${problem}`, EXIT.usage);
  return value;
}

/** Starts a client on the configured relay and waits until it is online. */
export async function connect(opts: GlobalOptions): Promise<SpotClient> {
  const { keychain, path } = await openKeychain(opts);
  const card = await loadCard(keychain, path);
  const url = relayUrl(opts);
  const relays =
    url.startsWith('http://') || url.startsWith('https://') ? { discovery: url } : [url];
  // A refused connection fails fast; retries are shown on stderr (relay-dial.ts).
  const dials = watchDials((line) => process.stderr.write(`${line}\n`));
  let lastDialError: unknown;
  const client = new SpotClient({
    keychain,
    card,
    relays,
    dial: dials.wrap((u) =>
      connectWebSocket(u, { timeoutMs: 10_000 }).catch((error: unknown) => {
        lastDialError = error;
        throw error;
      }),
    ),
    version: 'peerwire-cli',
  });
  try {
    await client.start();
  } catch (error) {
    await client.stop();
    // Discovery (an http(s) --relay) failed: the relay cannot be reached either.
    throw new CliError(
      `cannot reach the relay's discovery at ${url}: ${(error as Error).message}`,
      EXIT.offline,
    );
  }
  try {
    const online = client.waitOnline(opts.timeout ?? 15_000);
    online.catch(() => {}); // settles after a fatal dial too, with nobody left to tell
    await Promise.race([online, dials.fatal]);
  } catch (error) {
    await client.stop();
    const reason =
      error instanceof DialGiveUp
        ? error.reason
        : lastDialError !== undefined
          ? dialReason(lastDialError)
          : `no answer within ${opts.timeout ?? 15_000} ms`;
    throw new CliError(`cannot reach the relay at ${url}: ${reason}`, EXIT.offline);
  }
  return client;
}

/** Reads `@file` arguments as file contents; other text as UTF-8. */
export function payloadArg(arg: string | undefined): Uint8Array {
  if (arg === undefined) return new Uint8Array(0);
  if (arg.startsWith('@')) {
    const file = arg.slice(1);
    try {
      return new Uint8Array(readFileSync(file));
    } catch (error) {
      throw new CliError(`cannot read ${file}: ${(error as Error).message}`, EXIT.usage);
    }
  }
  return new TextEncoder().encode(arg);
}

/** Prints a result: JSON when --json, else the text. */
export function output(opts: GlobalOptions, json: Record<string, unknown>, text: string): void {
  if (opts.json) console.log(JSON.stringify(json));
  else console.log(text);
}

/** Printable form of bytes: UTF-8 text when it is text, else hex. */
export function printable(bytes: Uint8Array): { text?: string; hex?: string } {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: detecting binary content
    if (!/[\u0000-\u0008\u000e-\u001f]/.test(text)) return { text };
  } catch {
    // not UTF-8
  }
  return { hex: Buffer.from(bytes).toString('hex') };
}

/** Maps any failure to a message and exit code. */
export function explain(error: unknown): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof ClientError) {
    switch (error.code) {
      case 'OFFLINE':
      case 'DISCOVERY_FAILED':
        return new CliError(error.message, EXIT.offline);
      case 'TIMEOUT':
        return new CliError(error.message, EXIT.timeout);
      case 'REMOTE_ERROR':
        return new CliError(`remote error: ${error.message}`, EXIT.remote);
      case 'UNKNOWN_IDENTITY':
        return new CliError(`${error.message} (has it ever connected to this relay?)`, EXIT.remote);
      case 'BAD_ADDRESS':
        return new CliError(error.message, EXIT.usage);
      default:
        return new CliError(error.message);
    }
  }
  if (error instanceof PeerwireError) return new CliError(`${error.message} (${error.code})`);
  return new CliError(error instanceof Error ? error.message : String(error));
}
