import { CertificateExchange, type Held } from './certificate-exchange.js';
import { CertificateStore } from './certificates.js';
import { ChannelKeys } from './channel-keys.js';
import { type Channel, ChannelTable } from './channels.js';
import type { ChatContext } from './chat-context.js';
import { ChatMessages, type OutgoingAttachment } from './chat-messages.js';
import type { MessageOf } from './codec/message.js';
import type { ChatHost, Delivery } from './host.js';
import { ChannelMembership } from './membership.js';
import type { NodeId } from './node-id.js';
import type { ChannelInfo } from './types.js';

export type { OutgoingAttachment };

/**
 * The chat layer of a node, composed of one part per concept: channels and their membership
 * rules (`membership.ts`, §8.4-8.6), certificates (`certificate-exchange.ts`, §7.1, §8.7-8.8),
 * closed-channel keys (`channel-keys.ts`, §7.3, §8.9-8.10) and signed messages with attachments
 * (`chat-messages.ts`, §7.2, §8.11). Messages reach it already de-duplicated and routed.
 */
export class ChatRules {
  readonly channels: ChannelTable;
  readonly certificates: CertificateStore;
  readonly #membership: ChannelMembership;
  readonly #certs: CertificateExchange;
  readonly #keys: ChannelKeys;
  readonly #messages: ChatMessages;

  constructor(readonly host: ChatHost) {
    const l = host.limits;
    this.channels = new ChannelTable(l.maxChannels, l.maxChannelMembers);
    this.certificates = new CertificateStore(
      l.maxCertificates,
      l.maxCertificateBytes,
      host.backend,
    );
    const ctx: ChatContext = { host, channels: this.channels, certificates: this.certificates };
    this.#certs = new CertificateExchange(ctx, {
      verified: (d, pin) => {
        if (d.message.msg_type === 'KEY') this.#keys.onKey(d as Delivery<MessageOf<'KEY'>>, pin);
        else this.#messages.onMessage(d as Delivery<MessageOf<'MESSAGE'>>, pin);
      },
      inviteReady: (channelId, pin) => this.#keys.inviteReady(channelId, pin),
    });
    this.#membership = new ChannelMembership(ctx, (recipient) =>
      this.#certs.certificateData(recipient),
    );
    this.#keys = new ChannelKeys(ctx, this.#certs, (c) => this.#membership.announce(c));
    this.#messages = new ChatMessages(ctx);
  }

  get held(): number {
    return this.#certs.held;
  }

  /** Pins certificates from an earlier run. */
  restorePins(pins: Iterable<readonly [string, Uint8Array]>): Promise<void> {
    return this.#certs.restorePins(pins);
  }

  // ------------------------------------------------------------------ user actions

  createChannel(name: string, closed: boolean): ChannelInfo {
    return this.#membership.createChannel(name, closed);
  }

  join(channelId: string): void {
    this.#membership.join(channelId);
  }

  leave(channelId: string): void {
    this.#membership.leave(channelId);
  }

  /** Sends a MESSAGE (§8.11); returns the msg_ids (one per member in a closed channel). */
  sendMessage(
    channelId: string,
    text: string,
    attachments: readonly OutgoingAttachment[] = [],
  ): Promise<string[]> {
    return this.#messages.send(channelId, text, attachments);
  }

  /** Gives a node the key of a closed channel (§8.10) and lists it as a member. */
  invite(channelId: string, nodeId: NodeId): void {
    this.#keys.invite(channelId, nodeId);
  }

  /** Sends GETCERTIFICATE (§8.7), at most once per `certificateRequestIntervalMs` per node. */
  requestCertificate(nodeId: NodeId, force = false): void {
    this.#certs.requestCertificate(nodeId, force);
  }

  /** CHANNEL (§8.6): flooded for a public channel, one copy per member for a closed one. */
  announce(channel: Channel): void {
    this.#membership.announce(channel);
  }

  /** Periodic maintenance: re-announce quiet subscribed channels, forget stale ones, expire held. */
  timer(now: number): void {
    this.#membership.timer(now);
    this.#certs.expireHeld(now);
  }

  // ------------------------------------------------------------------ received messages

  deliver(d: Delivery): void {
    switch (d.message.msg_type) {
      case 'CHANNEL': {
        this.#membership.onChannel(d as Delivery<MessageOf<'CHANNEL'>>);
        return;
      }
      case 'JOIN': {
        this.#membership.onJoin(d as Delivery<MessageOf<'JOIN'>>);
        return;
      }
      case 'LEAVE': {
        this.#membership.onLeave(d as Delivery<MessageOf<'LEAVE'>>);
        return;
      }
      case 'GETCERTIFICATE': {
        this.#certs.onGetCertificate(d as Delivery<MessageOf<'GETCERTIFICATE'>>);
        return;
      }
      case 'CERTIFICATE': {
        this.#certs.onCertificate(d as Delivery<MessageOf<'CERTIFICATE'>>);
        return;
      }
      case 'GETKEY': {
        this.#keys.onGetKey(d as Delivery<MessageOf<'GETKEY'>>);
        return;
      }
      case 'KEY':
      case 'MESSAGE': {
        this.#certs.withCertificate(d as Held);
        return;
      }
      default:
        return;
    }
  }
}
