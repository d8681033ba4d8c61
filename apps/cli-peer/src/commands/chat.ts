/**
 * `peerwire chat`: ptpchat on the keychain's identity. Interactive (a terminal chat with
 * `/commands`), `--json` (JSON events out, JSON commands in, for scripts), and the one-shot
 * `peerwire chat send <channel> <text>`. It dials one ptpchat node, by default the local
 * relay's (127.0.0.1:9011), which floods, routes and relays for it and is the rendezvous of
 * `/connect`.
 */
import { mkdirSync } from 'node:fs';
import type { Command } from 'commander';
import { chatIdentity, chatNodeId, saveClosedChannels, savePins } from '../chat/identity.js';
import { chatLoop } from '../chat/loop.js';
import { ChatPrinter } from '../chat/printer.js';
import { runCommand } from '../chat/runner.js';
import { type ChatEvent, ChatSession } from '../chat/session.js';
import { chatTarget, DEFAULT_CHAT_NODE } from '../chat/target.js';
import { CliError, EXIT, type GlobalOptions, loadCard, openKeychain } from '../context.js';
import { integerArg } from '../options.js';

/** How long to wait for the node, and for a channel to be heard of, without `-t`. */
const DEFAULT_TIMEOUT_MS = 15_000;
/** At the end, how long to wait for the neighbour's ACKs of what was sent. */
const SETTLE_MS = 5_000;
/** `chat send`: how long to stay after the ACKs, answering certificate requests (default). */
const DEFAULT_LINGER_MS = 3_000;

interface ChatFlags {
  name?: string;
  files?: string;
}

async function startSession(
  g: GlobalOptions,
  flags: ChatFlags,
  nodeArg: string | undefined,
  onEvent: (e: ChatEvent) => void,
): Promise<{ session: ChatSession; keychainFile: string }> {
  const target = chatTarget(nodeArg);
  const { keychain, path } = await openKeychain(g);
  const card = await loadCard(keychain, path);
  const nodeId = chatNodeId(path, flags.name, card);
  const identity = await chatIdentity(keychain, path, nodeId);
  const session = await ChatSession.start({
    identity,
    host: target.host,
    port: target.port,
    timeoutMs: g.timeout ?? DEFAULT_TIMEOUT_MS,
    onEvent,
    save: (node) => saveClosedChannels(path, node),
  });
  return { session, keychainFile: path };
}

const lingerArg = integerArg('a time in milliseconds', 0);

