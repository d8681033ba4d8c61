/** How `peerwire chat` shows events and answers in the terminal (the text twin of `--json`). */
import type { NodeId } from '@peerwire/ptpchat';
import type { ChatResult } from './runner.js';
import type { ChatEvent } from './session.js';
import { channelLabel, shortId } from './views.js';

/** An event as the lines to print (undefined: nothing worth a line). */
export function eventText(
  e: ChatEvent,
  self: NodeId,
  files: readonly (string | undefined)[] = [],
): string | undefined {
  switch (e.event) {
    case 'connected':
      return `connected to ${shortId(e.neighbour)} at ${e.address} as ${shortId(e.nodeId)} (/help lists the commands)`;
    case 'disconnected':
      return `lost the link to ${shortId(e.neighbour)} (${e.reason})`;
    case 'reconnecting':
      return `reconnecting to ${e.address} in ${(e.inMs / 1000).toFixed(e.inMs < 10_000 ? 1 : 0)} s (attempt ${e.attempt}${e.reason ? `; last: ${e.reason}` : ''})`;
    case 'channel':
      return e.channel.joined
        ? undefined
        : `heard of ${channelLabel(e.channel)} (${e.channel.members.length} member${e.channel.members.length === 1 ? '' : 's'}): /join ${e.channel.name}`;
    case 'member-joined':
      return `${shortId(e.nodeId)} joined #${e.channel}`;
    case 'member-left':
      return `${shortId(e.nodeId)} left #${e.channel}`;
    case 'message': {
      const head = `[${channelLabel({ name: e.channel, closed: e.closed })}] ${e.from === self ? 'you' : shortId(e.from)}:`;
      if (e.attachments.length === 0) return `${head} ${e.text}`;
      const parts = e.attachments.map((a, i) => {
        const saved = files[i];
        return `${e.text} (${a.type}, ${a.data.length} bytes)${saved ? ` saved to ${saved}` : ' (start with --files <dir> to save attachments)'}`;
      });
      return `${head} sent a file: ${parts.join('; ')}`;
    }
    case 'invited':
      return `${shortId(e.from)} gave you the key of #${e.channel} (closed): /join ${e.channel}`;
    case 'key-request':
      return `${shortId(e.from)} asks for the key of #${e.channel}: /invite ${shortId(e.from)} to let them in`;
    case 'connect':
      if (e.role === 'rendezvous') return undefined;
      if (e.role === 'responder' && e.state === 'started')
        return `${shortId(e.node)} is punching a direct path to you`;
      if (e.state === 'direct')
        return `direct UDP path to ${shortId(e.node)} is up${e.address ? ` (${e.address})` : ''}`;
      if (e.state === 'failed' && e.role === 'responder')
        return `direct path with ${shortId(e.node)} failed${e.reason ? ` (${e.reason})` : ''}: traffic stays relayed`;
      return undefined;
    case 'delivery-failed':
      return `a message${e.target ? ` to ${shortId(e.target)}` : ''} was not delivered (${e.reason})`;
  }
}

/** An answer to a command as text. */
export function resultText(r: ChatResult): string {
  switch (r.event) {
    case 'help':
      return r.commands.map(([usage, what]) => `  ${usage.padEnd(27)} ${what}`).join('\n');
    case 'channels':
      if (r.channels.length === 0) return 'no channels heard of yet; /create one';
      return r.channels
        .map(
          (c) =>
            `${c.joined ? '*' : ' '} ${channelLabel(c).padEnd(28)} ${String(c.members.length).padStart(3)} member${c.members.length === 1 ? ' ' : 's'}  ${c.channelId}${c.closed && !c.hasKey ? '  (no key)' : ''}`,
        )
        .join('\n');
    case 'joined':
      return `joined ${channelLabel(r.channel)}; what you type now goes there`;
    case 'left':
      return `left ${channelLabel(r.channel)}`;
    case 'created':
      return `created ${channelLabel(r.channel)} (${r.channel.channelId})${r.channel.closed ? '; /invite <node> gives someone its key' : ''}; what you type now goes there`;
    case 'invited-node':
      return r.pending
        ? `asked ${shortId(r.node)} for its certificate; the key of #${r.channel.name} follows when it arrives`
        : `sent the key of #${r.channel.name} to ${shortId(r.node)}`;
    case 'sent':
      return r.file !== undefined
        ? `sent ${r.file} (${r.type}, ${r.size} bytes) to #${r.channel.name}`
        : r.channel.closed
          ? `(sent to ${r.msgIds.length} member${r.msgIds.length === 1 ? '' : 's'})`
          : '';
    case 'members':
      return [
        `${channelLabel(r.channel)}: ${r.members.length} member${r.members.length === 1 ? '' : 's'}`,
        ...r.members.map(
          (m) => `  ${shortId(m.nodeId).padEnd(40)} ${m.path === 'self' ? '(you)' : m.path}`,
        ),
      ].join('\n');
    case 'online':
      if (r.nodes.length === 0) return 'nobody reachable';
      return r.nodes
        .map(
          (n) =>
            `  ${shortId(n.nodeId).padEnd(40)} ${n.path.padEnd(9)} ${n.distance === undefined ? '' : `${n.distance} hop${n.distance === 1 ? '' : 's'}`}${n.nodeType === 'server' ? ' (server)' : ''}`,
        )
        .join('\n');
    case 'path':
      if (r.punched !== undefined) {
        return r.punched
          ? `path to ${shortId(r.node)}: direct (UDP${r.address ? ` ${r.address}` : ''})`
          : `path to ${shortId(r.node)}: ${r.path === 'none' ? 'none' : 'relayed'} (no direct path${r.reason ? `: ${r.reason}` : ''})`;
      }
      return `path to ${shortId(r.node)}: ${r.path}`;
    case 'bye':
      return 'bye';
  }
}
