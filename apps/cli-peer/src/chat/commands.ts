/**
 * What a `peerwire chat` user can ask for, and the two ways of asking: a line typed in the
 * terminal (`/join general`, or plain text said in the current channel) and a JSON object on a
 * line (`--json` mode, `{"cmd":"join","channel":"general"}`). Both parse to one `ChatCommand`,
 * so the terminal and scripts get the same behaviour. Bad input is a `ChatUsageError` that says
 * what the command takes; it never ends the session.
 */

export type ChatCommand = (
  | { readonly cmd: 'help' }
  | { readonly cmd: 'channels' }
  | { readonly cmd: 'join'; readonly channel: string }
  | { readonly cmd: 'leave'; readonly channel?: string }
  | { readonly cmd: 'create'; readonly name: string; readonly closed: boolean }
  | { readonly cmd: 'invite'; readonly node: string; readonly channel?: string }
  | { readonly cmd: 'say'; readonly text: string; readonly channel?: string }
  | {
      readonly cmd: 'send';
      readonly file: string;
      readonly channel?: string;
      readonly type?: string;
    }
  | { readonly cmd: 'members'; readonly channel?: string }
  | { readonly cmd: 'online' }
  | { readonly cmd: 'connect'; readonly node: string }
  | { readonly cmd: 'path'; readonly node: string }
  | { readonly cmd: 'quit' }
) & {
  /** `--json` mode: echoed in the answer, so a script can match answers to commands. */
  readonly id?: string | number;
};

export type ChatCommandName = ChatCommand['cmd'];

/** A command line or JSON command that does not parse; the session goes on. */
export class ChatUsageError extends Error {
  readonly code = 'USAGE';
}

/** The slash commands, for `/help` (the order shown). */
export const SLASH_HELP: readonly (readonly [usage: string, what: string])[] = [
  ['/channels', 'list the channels heard of (* = joined, closed ones marked)'],
  ['/join <channel>', 'join a channel (name or id) and make it the current one'],
  ['/leave [channel]', 'leave a channel (default: the current one)'],
  ['/create <name> [--closed]', 'create a channel; --closed: only invited key holders read it'],
  ['/invite <node>', "send the current closed channel's key to a node (name, name@GUID or GUID)"],
  ['/send <file>', 'send a file as an attachment to the current channel'],
  ['/members [channel]', 'the members of a channel (default: the current one)'],
  ['/online', 'the nodes reachable now: neighbours, direct paths and relayed ones'],
  [
    '/connect <node>',
    'punch a direct UDP path to a node (CONNECT) and say if it is direct or relayed',
  ],
  ['/path <node>', 'whether traffic to a node goes direct, by a neighbour link or relayed'],
  ['/help', 'this list'],
  ['/quit', 'leave the chat (Ctrl-D too)'],
  ['<text>', 'say it in the current channel (start it with // to say a line beginning with /)'],
];

function words(rest: string): string[] {
  return rest.split(/\s+/).filter(Boolean);
}

function one(name: string, usage: string, rest: string): string {
  const w = words(rest);
  if (w.length !== 1) throw new ChatUsageError(`usage: /${name} ${usage}`);
  return w[0]!;
}

function optional(name: string, usage: string, rest: string): string | undefined {
  const w = words(rest);
  if (w.length > 1) throw new ChatUsageError(`usage: /${name} ${usage}`);
  return w[0];
}