export function registerChat(program: Command, globals: () => GlobalOptions): void {
  const chat = program
    .command('chat')
    .description(
      'ptpchat: channels, closed channels (invited key holders only), files, direct paths (/help inside; --json for scripts)',
    )
    .argument(
      '[node]',
      `the ptpchat node to connect to, host:port (env PEERWIRE_CHAT_NODE; default ${DEFAULT_CHAT_NODE}, the local relay)`,
    )
    .option(
      '--name <name>',
      'your name in the node id name@GUID (letters and digits; kept for next time)',
    )
    .option(
      '--files <dir>',
      'save received attachments in this folder (else they are only announced)',
    )
    .addHelpText(
      'after',
      `
Inside: /channels /join <channel> /create <name> [--closed] /invite <node> /send <file>
/members /online /connect <node> /path <node> /leave /help /quit; other text is said in the
current channel. --json: one JSON event per line out, one command per line in, e.g.
{"cmd":"create","name":"ops","closed":true} {"cmd":"say","channel":"ops","text":"hi"}.`,
    )
    .action(async (nodeArg: string | undefined, flags: ChatFlags) => {
      const g = globals();
      if (flags.files !== undefined) {
        try {
          mkdirSync(flags.files, { recursive: true });
        } catch (error) {
          throw new CliError(`--files ${flags.files}: ${(error as Error).message}`, EXIT.usage);
        }
      }
      const printer = new ChatPrinter(g.json === true, flags.files);
      const { session, keychainFile } = await startSession(g, flags, nodeArg, printer.event);
      printer.self = session.nodeId;
      try {
        await chatLoop(session, printer, { settleMs: SETTLE_MS });
      } finally {
        await session.close((pins) => savePins(keychainFile, pins));
      }
    });

  chat
    .command('send')
    .description('one shot: say <text> in a public channel and exit once the relay has it')
    .argument('<channel>', 'channel name or id (it must have been announced on the network)')
    .argument('[text...]', 'the message (or --file)')
    .option(
      '--node <host:port>',
      `the ptpchat node (env PEERWIRE_CHAT_NODE; default ${DEFAULT_CHAT_NODE})`,
    )
    .option('--name <name>', 'your name in the node id name@GUID')
    .option(
      '--file <file>',
      'send a file as an attachment instead of text (its name is the message text)',
    )
    .option(
      '--linger <ms>',
      `stay this long after the relay's ACK to hand your certificate to readers (default ${DEFAULT_LINGER_MS})`,
      lingerArg,
    )
    .action(
      async (
        channelRef: string,
        words: string[],
        flags: ChatFlags & { node?: string; file?: string; linger?: number },
      ) => {
        const g = globals();
        if (words.length > 0 === (flags.file !== undefined)) {
          throw new CliError('chat send takes a <text> or a --file, one of the two', EXIT.usage);
        }
        const timeoutMs = g.timeout ?? DEFAULT_TIMEOUT_MS;
        const { session, keychainFile } = await startSession(g, flags, flags.node, () => {});
        try {
          const channel = await waitForChannel(session, channelRef, timeoutMs);
          if (channel.closed) {
            throw new CliError(
              `#${channel.name} is closed: a one-shot process holds no key; use the interactive peerwire chat`,
              EXIT.usage,
            );
          }
          await runCommand(session, { cmd: 'join', channel: channel.channelId });
          const text = words.join(' ');
          const result = await runCommand(
            session,
            flags.file === undefined
              ? { cmd: 'say', channel: channel.channelId, text }
              : { cmd: 'send', channel: channel.channelId, file: flags.file },
          );
          if (!(await session.settle(timeoutMs))) {
            throw new CliError(
              `the node did not acknowledge the message within ${timeoutMs} ms`,
              EXIT.timeout,
            );
          }
          await linger(session, flags.linger ?? DEFAULT_LINGER_MS);
          session.node.leave(channel.channelId);
          await session.settle(SETTLE_MS);
          const msgIds = result.event === 'sent' ? result.msgIds : [];
          if (g.json) {
            console.log(
              JSON.stringify({
                event: 'sent',
                channelId: channel.channelId,
                channel: channel.name,
                msgIds,
              }),
            );
          } else console.log(`sent to #${channel.name}`);
        } finally {
          await session.close((pins) => savePins(keychainFile, pins));
        }
      },
    );
}

/** The channel named `ref`, once a member's announcement has been heard (exit 4 after `timeoutMs`). */
async function waitForChannel(session: ChatSession, ref: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return session.channel(ref);
    } catch (error) {
      if (!(error instanceof CliError) || Date.now() >= deadline) {
        if (
          error instanceof CliError &&
          error.exitCode === EXIT.usage &&
          /no channel/.test(error.message)
        ) {
          throw new CliError(
            `no channel ${ref} heard of within ${timeoutMs} ms (is the name right? members announce channels every 60 s and when a node appears)`,
            EXIT.timeout,
          );
        }
        throw error;
      }
    }
    await session.next((o) => o.type === 'channel', Math.max(1, deadline - Date.now()));
  }
}

/** Waits `ms`, longer while readers keep asking for this peer's certificate. */
async function linger(session: ChatSession, ms: number): Promise<void> {
  const start = Date.now();
  for (;;) {
    // Extended by each certificate sent, but never past 30 s more than asked.
    const until = Math.min(Math.max(start, session.lastCertificateSent) + ms, start + ms + 30_000);
    const left = until - Date.now();
    if (left <= 0) return;
    await new Promise((r) => setTimeout(r, Math.min(left, 200)));
  }
}
