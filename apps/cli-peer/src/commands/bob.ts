/**
 * `peerwire send` and `peerwire recv`: bob-compatible file transfer (dinosaure/bob) through a
 * bob relay, with a password shared out of band.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import {
  BobError,
  DEFAULT_SECURE_PORT,
  type ReceiveResult,
  receive,
  type SendResult,
  sendPath,
} from '@peerwire/bob/node';
import { type Command, InvalidArgumentError } from 'commander';
import { CliError } from '../cli-error.js';
import { configDir } from '../config-dir.js';
import type { GlobalOptions } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { hostPortProblem, portArg } from '../options.js';
import { formatBytes, ProgressDisplay, type ProgressMode } from '../progress-bar.js';

/** bob's public relay, used by `bob` itself when no relay is given (spec §9). */
export const DEFAULT_BOB_RELAY = 'osau.re:9000';

function parseMimeType(value: string): string {
  if (!/^[\w.+-]+\/[\w.+*-]+$/.test(value))
    throw new InvalidArgumentError('a MIME type looks like type/subtype, e.g. video/mp4');
  return value;
}

interface TransferFlags {
  relay?: string;
  securePort?: number;
}

/** The file whose presence says the public-relay notice was shown once (in the config dir). */
export const PUBLIC_RELAY_NOTICE_FILE = 'bob-public-relay-noticed';

/**
 * Once per user (a marker file in the config dir): `send`/`recv` without a relay use bob's
 * public relay on the internet; say so on stderr the first time.
 */
function noticePublicRelay(): void {
  const marker = join(configDir(), PUBLIC_RELAY_NOTICE_FILE);
  if (existsSync(marker)) return;
  process.stderr.write(
    `Note: no --relay given, so this goes through ${DEFAULT_BOB_RELAY}, bob's public relay on the internet ` +
      '(it cannot read the data, which is end-to-end encrypted, but it sees both IP addresses and the size). ' +
      'Use --relay host:port or PEERWIRE_BOB_RELAY for another. ' +
      'This note is shown once.\n',
  );
  try {
    mkdirSync(configDir(), { recursive: true, mode: 0o700 });
    writeFileSync(marker, '', { mode: 0o600 });
  } catch {
    // Cannot remember it: the note shows again next time, which is harmless.
  }
}

/** The bob relay: --relay, else PEERWIRE_BOB_RELAY, else bob's public relay. */
export function bobRelay(flags: TransferFlags, g: GlobalOptions): string {
  // `--relay` is also a global option (the Spot relay URL); commander gives it to the program.
  const relay = flags.relay ?? g.relay ?? (process.env.PEERWIRE_BOB_RELAY || DEFAULT_BOB_RELAY);
  const from = (flags.relay ?? g.relay) !== undefined ? '--relay' : 'PEERWIRE_BOB_RELAY';
  if (relay.includes('://') || relay.includes('/')) {
    throw new CliError(
      `${relay} is a URL; send and recv talk to a bob relay: give --relay host:port (bob's default is ${DEFAULT_BOB_RELAY})`,
      EXIT.usage,
    );
  }
  // Checked before a password is drawn or printed.
  const problem = hostPortProblem(relay, true);
  if (problem) throw new CliError(`${from}: ${problem}`, EXIT.usage);
  if (flags.relay === undefined && g.relay === undefined && !process.env.PEERWIRE_BOB_RELAY)
    noticePublicRelay();
  return relay;
}

function progressMode(g: GlobalOptions): ProgressMode {
  if (g.json) return 'json';
  return process.stderr.isTTY ? 'tty' : 'lines';
}

/** Lines typed on stdin (the password and the accept answer), read on demand. */
class Stdin {
  #rl: Interface | undefined;
  #lines: string[] = [];
  #waiting: ((line: string | undefined) => void)[] = [];
  #ended = false;

  #open(): void {
    if (this.#rl) return;
    this.#rl = createInterface({ input: process.stdin, terminal: false });
    this.#rl.on('line', (line) => {
      const w = this.#waiting.shift();
      if (w) w(line);
      else this.#lines.push(line);
    });
    this.#rl.on('close', () => {
      this.#ended = true;
      for (const w of this.#waiting.splice(0)) w(undefined);
    });
  }

  /** The next line, or `undefined` once stdin has ended. */
  line(): Promise<string | undefined> {
    this.#open();
    const line = this.#lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.#ended) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  close(): void {
    this.#rl?.close();
    process.stdin.unref?.();
  }
}

