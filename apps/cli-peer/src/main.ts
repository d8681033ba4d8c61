#!/usr/bin/env -S node --max-semi-space-size=1
/**
 * peerwire: the command-line peer.
 *
 * The shebang caps V8's young generation at 1 MiB per semi-space (Node 20's default grows to
 * 16 MiB): measured on 256 MiB `send`/`recv` transfers, peak RSS fell from ~108 to ~94 MiB
 * (sender) and from ~105 to ~79 MiB (receiver), and user CPU by ~12% (sender) and ~16%
 * (receiver): node:crypto hands out one buffer per record, and the smaller young generation
 * collects them sooner. `node dist/main.js` does not read the shebang; the bench passes the
 * same flags (packages/bob/bench).
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import type { GlobalOptions } from './context.js';
import { EXIT } from './exit-codes.js';
import { timeoutArg } from './options.js';

type Register = (program: Command, globals: () => GlobalOptions) => void;

/**
 * Each command group's module, loaded only when its command runs: the groups' imports (crypto,
 * transports, bob, datt) cost far more than most commands do. Help lists every group, so it
 * loads them all. Order is the order of `--help`.
 */
const GROUPS: readonly (readonly [names: readonly string[], load: () => Promise<Register>])[] = [
  [['id'], async () => (await import('./commands/id.js')).registerId],
  [['spot'], async () => (await import('./commands/spot.js')).registerSpot],
  [['group'], async () => (await import('./commands/group.js')).registerGroup],
  [['datt'], async () => (await import('./commands/datt.js')).registerDatt],
  [['send', 'recv'], async () => (await import('./commands/bob.js')).registerBob],
  [['chat'], async () => (await import('./commands/chat.js')).registerChat],
  [['net'], async () => (await import('./commands/net.js')).registerNet],
];

/** Global options that take a value (the word after them is not the command). */
const VALUE_OPTIONS = new Set(['-k', '--keychain', '-r', '--relay', '-t', '--timeout']);

/** The command word of `argv` (after the global options), if any. */
function commandWord(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return argv[i + 1];
    if (VALUE_OPTIONS.has(arg)) i++;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

/** The groups this run needs: the one named, none for a bare `--version`, else all (help, typos). */
function groupsFor(argv: readonly string[]): (typeof GROUPS)[number][] {
  const word = commandWord(argv);
  const named = GROUPS.find(([names]) => word !== undefined && names.includes(word));
  if (named) return [named];
  if (word === undefined && argv.some((a) => a === '-V' || a === '--version')) return [];
  return [...GROUPS];
}

const { version } = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
) as { version: string };

const program = new Command()
  .name('peerwire')
  .description('peerwire command-line peer')
  .version(version)
  .option(
    '-k, --keychain <file>',
    'keychain file (env PEERWIRE_KEYCHAIN; default ~/.config/peerwire/keychain)',
  )
  .option(
    '-r, --relay <url>',
    'relay WebSocket URL, or an http(s) base for discovery (env PEERWIRE_RELAY; default ws://127.0.0.1:8080/_websocket)',
  )
  .option('--json', 'print results as JSON lines')
  .option('-t, --timeout <ms>', 'how long to wait for the relay and for answers', timeoutArg)
  .showHelpAfterError('(peerwire --help, or peerwire <command> --help, lists the options)')
  .exitOverride()
  .addHelpText(
    'after',
    `
Exit codes: 0 ok, 1 failure, 2 usage, 3 relay unreachable, 4 timeout, 5 error answered by the other side.
send/recv: 5 the receiver refused, 6 wrong password, 7 received data rejected (tampered, corrupt or unsafe; nothing saved).
The keychain is encrypted at rest when PEERWIRE_PASSPHRASE is set.`,
  );

const globals = () => program.opts<GlobalOptions>();
const registers = await Promise.all(groupsFor(process.argv.slice(2)).map(([, load]) => load()));
for (const register of registers) register(program, globals);

for (const cmd of program.commands) cmd.exitOverride();

try {
  await program.parseAsync();
} catch (error) {
  if (error instanceof CommanderError) {
    process.exit(error.exitCode === 0 ? EXIT.ok : EXIT.usage);
  }
  const { explain } = await import('./context.js');
  const e = explain(error);
  if (globals().json) console.log(JSON.stringify({ error: e.message, exitCode: e.exitCode }));
  else console.error(`peerwire: ${e.message}`);
  process.exit(e.exitCode);
}
