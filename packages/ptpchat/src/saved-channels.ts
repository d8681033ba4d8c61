import type { ChannelTable } from './channels.js';
import { CHANNEL_KEY_LENGTH } from './content.js';
import { guidOf, type NodeId, normalizeNodeId } from './node-id.js';
import type { SavedClosedChannel } from './types.js';

const CHANNEL_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The closed channels whose key `channels` holds, for saving (`closedChannels()`). */
export function savedClosedChannels(channels: ChannelTable): SavedClosedChannel[] {
  const out: SavedClosedChannel[] = [];
  for (const c of channels.all()) {
    if (!c.closed || c.key === undefined || c.left) continue;
    out.push({
      channelId: c.id,
      name: c.name,
      key: c.key.slice(),
      members: [...c.members.values()],
      joined: c.joined,
    });
  }
  return out;
}

/**
 * Puts saved closed channels back (the `closedChannels` option): key, name, members, and this
 * node as a member. Returns how many entries were refused (bad id, key or name; table full).
 */
export function restoreClosedChannels(
  channels: ChannelTable,
  saved: Iterable<SavedClosedChannel>,
  self: { readonly nodeId: NodeId; readonly guid: string },
  maxNameLength: number,
  now: number,
): number {
  let refused = 0;
  for (const s of saved) {
    try {
      const id = typeof s.channelId === 'string' ? s.channelId.toLowerCase() : '';
      if (!CHANNEL_ID.test(id)) throw new Error('channel id');
      if (!(s.key instanceof Uint8Array) || s.key.length !== CHANNEL_KEY_LENGTH)
        throw new Error('key');
      if (typeof s.name !== 'string' || s.name.length === 0 || s.name.length > maxNameLength)
        throw new Error('name');
      const members = s.members.map((m) => normalizeNodeId(m));
      const channel = channels.upsert(id, s.name, true, now);
      if (!channel?.closed) throw new Error('table');
      channel.key = s.key.slice();
      channel.joined = s.joined === true;
      for (const m of members) channels.addMember(channel, guidOf(m), m);
      channels.addMember(channel, self.guid, self.nodeId);
    } catch {
      refused++;
    }
  }
  return refused;
}
