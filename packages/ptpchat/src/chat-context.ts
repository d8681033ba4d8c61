import type { CertificateStore } from './certificates.js';
import type { Channel, ChannelTable } from './channels.js';
import { PtpchatError } from './errors.js';
import type { ChatHost } from './host.js';

/** What the chat concepts share: the engine host, the channel table and the pinned certificates. */
export interface ChatContext {
  readonly host: ChatHost;
  readonly channels: ChannelTable;
  readonly certificates: CertificateStore;
}

/** The `{ node_id, channel, channel_id }` that a verb about a channel carries. */
export function channelRef(host: ChatHost, channel: Channel) {
  return { node_id: host.selfId, channel: channel.name, channel_id: channel.id };
}

/** A known channel, or `UNKNOWN_CHANNEL`. */
export function knownChannel(channels: ChannelTable, id: string): Channel {
  const channel = channels.get(id.toLowerCase());
  if (!channel) throw new PtpchatError('UNKNOWN_CHANNEL', `unknown channel ${id}`);
  return channel;
}

/** The clock (seconds, for ID-card key expiry) and backend for `@peerwire/crypto`. */
export function cryptoOptions(host: ChatHost) {
  return { now: Math.floor(host.now / 1000), ...(host.backend ? { backend: host.backend } : {}) };
}
