import type { Channel } from './channels.js';
import { type ChatContext, channelRef, knownChannel } from './chat-context.js';
import type { MessageOf } from './codec/message.js';
import { CHANNEL_KEY_LENGTH } from './content.js';
import { PtpchatError } from './errors.js';
import type { Delivery } from './host.js';
import { guidOf, hasControlCharacter, type NodeId, randomGuid } from './node-id.js';
import type { ChannelInfo } from './types.js';

/**
 * Channels and their membership (§8.4-8.6): creating, joining and leaving, CHANNEL
 * announcements and the seed's rules for a wrong member list, periodic re-announcement and
 * expiry.
 */
export class ChannelMembership {
  constructor(
    readonly ctx: ChatContext,
    /** CERTIFICATE data for a member (a node joining a closed channel sends its certificate). */
    readonly certificateData: (recipient: NodeId) => object,
  ) {}

  createChannel(name: string, closed: boolean): ChannelInfo {
    const h = this.ctx.host;
    if (
      name.length === 0 ||
      name.length > h.limits.maxChannelNameLength ||
      hasControlCharacter(name)
    ) {
      throw new PtpchatError('INVALID_ACTION', `bad channel name ${JSON.stringify(name)}`);
    }
    const id = randomGuid(h.random);
    const channel = this.ctx.channels.upsert(id, name, closed, h.now);
    if (!channel) throw new PtpchatError('LIMIT_EXCEEDED', 'too many channels');
    channel.joined = true;
    this.ctx.channels.addMember(channel, h.selfGuid, h.selfId);
    if (closed) channel.key = h.random(CHANNEL_KEY_LENGTH);
    this.announce(channel);
    return this.ctx.channels.info(channel);
  }

  join(channelId: string): void {
    const h = this.ctx.host;
    const channel = knownChannel(this.ctx.channels, channelId);
    if (channel.joined) return;
    channel.joined = true;
    this.ctx.channels.addMember(channel, h.selfGuid, h.selfId);
    const ref = channelRef(h, channel);
    for (const [guid, member] of channel.members) {
      if (guid === h.selfGuid) continue;
      h.originate('JOIN', ref, { target: member });
      if (channel.closed) {
        // Seed: a node joining a closed channel sends its certificate in advance.
        h.originate('CERTIFICATE', this.certificateData(member), { target: member });
        if (!channel.key) h.originate('GETKEY', ref, { target: member });
      }
    }
  }

  leave(channelId: string): void {
    const h = this.ctx.host;
    const channel = knownChannel(this.ctx.channels, channelId);
    if (!channel.joined) return;
    const ref = channelRef(h, channel);
    for (const [guid, member] of channel.members) {
      if (guid !== h.selfGuid) h.originate('LEAVE', ref, { target: member });
    }
    channel.joined = false;
    channel.members.delete(h.selfGuid);
  }

  /** CHANNEL (§8.6): flooded for a public channel, one copy per member for a closed one. */
  announce(channel: Channel): void {
    const h = this.ctx.host;
    channel.lastSeen = h.now;
    const data = {
      ...channelRef(h, channel),
      members: [...channel.members.values()].map((node_id) => ({ node_id })),
      closed: channel.closed,
    };
    if (!channel.closed) {
      h.originate('CHANNEL', data, { flood: true });
      return;
    }
    for (const [guid, member] of channel.members) {
      if (guid !== h.selfGuid) h.originate('CHANNEL', data, { target: member });
    }
  }

  /** Re-announces quiet subscribed channels and forgets stale ones. */
  timer(now: number): void {
    const l = this.ctx.host.limits;
    for (const c of this.ctx.channels.all()) {
      if (c.joined && now - c.lastSeen >= l.channelAnnounceIntervalMs) this.announce(c);
    }
    this.ctx.channels.expire(now - l.channelExpiryMs);
  }

  onChannel({ message, sender, senderGuid }: Delivery<MessageOf<'CHANNEL'>>): void {
    const h = this.ctx.host;
    const data = message.msg_data;
    const known = this.ctx.channels.get(data.channel_id);
    const channel =
      known ?? this.ctx.channels.upsert(data.channel_id, data.channel, data.closed, h.now);
    if (!channel) {
      h.drop('limit', 'channel table full');
      return;
    }
    // A public channel cannot be turned closed (or back) by someone else's announcement.
    if (known && known.closed !== data.closed) {
      h.drop('malformed', 'CHANNEL changes the closed flag');
      return;
    }
    let changed = !known;
    for (const m of [{ node_id: sender }, ...data.members]) {
      const g = guidOf(m.node_id);
      if (g === h.selfGuid) continue;
      if (!channel.members.has(g) && this.ctx.channels.addMember(channel, g, m.node_id))
        changed = true;
    }
    channel.lastSeen = h.now;
    const listsMe = data.members.some((m) => guidOf(m.node_id) === h.selfGuid);
    // Seed rules (§8.4-8.5), answered to the announcer whose list is wrong.
    if (channel.joined && !listsMe) h.originate('JOIN', channelRef(h, channel), { target: sender });
    if (!channel.joined && listsMe)
      h.originate('LEAVE', channelRef(h, channel), { target: sender });
    void senderGuid;
    if (changed) h.emit({ type: 'channel', channel: this.ctx.channels.info(channel) });
  }

  onJoin({ message, sender, senderGuid }: Delivery<MessageOf<'JOIN'>>): void {
    const channel = this.ctx.channels.get(message.msg_data.channel_id);
    if (!channel) {
      this.ctx.host.drop('not-member', 'JOIN for an unknown channel');
      return;
    }
    if (channel.members.has(senderGuid)) return;
    if (!this.ctx.channels.addMember(channel, senderGuid, sender)) {
      this.ctx.host.drop('limit', 'channel full');
      return;
    }
    this.ctx.host.emit({ type: 'member-joined', channelId: channel.id, nodeId: sender });
  }

  onLeave({ message, sender, senderGuid }: Delivery<MessageOf<'LEAVE'>>): void {
    const channel = this.ctx.channels.get(message.msg_data.channel_id);
    if (!channel?.members.delete(senderGuid)) return;
    this.ctx.host.emit({ type: 'member-left', channelId: channel.id, nodeId: sender });
  }
}
