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
    channel.left = false;
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
    // Leaving a closed channel this node was invited to but has not joined declines it.
    const invited = channel.closed && !channel.left && channel.members.size > 0;
    if (!channel.joined && !invited) return;
    const ref = channelRef(h, channel);
    for (const [guid, member] of channel.members) {
      if (guid !== h.selfGuid) h.originate('LEAVE', ref, { target: member });
    }
    channel.joined = false;
    channel.left = true;
    channel.members.delete(h.selfGuid);
  }

  /** CHANNEL (§8.6): flooded for a public channel, one copy per member for a closed one. */
  announce(channel: Channel): void {
    const h = this.ctx.host;
    channel.lastSeen = h.now;
    const data = this.#channelData(channel);
    if (!channel.closed) {
      h.originate('CHANNEL', data, { flood: true });
      return;
    }
    for (const [guid, member] of channel.members) {
      if (guid !== h.selfGuid) h.originate('CHANNEL', data, { target: member });
    }
  }

  #channelData(channel: Channel) {
    return {
      ...channelRef(this.ctx.host, channel),
      members: [...channel.members.values()].map((node_id) => ({ node_id })),
      closed: channel.closed,
    };
  }

  /**
   * §8.6 "optionally to newly connected nodes": a new neighbour gets one CHANNEL targeted at it
   * for each public channel this node knows (at most `maxChannelsAnnouncedToNeighbour`: joined
   * ones first, then the most recently heard of), whether or not this node is in it. The member
   * list is what this node knows; it lists this node only if it joined, and a receiver takes the
   * announcer as a member only when it is listed (`onChannel`), so a relay that passes channels
   * on does not become a member of them. Closed channels are not announced (members only).
   */
  announceToNeighbour(nodeId: NodeId): void {
    const h = this.ctx.host;
    const open = [...this.ctx.channels.all()].filter((c) => !c.closed);
    open.sort((x, y) => Number(y.joined) - Number(x.joined) || y.lastSeen - x.lastSeen);
    for (const c of open.slice(0, h.limits.maxChannelsAnnouncedToNeighbour)) {
      h.originate('CHANNEL', this.#channelData(c), { target: nodeId });
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
    // The announcer is a member when it lists itself (peerwire's own announcements always do
    // when it is in the channel). A CHANNEL from a node it does not list is hearsay: a node
    // passing on what it knows (`announceToNeighbour`), neither a member nor the one to answer.
    const hearsay = !data.members.some((m) => guidOf(m.node_id) === senderGuid);
    for (const m of data.members) {
      const g = guidOf(m.node_id);
      if (g === h.selfGuid) continue;
      if (!channel.members.has(g) && this.ctx.channels.addMember(channel, g, m.node_id))
        changed = true;
    }
    channel.lastSeen = h.now;
    const listsMe = data.members.some((m) => guidOf(m.node_id) === h.selfGuid);
    // Seed rules (§8.4-8.5), answered to the announcer whose list is wrong.
    if (hearsay) {
      if (changed) h.emit({ type: 'channel', channel: this.ctx.channels.info(channel) });
      return;
    }
    if (channel.joined && !listsMe) h.originate('JOIN', channelRef(h, channel), { target: sender });
    // A closed channel's CHANNEL goes to its members only, so being listed there means being
    // invited (`invite` lists the invitee before its KEY arrives, and before the application
    // joins): no LEAVE for that, only once this node has left or declined it.
    const invited = channel.closed && !channel.left;
    if (!channel.joined && listsMe && !invited)
      h.originate('LEAVE', channelRef(h, channel), { target: sender });
    if (changed) h.emit({ type: 'channel', channel: this.ctx.channels.info(channel) });
  }

  onJoin({ message, sender, senderGuid }: Delivery<MessageOf<'JOIN'>>): void {
    const channel = this.ctx.channels.get(message.msg_data.channel_id);
    if (!channel) {
      this.ctx.host.drop('not-member', 'JOIN for an unknown channel');
      return;
    }
    if (channel.members.has(senderGuid)) {
      // An invitee (listed since `invite`) joining is news; any other listed member is not.
      if (channel.invited.delete(senderGuid))
        this.ctx.host.emit({ type: 'member-joined', channelId: channel.id, nodeId: sender });
      return;
    }
    if (!this.ctx.channels.addMember(channel, senderGuid, sender)) {
      this.ctx.host.drop('limit', 'channel full');
      return;
    }
    this.ctx.host.emit({ type: 'member-joined', channelId: channel.id, nodeId: sender });
  }

  onLeave({ message, sender, senderGuid }: Delivery<MessageOf<'LEAVE'>>): void {
    const channel = this.ctx.channels.get(message.msg_data.channel_id);
    channel?.invited.delete(senderGuid);
    if (!channel?.members.delete(senderGuid)) return;
    this.ctx.host.emit({ type: 'member-left', channelId: channel.id, nodeId: sender });
  }
}
