import type { CertificateExchange } from './certificate-exchange.js';
import type { Pin } from './certificates.js';
import type { Channel } from './channels.js';
import { type ChatContext, channelRef, cryptoOptions, knownChannel } from './chat-context.js';
import type { MessageOf } from './codec/message.js';
import { CHANNEL_CIPHER, openChannelKey, sealChannelKey } from './content.js';
import { PtpchatError } from './errors.js';
import type { Delivery } from './host.js';
import { guidOf, type NodeId } from './node-id.js';

/**
 * Closed-channel keys (§7.3, §8.9-8.10): `invite` sends the key in a Bottle encrypted to the
 * invitee's ID card (after fetching the card if need be), GETKEY from a listed member is
 * answered, from anyone else left to the application, and a received KEY is opened and kept.
 */
export class ChannelKeys {
  constructor(
    readonly ctx: ChatContext,
    readonly certs: CertificateExchange,
    /** Re-announces a channel (its member list changed). */
    readonly announce: (channel: Channel) => void,
  ) {}

  /**
   * Gives a node the key of a closed channel (§8.10) and lists it as a member. Without its
   * certificate, the certificate is requested first and the KEY follows when it arrives.
   */
  invite(channelId: string, nodeId: NodeId): void {
    const channel = knownChannel(this.ctx.channels, channelId);
    if (!channel.closed || !channel.key)
      throw new PtpchatError('NO_CHANNEL_KEY', 'not a closed channel whose key this node holds');
    const guid = guidOf(nodeId);
    if (!this.ctx.channels.addMember(channel, guid, nodeId))
      throw new PtpchatError('LIMIT_EXCEEDED', 'channel is full');
    const pin = this.ctx.certificates.get(guid);
    if (!pin) {
      this.certs.awaitInvite(guid, channel.id);
      this.certs.requestCertificate(nodeId, true);
      return;
    }
    this.sendKey(channel, pin);
    this.announce(channel);
  }

  /** The invitee's certificate arrived: the key follows. */
  inviteReady(channelId: string, pin: Pin): void {
    const channel = this.ctx.channels.get(channelId);
    if (channel?.key) {
      this.sendKey(channel, pin);
      this.announce(channel);
    }
  }

  onGetKey({ message, sender, senderGuid }: Delivery<MessageOf<'GETKEY'>>): void {
    const channel = this.ctx.channels.get(message.msg_data.channel_id);
    if (!channel?.closed || !channel.key || !channel.joined) {
      this.ctx.host.drop('no-key', 'GETKEY for a channel without key');
      return;
    }
    const pin = this.ctx.certificates.get(senderGuid);
    // A listed member who lost the key gets it again; anyone else is the application's call.
    if (channel.members.has(senderGuid) && pin) {
      this.sendKey(channel, pin);
      return;
    }
    if (channel.members.has(senderGuid)) {
      this.invite(channel.id, sender);
      return;
    }
    this.ctx.host.emit({ type: 'key-request', channelId: channel.id, from: sender });
  }

  sendKey(channel: Channel, pin: Pin): void {
    const h = this.ctx.host;
    const key = channel.key!;
    h.spawn(async () => {
      const sealed = await sealChannelKey(key, h.identity.signer, pin.card, cryptoOptions(h));
      h.originate(
        'KEY',
        {
          ...channelRef(h, channel),
          recipient_id: pin.nodeId,
          cipher: CHANNEL_CIPHER,
          key: sealed,
        },
        { target: pin.nodeId },
      );
    });
  }

  onKey({ message, sender }: Delivery<MessageOf<'KEY'>>, pin: Pin): void {
    const h = this.ctx.host;
    const data = message.msg_data;
    if (data.recipient_id !== undefined && guidOf(data.recipient_id) !== h.selfGuid) return;
    if (data.cipher.toUpperCase() !== CHANNEL_CIPHER) {
      h.drop('decrypt-failed', `cipher ${data.cipher}`);
      return;
    }
    h.spawn(async () => {
      let key: Uint8Array;
      try {
        key = await openChannelKey(data.key, h.identity.keychain, pin.card, cryptoOptions(h));
      } catch (e) {
        return h.drop('decrypt-failed', `KEY from ${sender}: ${(e as Error).message}`);
      }
      const channel = this.ctx.channels.upsert(data.channel_id, data.channel, true, h.now);
      if (!channel) return h.drop('limit', 'channel table full');
      if (!channel.closed) return h.drop('malformed', 'KEY for a public channel');
      channel.key = key;
      this.ctx.channels.addMember(channel, pin.card ? guidOf(sender) : guidOf(sender), sender);
      this.ctx.channels.addMember(channel, h.selfGuid, h.selfId);
      h.emit({ type: 'key', channelId: channel.id, from: sender });
      h.emit({ type: 'channel', channel: this.ctx.channels.info(channel) });
    });
  }
}