/** Ctrl-C cancels the transfer cleanly (temporary files removed) instead of killing it. */
function cancelOnSignal(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** A BobError as a message the user can act on, with its exit code. */
export function explainBob(error: unknown, side: 'send' | 'recv'): unknown {
  if (!(error instanceof BobError)) return error;
  const m = error.message;
  switch (error.code) {
    case 'WRONG_PASSWORD':
      return new CliError(`${m}; check the password with the sender`, EXIT.wrongPassword);
    case 'REFUSED':
      return new CliError(m, side === 'send' ? EXIT.remote : EXIT.failure);
    case 'RELAY_TIMEOUT':
      return new CliError(
        side === 'send'
          ? `${m}: nobody received with this password in time`
          : `${m}: no sender with this password came in time`,
        EXIT.timeout,
      );
    case 'CONNECTION_FAILED':
    case 'RELAY_CLOSED':
    case 'SECURE_ROOM_REFUSED':
      return new CliError(`${m} (check --relay and --secure-port)`, EXIT.offline);
    case 'FILE_EXISTS':
      return new CliError(
        `${m.replace(/ \(use force[^)]*\)$/, '')}; nothing was overwritten (use --force to replace it, or -o to save elsewhere)`,
        EXIT.failure,
      );
    case 'NOT_FOUND':
      return new CliError(m, EXIT.usage);
    case 'TAMPERED':
    case 'CHECKSUM_MISMATCH':
    case 'RECORD_TOO_LARGE':
    case 'UNEXPECTED_DATA':
    case 'BAD_PACK':
    case 'BAD_ZLIB':
    case 'BAD_OBJECT':
    case 'OBJECT_MISSING':
    case 'BAD_DELTA':
    case 'UNSAFE_PATH':
    case 'LIMIT_EXCEEDED':
      return new CliError(
        `rejected: ${m} (${error.code}); nothing was saved as complete`,
        EXIT.rejected,
      );
    case 'TRUNCATED':
      return new CliError(`${m}; nothing was saved as complete`, EXIT.failure);
    case 'ABORTED':
      return new CliError('cancelled', EXIT.failure);
    case 'PEER_STOPPED':
    case 'INTERRUPTED':
      // The relay did its part (the pairing worked): no --relay advice here.
      return new CliError(side === 'recv' ? `${m}; nothing was saved` : m, EXIT.failure);
    default:
      return new CliError(`${m} (${error.code})`, EXIT.failure);
  }
}

function json(value: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** `--relay` and `--secure-port`, shared by `send` and `recv`. */
function withBobRelayOptions(command: Command): Command {
  return command
    .option(
      '--relay <host:port>',
      `bob relay (env PEERWIRE_BOB_RELAY; default ${DEFAULT_BOB_RELAY}, bob's public relay on the internet; port 9000 if omitted)`,
    )
    .option(
      '--secure-port <port>',
      `the relay's secure-room port (default ${DEFAULT_SECURE_PORT})`,
      portArg(),
    );
}

export function registerBob(program: Command, globals: () => GlobalOptions): void {
  const send = program
    .command('send')
    .description(
      `send a file or a folder to whoever knows the password, through a bob relay (bob-compatible; default: ${DEFAULT_BOB_RELAY}, a public relay on the internet)`,
    )
    .argument('<path>', 'file or folder to send')
    .option('-p, --password <password>', 'use this password (default: a generated one, printed)')
    .option('--no-compression', 'send without zlib compression (faster for media and archives)')
    .option(
      '--mime-type <type>',
      "the payload's MIME type; video/*, audio/* and image/* are sent without compression",
      parseMimeType,
    );
  withBobRelayOptions(send).action(
    async (
      path: string,
      opts: TransferFlags & { password?: string; compression: boolean; mimeType?: string },
    ) => {
      const g = globals();
      const relay = bobRelay(opts, g);
      if (opts.password === '') throw new CliError('the password is empty', EXIT.usage);
      const display = new ProgressDisplay(progressMode(g), 'sent', {
        err: process.stderr,
        out: process.stdout,
      });
      // The JSON stream always opens with the password event; a password the user chose is not
      // echoed (it may be in the shell history already, but need not be in logs too).
      if (g.json && opts.password !== undefined) json({ event: 'password', generated: false });
      const cancel = cancelOnSignal();
      let result: SendResult;
      try {
        result = await sendPath(path, {
          relay,
          securePort: opts.securePort,
          password: opts.password,
          compression: opts.compression,
          mimeType: opts.mimeType,
          handshakeTimeoutMs: g.timeout,
          signal: cancel.signal,
          onProgress: (p) => display.update(p),
          onEvent: (e) => {
            if (e.type === 'password') {
              if (g.json) json({ event: 'password', generated: true, password: e.password });
              else {
                console.log(`Password: ${e.password}`);
                console.log(`On the other side: peerwire recv ${e.password}`);
              }
            } else if (e.type === 'paired') {
              if (g.json) json({ event: 'paired', peer: e.peerIdentity });
              else process.stderr.write(`Sending to ${e.peerIdentity}\n`);
            } else if (e.type === 'skipped') {
              if (g.json) json({ event: 'skipped', path: e.path, reason: e.reason });
              else
                process.stderr.write(
                  `Skipped ${e.reason === 'symlink' ? 'symbolic link' : 'special file'} ${e.path} (not sent)\n`,
                );
            } else if (e.type === 'attempt-failed' && g.json) {
              json({ event: 'attempt-failed', peer: e.identity ?? null, failure: e.failure });
            }
          },
        });
      } catch (error) {
        throw explainBob(error, 'send');
      } finally {
        display.close();
        cancel.dispose();
      }
      if (g.json) {
        json({ event: 'done', ...result, password: undefined });
      } else {
        console.log(
          `Sent ${result.kind} ${result.name} (${formatBytes(result.bytes)}) to ${result.peerIdentity}${result.confirmed ? '' : ' (the receiver did not confirm the end)'}`,
        );
      }
    },
  );

  const recv = program
    .command('recv')
    .description(
      `receive what a sender with the same password sends, through a bob relay (default: ${DEFAULT_BOB_RELAY}, a public relay on the internet)`,
    )
    .argument('[password]', 'the password the sender printed (asked on stdin when omitted)')
    .option('-o, --output <dir>', 'folder to save into (created if missing; default: here)')
    .option('-y, --yes', 'accept the sender without asking')
    .option('--force', 'replace an existing file, or merge into an existing folder');
  withBobRelayOptions(recv).action(
    async (
      given: string | undefined,
      opts: TransferFlags & { output?: string; yes?: boolean; force?: boolean },
    ) => {
      const g = globals();
      const relay = bobRelay(opts, g);
      const stdin = new Stdin();
      const cancel = cancelOnSignal();
      const display = new ProgressDisplay(progressMode(g), 'received', {
        err: process.stderr,
        out: process.stdout,
      });
      let result: ReceiveResult;
      try {
        let password = given;
        if (password === undefined) {
          process.stderr.write('Password: ');
          password = (await stdin.line())?.trim();
          if (!password)
            throw new CliError('no password given (pass it as an argument)', EXIT.usage);
        }
        const outDir = opts.output ?? '.';
        await mkdir(outDir, { recursive: true }).catch((cause: unknown) => {
          throw new CliError(
            `cannot create the output folder ${outDir}: ${(cause as Error).message}`,
            EXIT.usage,
          );
        });
        if (!(await stat(outDir)).isDirectory())
          throw new CliError(`${outDir} is not a folder`, EXIT.usage);
        result = await receive(password, {
          relay,
          securePort: opts.securePort,
          outDir,
          force: opts.force === true,
          handshakeTimeoutMs: g.timeout,
          signal: cancel.signal,
          accept: async (identity) => {
            if (opts.yes) return true;
            process.stderr.write(`Accept from ${identity} [Y/n] `);
            const answer = await stdin.line();
            if (answer === undefined) {
              process.stderr.write('\nno answer on stdin: refusing (use -y to accept)\n');
              return false;
            }
            if (!process.stdin.isTTY) process.stderr.write(`${answer}\n`); // not echoed
            return !/^\s*n(o)?\s*$/i.test(answer);
          },
          onProgress: (p) => display.update(p),
          onEvent: (e) => {
            if (!g.json) return;
            if (e.type === 'paired') json({ event: 'paired', peer: e.peerIdentity });
            else if (e.type === 'file')
              json({ event: 'file', name: e.name, size: e.size, path: e.path });
            else if (e.type === 'folder') json({ event: 'folder', objects: e.objects });
          },
        });
      } catch (error) {
        throw explainBob(error, 'recv');
      } finally {
        display.close();
        cancel.dispose();
        stdin.close();
      }
      if (g.json) {
        json({ event: 'done', ...result });
      } else {
        const what =
          result.kind === 'file'
            ? `file ${result.name} (${formatBytes(result.bytes)})`
            : `folder ${result.name} (${result.files} files, ${formatBytes(result.bytes)})`;
        console.log(`Received ${what} from ${result.peerIdentity}`);
        console.log(`Saved to ${result.path}; PACK checksum verified (SHA-1 ${result.checksum})`);
      }
    },
  );
}
