import type { NodeId } from './node-id.js';
import type { ChannelInfo } from './types.js';

/** A channel as this node knows it (spec §8.4-8.6). */
export interface Channel {
  readonly id: string;
  name: string;
  closed: boolean;
  /** Members by GUID. */
  readonly members: Map<string, NodeId>;
  joined: boolean;
  /**
   * Closed channels: GUIDs this node invited that have not sent their JOIN yet (listed as
   * members already; their JOIN is then reported as `member-joined`).
   */
  readonly invited: Set<string>;
  /**
   * This node left (or declined) the channel with `leave`: a CHANNEL still listing it gets a
   * LEAVE back even for a closed channel (where being listed otherwise means being invited).
   */
  left: boolean;
  /** Closed channels: the key, once this node holds it. */
  key: Uint8Array | undefined;
  /** Last CHANNEL received or sent for it (for the periodic announcement and expiry). */
  lastSeen: number;
}

/**
 * The channels a node knows, bounded in count and members. The membership rules of §8 live in
 * the engine; this table only holds the state.
 */
export class ChannelTable {
  readonly #channels = new Map<string, Channel>();

  constructor(
    readonly maxChannels: number,
    readonly maxMembers: number,
  ) {}

  get size(): number {
    return this.#channels.size;
  }

  get(id: string): Channel | undefined {
    return this.#channels.get(id);
  }

  /**
   * The channel, created when missing. A full table makes room by forgetting the channel this
   * node is not in that was heard of least recently (strangers' announcements cannot lock the
   * node out of its own channels); undefined when every channel is joined.
   */
  upsert(id: string, name: string, closed: boolean, now: number): Channel | undefined {
    let channel = this.#channels.get(id);
    if (!channel) {
      if (this.#channels.size >= this.maxChannels && !this.#evictOne()) return undefined;
      channel = {
        id,
        name,
        closed,
        members: new Map(),
        joined: false,
        invited: new Set(),
        left: false,
        key: undefined,
        lastSeen: now,
      };
      this.#channels.set(id, channel);
    }
    return channel;
  }

  /** Adds a member; false when the channel is full. */
  addMember(channel: Channel, guid: string, nodeId: NodeId): boolean {
    if (!channel.members.has(guid) && channel.members.size >= this.maxMembers) return false;
    channel.members.set(guid, nodeId);
    return true;
  }

  #evictOne(): boolean {
    let victim: Channel | undefined;
    for (const c of this.#channels.values()) {
      if (!c.joined && (!victim || c.lastSeen < victim.lastSeen)) victim = c;
    }
    if (victim) this.#channels.delete(victim.id);
    return victim !== undefined;
  }

  delete(id: string): void {
    this.#channels.delete(id);
  }

  all(): IterableIterator<Channel> {
    return this.#channels.values();
  }

  /** Channels not joined and not heard of since `before` are forgotten. */
  expire(before: number): void {
    for (const [id, c] of this.#channels)
      if (!c.joined && c.lastSeen < before) this.#channels.delete(id);
  }

  info(c: Channel): ChannelInfo {
    return {
      channelId: c.id,
      name: c.name,
      closed: c.closed,
      members: [...c.members.values()],
      joined: c.joined,
      hasKey: c.key !== undefined,
    };
  }
}