/** A line typed in the terminal. Empty lines are `undefined` (nothing to do). */
export function parseSlashLine(line: string): ChatCommand | undefined {
  const trimmed = line.trim();
  if (trimmed === '') return undefined;
  if (!trimmed.startsWith('/') || trimmed.startsWith('//')) {
    return { cmd: 'say', text: trimmed.startsWith('//') ? trimmed.slice(1) : trimmed };
  }
  const space = trimmed.search(/\s/);
  const name = (space < 0 ? trimmed.slice(1) : trimmed.slice(1, space)).toLowerCase();
  const rest = space < 0 ? '' : trimmed.slice(space + 1).trim();
  switch (name) {
    case 'help':
    case '?':
      return { cmd: 'help' };
    case 'channels':
    case 'list':
      return { cmd: 'channels' };
    case 'join':
      return { cmd: 'join', channel: one('join', '<channel>', rest) };
    case 'leave':
    case 'part': {
      const channel = optional('leave', '[channel]', rest);
      return channel === undefined ? { cmd: 'leave' } : { cmd: 'leave', channel };
    }
    case 'create': {
      const w = words(rest);
      const closed = w.includes('--closed');
      const names = w.filter((x) => x !== '--closed');
      if (names.length !== 1 || names[0]!.startsWith('-'))
        throw new ChatUsageError('usage: /create <name> [--closed]');
      return { cmd: 'create', name: names[0]!, closed };
    }
    case 'invite':
      return { cmd: 'invite', node: one('invite', '<node>', rest) };
    case 'send':
      if (rest === '') throw new ChatUsageError('usage: /send <file>');
      return { cmd: 'send', file: rest };
    case 'members':
    case 'who': {
      const channel = optional('members', '[channel]', rest);
      return channel === undefined ? { cmd: 'members' } : { cmd: 'members', channel };
    }
    case 'online':
      return { cmd: 'online' };
    case 'connect':
      return { cmd: 'connect', node: one('connect', '<node>', rest) };
    case 'path':
      return { cmd: 'path', node: one('path', '<node>', rest) };
    case 'quit':
    case 'exit':
      return { cmd: 'quit' };
    default:
      throw new ChatUsageError(`unknown command /${name}; /help lists them`);
  }
}

const FIELDS: Record<
  ChatCommandName,
  { required: readonly string[]; optional: readonly string[] }
> = {
  help: { required: [], optional: [] },
  channels: { required: [], optional: [] },
  join: { required: ['channel'], optional: [] },
  leave: { required: [], optional: ['channel'] },
  create: { required: ['name'], optional: ['closed'] },
  invite: { required: ['node'], optional: ['channel'] },
  say: { required: ['text'], optional: ['channel'] },
  send: { required: ['file'], optional: ['channel', 'type'] },
  members: { required: [], optional: ['channel'] },
  online: { required: [], optional: [] },
  connect: { required: ['node'], optional: [] },
  path: { required: ['node'], optional: [] },
  quit: { required: [], optional: [] },
};

/**
 * One `--json` input line: a JSON object `{"cmd": <name>, ...fields, "id"?: <string|number>}`.
 * Fields are strings (`closed` a boolean); unknown fields are refused so typos show.
 */
export function parseJsonCommand(line: string): ChatCommand | undefined {
  if (line.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new ChatUsageError(
      'not JSON: each line is one object like {"cmd":"join","channel":"general"}',
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ChatUsageError('a command is a JSON object with a "cmd" field');
  const o = value as Record<string, unknown>;
  const cmd = o.cmd;
  if (typeof cmd !== 'string' || !Object.hasOwn(FIELDS, cmd))
    throw new ChatUsageError(`"cmd" must be one of ${Object.keys(FIELDS).join(', ')}`);
  const spec = FIELDS[cmd as ChatCommandName];
  const out: Record<string, unknown> = { cmd };
  if (o.id !== undefined) {
    if (typeof o.id !== 'string' && typeof o.id !== 'number')
      throw new ChatUsageError('"id" must be a string or a number');
    out.id = o.id;
  }
  for (const [key, v] of Object.entries(o)) {
    if (key === 'cmd' || key === 'id') continue;
    if (!spec.required.includes(key) && !spec.optional.includes(key))
      throw new ChatUsageError(`${cmd}: unknown field "${key}"`);
    if (key === 'closed') {
      if (typeof v !== 'boolean')
        throw new ChatUsageError(`${cmd}: "closed" must be true or false`);
    } else if (typeof v !== 'string' || v === '') {
      throw new ChatUsageError(`${cmd}: "${key}" must be a non-empty string`);
    }
    out[key] = v;
  }
  for (const key of spec.required) {
    if (out[key] === undefined) throw new ChatUsageError(`${cmd}: "${key}" is required`);
  }
  if (cmd === 'create') out.closed = out.closed ?? false;
  return out as ChatCommand;
}
