#!/usr/bin/env node
/** peerwire: the command-line peer. */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerBob } from './commands/bob.js';
import { registerDatt } from './commands/datt.js';
import { registerGroup } from './commands/group.js';
import { registerId } from './commands/id.js';
import { registerSpot } from './commands/spot.js';
import { EXIT, explain, type GlobalOptions } from './context.js';

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
  .option('-t, --timeout <ms>', 'how long to wait for the relay and for answers', (v) =>
    Number.parseInt(v, 10),
  )
  .showHelpAfterError()
  .exitOverride()
  .addHelpText(
    'after',
    `
Exit codes: 0 ok, 1 failure, 2 usage, 3 relay unreachable, 4 timeout, 5 error answered by the other side.
send/recv: 5 the receiver refused, 6 wrong password, 7 received data rejected (tampered, corrupt or unsafe; nothing saved).
The keychain is encrypted at rest when PEERWIRE_PASSPHRASE is set.`,
  );

const globals = () => program.opts<GlobalOptions>();
registerId(program, globals);
registerSpot(program, globals);
registerGroup(program, globals);
registerDatt(program, globals);
registerBob(program, globals);

for (const cmd of program.commands) cmd.exitOverride();

try {
  await program.parseAsync();
} catch (error) {
  if (error instanceof CommanderError) {
    process.exit(error.exitCode === 0 ? EXIT.ok : EXIT.usage);
  }
  const e = explain(error);
  if (globals().json) console.log(JSON.stringify({ error: e.message, exitCode: e.exitCode }));
  else console.error(`peerwire: ${e.message}`);
  process.exit(e.exitCode);
}
