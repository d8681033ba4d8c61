/**
 * The read loop of `peerwire chat`: lines from stdin (a terminal with a prompt, or a pipe), each
 * parsed (`/commands` and text; JSON objects in `--json` mode, where `/commands` work too) and
 * carried out in order. Ends on `/quit`, end of input, SIGINT or SIGTERM, after the messages
 * under way are ACKed by the neighbour (or `settleMs` passed).
 */
import { createInterface } from 'node:readline';
import { CliError, EXIT } from '../context.js';
import { type ChatCommand, ChatUsageError, parseJsonCommand, parseSlashLine } from './commands.js';
import type { ChatPrinter } from './printer.js';
import { runCommand } from './runner.js';
import type { ChatSession } from './session.js';

export interface LoopOptions {
  /** At the end, how long to wait for outstanding ACKs. */
  readonly settleMs: number;
}

export async function chatLoop(
  session: ChatSession,
  printer: ChatPrinter,
  opts: LoopOptions,
): Promise<void> {
  const terminal = !printer.json && process.stdin.isTTY === true && process.stdout.isTTY === true;
  const rl = createInterface({
    input: process.stdin,
    output: terminal ? process.stdout : undefined,
    terminal,
  });
  const prompt = () => {
    if (!terminal || quitting) return;
    const c = session.current === undefined ? undefined : session.node.channel(session.current);
    rl.setPrompt(c ? `#${c.name}> ` : '> ');
    rl.prompt();
  };
  if (terminal) printer.attach(rl);
  let done!: () => void;
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  let chain = Promise.resolve();
  let quitting = false;
  const quit = () => {
    if (quitting) return;
    quitting = true;
    printer.detach();
    chain = chain.then(async () => {
      await session.settle(opts.settleMs);
      done();
    });
  };
  const handle = async (line: string) => {
    let cmd: ChatCommand | undefined;
    try {
      cmd =
        printer.json && !line.trimStart().startsWith('/')
          ? parseJsonCommand(line)
          : parseSlashLine(line);
    } catch (error) {
      if (!(error instanceof ChatUsageError)) throw error;
      await printer.error(new CliError(error.message, EXIT.usage));
      return;
    }
    if (cmd === undefined) return;
    if (cmd.cmd === 'connect' && !printer.json) {
      process.stdout.write(`punching a direct path to ${cmd.node}…\n`);
    }
    try {
      const result = await runCommand(session, cmd);
      if (cmd.cmd === 'quit') quit(); // before printing: no prompt after "bye"
      await printer.result(result, cmd.id);
    } catch (error) {
      await printer.error(error as CliError, cmd.id);
    }
  };
  rl.on('line', (line) => {
    if (quitting) return;
    chain = chain.then(() => handle(line)).then(prompt);
  });
  rl.on('close', quit); // end of input, Ctrl-D
  rl.on('SIGINT', quit); // Ctrl-C at the prompt
  const onSignal = () => quit();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  prompt();
  try {
    await finished;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    rl.close();
    await printer.flush();
  }
}
