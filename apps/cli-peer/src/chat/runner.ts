/**
 * Carries out a `ChatCommand` on a session and answers with a JSON-able result (`event` names
 * it): the terminal prints it as text, `--json` as one line. Failures throw `CliError` with the
 * message to show; the session goes on.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { guidOf, type NodeId } from '@peerwire/ptpchat';
import { CliError, EXIT } from '../context.js';
import { type ChatCommand, SLASH_HELP } from './commands.js';
import { actionError, type ChatSession } from './session.js';
import { type ChannelView, channelView, mimeTypeOf, type NodeView, type Path } from './views.js';

export type ChatResult =
  | { readonly event: 'help'; readonly commands: readonly (readonly [string, string])[] }
  | { readonly event: 'channels'; readonly channels: readonly ChannelView[] }
  | { readonly event: 'joined' | 'left' | 'created'; readonly channel: ChannelView }
  | {
      readonly event: 'invited-node';
      readonly channel: ChannelView;
      readonly node: NodeId;
      /** The node's certificate is being fetched; the key follows when it arrives. */
      readonly pending: boolean;
    }
  | {
      readonly event: 'sent';
      readonly channel: ChannelView;
      readonly msgIds: readonly string[];
      readonly file?: string;
      readonly size?: number;
      readonly type?: string;
    }
  | {
      readonly event: 'members';
      readonly channel: ChannelView;
      readonly members: readonly { readonly nodeId: NodeId; readonly path: Path | 'self' }[];
    }
  | { readonly event: 'online'; readonly nodes: readonly NodeView[] }
  | {
      readonly event: 'path';
      readonly node: NodeId;
      readonly path: Path;
      /** `/connect`: the rendezvous ended in a direct UDP path (else traffic stays relayed). */
      readonly punched?: boolean;
      readonly address?: string;
      readonly reason?: string;
    }
  | { readonly event: 'bye' };

export async function runCommand(session: ChatSession, cmd: ChatCommand): Promise<ChatResult> {
  try {
    return await run(session, cmd);
  } catch (error) {
    throw actionError(error);
  }
}

async function run(s: ChatSession, cmd: ChatCommand): Promise<ChatResult> {
  const node = s.node;
  switch (cmd.cmd) {
    case 'help':
      return { event: 'help', commands: SLASH_HELP };
    case 'channels':
      return { event: 'channels', channels: node.channels().map(channelView) };
    case 'join': {
      const c = s.channel(cmd.channel);
      node.join(c.channelId);
      s.current = c.channelId;
      return { event: 'joined', channel: channelView(node.channel(c.channelId) ?? c) };
    }
    case 'leave': {
      const c = s.channel(cmd.channel);
      node.leave(c.channelId);
      if (s.current === c.channelId) s.current = undefined;
      return { event: 'left', channel: channelView(node.channel(c.channelId) ?? c) };
    }
    case 'create': {
      const c = node.createChannel(cmd.name, { closed: cmd.closed });
      s.current = c.channelId;
      if (c.closed) s.persist();
      return { event: 'created', channel: channelView(c) };
    }
    case 'invite': {
      const c = s.channel(cmd.channel);
      if (!c.closed) {
        throw new CliError(
          `#${c.name} is public: anyone can /join it; /invite sends the key of a closed channel`,
          EXIT.usage,
        );
      }
      const target = s.resolveNode(cmd.node);
      const pending = !node.hasCertificate(target);
      node.invite(c.channelId, target);
      return {
        event: 'invited-node',
        channel: channelView(node.channel(c.channelId) ?? c),
        node: target,
        pending,
      };
    }
    case 'say': {
      const c = s.channel(cmd.channel);
      const msgIds = await node.sendMessage(c.channelId, cmd.text);
      return { event: 'sent', channel: channelView(c), msgIds };
    }
    case 'send': {
      const c = s.channel(cmd.channel);
      const limit = node.limits.maxAttachmentBytes;
      let data: Uint8Array;
      try {
        const info = await stat(cmd.file);
        if (!info.isFile()) throw new Error('not a file');
        if (info.size > limit) {
          throw new CliError(
            `${cmd.file} is ${info.size} bytes; an attachment is at most ${limit} bytes`,
            EXIT.usage,
          );
        }
        data = new Uint8Array(await readFile(cmd.file));
      } catch (error) {
        if (error instanceof CliError) throw error;
        throw new CliError(`cannot read ${cmd.file}: ${(error as Error).message}`, EXIT.usage);
      }
      const name = basename(cmd.file);
      const type = cmd.type ?? mimeTypeOf(name);
      const msgIds = await node.sendMessage(c.channelId, name, { attachments: [{ type, data }] });
      return {
        event: 'sent',
        channel: channelView(c),
        msgIds,
        file: name,
        size: data.length,
        type,
      };
    }
    case 'members': {
      const c = s.channel(cmd.channel);
      const members = c.members.map((nodeId) => ({
        nodeId,
        path: nodeId === s.nodeId ? ('self' as const) : s.path(nodeId),
      }));
      return { event: 'members', channel: channelView(c), members };
    }
    case 'online':
      return { event: 'online', nodes: s.online() };
    case 'path': {
      const target = s.resolveNode(cmd.node);
      return { event: 'path', node: target, path: s.path(target) };
    }
    case 'connect':
      return connect(s, s.resolveNode(cmd.node));
    case 'quit':
      return { event: 'bye' };
  }
}

/** CONNECT (§9): waits for the initiator's outcome, then reports the path traffic takes now. */
async function connect(s: ChatSession, target: NodeId): Promise<ChatResult> {
  const node = s.node;
  if (s.path(target) === 'direct')
    return { event: 'path', node: target, path: 'direct', punched: true };
  const done = s.next(
    (o) =>
      o.type === 'connect' &&
      o.role === 'initiator' &&
      guidOf(o.peer) === guidOf(target) &&
      (o.state === 'direct' || o.state === 'failed'),
    node.limits.connectTimeoutMs + 2000,
  );
  node.connect(target);
  const outcome = await done;
  const path = s.path(target);
  const ended = outcome?.type === 'connect' ? outcome : undefined;
  return {
    event: 'path',
    node: target,
    path,
    punched: ended?.state === 'direct' && path === 'direct',
    ...(ended?.address === undefined ? {} : { address: ended.address }),
    ...(ended === undefined
      ? { reason: 'no answer to CONNECT' }
      : ended.reason === undefined
        ? {}
        : { reason: ended.reason }),
  };
}
