import { utf8Decode, utf8Encode } from '@peerwire/wire';
import { fromBase64, toBase64 } from './base64.js';
import { CertificateStore, type Pin } from './certificates.js';
import { type Channel, ChannelTable } from './channels.js';
import type { MessageOf } from './codec/message.js';
import {
  CHANNEL_CIPHER,
  CHANNEL_KEY_LENGTH,
  openChannelKey,
  openContent,
  sealChannelKey,
  sealContent,
} from './content.js';
import { DuplicateCache } from './dedup.js';
import { PtpchatError } from './errors.js';
import { HoldQueue } from './hold-queue.js';
import type { ChatHost, Delivery } from './host.js';
import { guidOf, hasControlCharacter, type NodeId, randomGuid } from './node-id.js';
import type { Attachment, ChannelInfo } from './types.js';

type Held = Delivery<MessageOf<'MESSAGE'>> | Delivery<MessageOf<'KEY'>>;

/** An attachment to send: a MIME type and the bytes. */
export interface OutgoingAttachment {
  readonly type: string;
  readonly data: Uint8Array;
}

const MIME = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$/;

/**
 * The chat layer of a node: channels and their membership rules (§8.4-8.6), certificates
 * (§7.1, §8.7-8.8), signed messages with attachments (§7.2, §8.11) and closed-channel keys
 * (§7.3, §8.9-8.10). Messages reach it already de-duplicated and routed by the engine.
 */
export class ChatRules {
  readonly channels: ChannelTable;
  readonly certificates: CertificateStore;
  readonly #held: HoldQueue<Held>;
  readonly #certRequests = new Map<string, number>();
  /** Invitations waiting for the invitee's certificate: guid → channel ids. */
  readonly #invites = new Map<string, Set<string>>();
  /** Signatures of delivered content: a replayed bottle under a fresh msg_id is refused. */
  readonly #seen: DuplicateCache;

  constructor(readonly host: ChatHost) {
    const l = host.limits;
    this.channels = new ChannelTable(l.maxChannels, l.maxChannelMembers);
    this.certificates = new CertificateStore(
      l.maxCertificates,
      l.maxCertificateBytes,
      host.backend,
    );
    this.#held = new HoldQueue(l.maxHeldMessages, l.maxHeldPerSender, l.heldMessageTtlMs);
    this.#seen = new DuplicateCache(l.duplicateWindowMs, l.duplicateCacheSize);
  }

  get held(): number {
    return this.#held.size;
  }

  /** Pins certificates from an earlier run. */
  async restorePins(pins: Iterable<readonly [string, Uint8Array]>): Promise<void> {
    for (const [guid, cert] of pins) {
      try {
        await this.certificates.accept(guid, guid.toLowerCase(), cert);
      } catch {
        this.host.drop('bad-certificate', `stored pin for ${guid}`);
      }
    }
  }

  // ------------------------------------------------------------------ user actions

  createChannel(name: string, closed: boolean): ChannelInfo {
    const h = this.host;
    if (
      name.length === 0 ||
      name.length > h.limits.maxChannelNameLength ||
      hasControlCharacter(name)
    ) {
      throw new PtpchatError('INVALID_ACTION', `bad channel name ${JSON.stringify(name)}`);
    }
    const id = randomGuid(h.random);
    const channel = this.channels.upsert(id, name, closed, h.now);
    if (!channel) throw new PtpchatError('LIMIT_EXCEEDED', 'too many channels');
    channel.joined = true;
    this.channels.addMember(channel, h.selfGuid, h.selfId);
    if (closed) channel.key = h.random(CHANNEL_KEY_LENGTH);
    this.announce(channel);
    return this.channels.info(channel);
  }

  join(channelId: string): void {
    const h = this.host;
    const channel = this.#channel(channelId);
    if (channel.joined) return;
    channel.joined = true;
    this.channels.addMember(channel, h.selfGuid, h.selfId);
    const ref = this.#ref(channel);
    for (const [guid, member] of channel.members) {
      if (guid === h.selfGuid) continue;
      h.originate('JOIN', ref, { target: member });
      if (channel.closed) {
        // Seed: a node joining a closed channel sends its certificate in advance.
        h.originate('CERTIFICATE', this.#certificateData(member), { target: member });
        if (!channel.key) h.originate('GETKEY', ref, { target: member });
      }
    }
  }

  leave(channelId: string): void {
    const h = this.host;
    const channel = this.#channel(channelId);
    if (!channel.joined) return;
    const ref = this.#ref(channel);
    for (const [guid, member] of channel.members) {
      if (guid !== h.selfGuid) h.originate('LEAVE', ref, { target: member });
    }
    channel.joined = false;
    channel.members.delete(h.selfGuid);
  }

  /** Sends a MESSAGE (§8.11); returns the msg_ids (one per member in a closed channel). */
  async sendMessage(
    channelId: string,
    text: string,
    attachments: readonly OutgoingAttachment[] = [],
  ): Promise<string[]> {
    const h = this.host;
    const l = h.limits;
    const channel = this.#channel(channelId);
    if (!channel.joined) throw new PtpchatError('INVALID_ACTION', 'join the channel first');
    if (channel.closed && !channel.key)
      throw new PtpchatError('NO_CHANNEL_KEY', 'no key for this closed channel');
    if (utf8Encode(text).length > l.maxMessageTextBytes) {
      throw new PtpchatError('LIMIT_EXCEEDED', `message text over ${l.maxMessageTextBytes} bytes`);
    }
    if (attachments.length > l.maxAttachments) {
      throw new PtpchatError('ATTACHMENT_TOO_LARGE', `more than ${l.maxAttachments} attachments`);
    }
    for (const a of attachments) {
      if (a.data.length > l.maxAttachmentBytes) {
        throw new PtpchatError(
          'ATTACHMENT_TOO_LARGE',
          `attachment over ${l.maxAttachmentBytes} bytes`,
        );
      }
      if (!MIME.test(a.type) || a.type.length > 255) {
        throw new PtpchatError('INVALID_ACTION', `bad MIME type ${JSON.stringify(a.type)}`);
      }
    }
    const seal = (payload: Uint8Array) =>
      sealContent(payload, h.identity.signer, {
        backend: h.backend,
        random: h.random,
        ...(channel.closed ? { channel: { key: channel.key!, id: channel.id } } : {}),
      });
    const message = await seal(utf8Encode(text));
    const sealed = await Promise.all(
      attachments.map(async (a) => ({ attachment: await seal(a.data), attachment_type: a.type })),
    );
    const members = [...channel.members].filter(([g]) => g !== h.selfGuid).map(([, id]) => id);
    const data = {
      node_id: h.selfId,
      recipient: (channel.closed ? members : []).map((node_id) => ({ node_id })),
      timestamp: new Date(h.now).toISOString(),
      channel: channel.name,
      channel_id: channel.id,
      message,
      ...(sealed.length ? { attachment: sealed } : {}),
    };
    if (!channel.closed) return [h.originate('MESSAGE', data, { flood: true })];
    return members.map((m) => h.originate('MESSAGE', data, { target: m }));
  }

  /**
   * Gives a node the key of a closed channel (§8.10) and lists it as a member. Without its
   * certificate, the certificate is requested first and the KEY follows when it arrives.
   */
  invite(channelId: string, nodeId: NodeId): void {
    const h = this.host;
    const channel = this.#channel(channelId);
    if (!channel.closed || !channel.key)
      throw new PtpchatError('NO_CHANNEL_KEY', 'not a closed channel whose key this node holds');
    const guid = guidOf(nodeId);
    if (!this.channels.addMember(channel, guid, nodeId))
      throw new PtpchatError('LIMIT_EXCEEDED', 'channel is full');
    const pin = this.certificates.get(guid);
    if (!pin) {
      const waiting = this.#invites.get(guid) ?? new Set<string>();
      waiting.add(channel.id);
      if (this.#invites.size < h.limits.maxHeldMessages) this.#invites.set(guid, waiting);
      this.requestCertificate(nodeId, true);
      return;
    }
    this.#sendKey(channel, pin);
    this.announce(channel);
  }

  /** Sends GETCERTIFICATE (§8.7), at most once per `certificateRequestIntervalMs` per node. */
  requestCertificate(nodeId: NodeId, force = false): void {
    const h = this.host;
    const guid = guidOf(nodeId);
    const last = this.#certRequests.get(guid);
    if (!force && last !== undefined && h.now - last < h.limits.certificateRequestIntervalMs)
      return;
    this.#certRequests.delete(guid);
    this.#certRequests.set(guid, h.now);
    while (this.#certRequests.size > h.limits.maxCertificates) {
      this.#certRequests.delete(this.#certRequests.keys().next().value!);
    }
    h.originate('GETCERTIFICATE', { node_id: h.selfId }, { target: nodeId });
  }

  /** CHANNEL (§8.6): flooded for a public channel, one copy per member for a closed one. */
  announce(channel: Channel): void {
    const h = this.host;
    channel.lastSeen = h.now;
    const data = {
      ...this.#ref(channel),
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

  /** Periodic maintenance: re-announce quiet subscribed channels, forget stale ones, expire held. */
  timer(now: number): void {
    const l = this.host.limits;
    for (const c of this.channels.all()) {
      if (c.joined && now - c.lastSeen >= l.channelAnnounceIntervalMs) this.announce(c);
    }
    this.channels.expire(now - l.channelExpiryMs);
    for (const d of this.#held.expire(now)) {
      this.host.drop(
        'unknown-sender',
        `${d.message.msg_type} from ${d.sender}: no certificate in time`,
      );
    }
  }

  // ------------------------------------------------------------------ received messages

  deliver(d: Delivery): void {
    switch (d.message.msg_type) {
      case 'CHANNEL': {
        this.#onChannel(d as Delivery<MessageOf<'CHANNEL'>>);
        return;
      }
      case 'JOIN': {
        this.#onJoin(d as Delivery<MessageOf<'JOIN'>>);
        return;
      }
      case 'LEAVE': {
        this.#onLeave(d as Delivery<MessageOf<'LEAVE'>>);
        return;
      }
      case 'GETCERTIFICATE': {
        this.#onGetCertificate(d as Delivery<MessageOf<'GETCERTIFICATE'>>);
        return;
      }
      case 'CERTIFICATE': {
        this.#onCertificate(d as Delivery<MessageOf<'CERTIFICATE'>>);
        return;
      }
      case 'GETKEY': {
        this.#onGetKey(d as Delivery<MessageOf<'GETKEY'>>);
        return;
      }
      case 'KEY':
      case 'MESSAGE': {
        this.#withCertificate(d as Held);
        return;
      }
      default:
        return;
    }
  }

  #onChannel({ message, sender, senderGuid }: Delivery<MessageOf<'CHANNEL'>>): void {
    const h = this.host;
    const data = message.msg_data;
    const known = this.channels.get(data.channel_id);
    const channel =
      known ?? this.channels.upsert(data.channel_id, data.channel, data.closed, h.now);
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
      if (!channel.members.has(g) && this.channels.addMember(channel, g, m.node_id)) changed = true;
    }
    channel.lastSeen = h.now;
    const listsMe = data.members.some((m) => guidOf(m.node_id) === h.selfGuid);
    // Seed rules (§8.4-8.5), answered to the announcer whose list is wrong.
    if (channel.joined && !listsMe) h.originate('JOIN', this.#ref(channel), { target: sender });
    if (!channel.joined && listsMe) h.originate('LEAVE', this.#ref(channel), { target: sender });
    void senderGuid;
    if (changed) h.emit({ type: 'channel', channel: this.channels.info(channel) });
  }

  #onJoin({ message, sender, senderGuid }: Delivery<MessageOf<'JOIN'>>): void {
    const channel = this.channels.get(message.msg_data.channel_id);
    if (!channel) {
      this.host.drop('not-member', 'JOIN for an unknown channel');
      return;
    }
    if (channel.members.has(senderGuid)) return;
    if (!this.channels.addMember(channel, senderGuid, sender)) {
      this.host.drop('limit', 'channel full');
      return;
    }
    this.host.emit({ type: 'member-joined', channelId: channel.id, nodeId: sender });
  }

  #onLeave({ message, sender, senderGuid }: Delivery<MessageOf<'LEAVE'>>): void {
    const channel = this.channels.get(message.msg_data.channel_id);
    if (!channel?.members.delete(senderGuid)) return;
    this.host.emit({ type: 'member-left', channelId: channel.id, nodeId: sender });
  }

  #certificateData(recipient: NodeId, msgId?: string) {
    const h = this.host;
    return {
      node_id: h.selfId,
      recipient_id: recipient,
      certificate: toBase64(h.identity.certificate),
      ...(msgId ? { msg_id: msgId } : {}),
    };
  }

  #onGetCertificate({ message, sender }: Delivery<MessageOf<'GETCERTIFICATE'>>): void {
    this.host.originate('CERTIFICATE', this.#certificateData(sender, message.msg_id!), {
      target: sender,
    });
  }

  #onCertificate({ message, sender, senderGuid }: Delivery<MessageOf<'CERTIFICATE'>>): void {
    const h = this.host;
    const owner = message.msg_data.node_id ?? sender;
    if (guidOf(owner) !== senderGuid) {
      h.drop('bad-certificate', 'CERTIFICATE for another node');
      return;
    }
    let bytes: Uint8Array;
    try {
      bytes = fromBase64(message.msg_data.certificate, h.limits.maxCertificateBytes);
    } catch {
      h.drop('bad-certificate', `certificate of ${sender} is not base64`);
      return;
    }
    h.spawn(async () => {
      let result: { pin: Pin; changed: boolean };
      try {
        result = await this.certificates.accept(sender, senderGuid, bytes);
      } catch (e) {
        for (const d of this.#held.release(senderGuid))
          h.drop('unknown-sender', `held ${d.message.msg_type}`);
        const impostor = e instanceof PtpchatError && e.code === 'GUID_IMPOSTOR';
        return h.drop(
          impostor ? 'guid-impostor' : 'bad-certificate',
          `${sender}: ${(e as Error).message}`,
        );
      }
      if (result.changed) h.emit({ type: 'certificate', nodeId: sender });
      for (const d of this.#held.release(senderGuid)) this.#withCertificate(d);
      const invites = this.#invites.get(senderGuid);
      this.#invites.delete(senderGuid);
      for (const id of invites ?? []) {
        const channel = this.channels.get(id);
        if (channel?.key) {
          this.#sendKey(channel, result.pin);
          this.announce(channel);
        }
      }
    });
  }

  #onGetKey({ message, sender, senderGuid }: Delivery<MessageOf<'GETKEY'>>): void {
    const channel = this.channels.get(message.msg_data.channel_id);
    if (!channel?.closed || !channel.key || !channel.joined) {
      this.host.drop('no-key', 'GETKEY for a channel without key');
      return;
    }
    const pin = this.certificates.get(senderGuid);
    // A listed member who lost the key gets it again; anyone else is the application's call.
    if (channel.members.has(senderGuid) && pin) {
      this.#sendKey(channel, pin);
      return;
    }
    if (channel.members.has(senderGuid)) {
      this.invite(channel.id, sender);
      return;
    }
    this.host.emit({ type: 'key-request', channelId: channel.id, from: sender });
  }

  #sendKey(channel: Channel, pin: Pin): void {
    const h = this.host;
    const key = channel.key!;
    h.spawn(async () => {
      const sealed = await sealChannelKey(key, h.identity.signer, pin.card, this.#cryptoOpts());
      h.originate(
        'KEY',
        { ...this.#ref(channel), recipient_id: pin.nodeId, cipher: CHANNEL_CIPHER, key: sealed },
        { target: pin.nodeId },
      );
    });
  }

  /** MESSAGE and KEY need the sender's certificate: hold them while it is fetched (§7.1). */
  #withCertificate(d: Held): void {
    const h = this.host;
    const pin = this.certificates.get(d.senderGuid);
    if (!pin) {
      if (!this.#held.hold(d.senderGuid, d, h.now)) {
        h.drop('held-overflow', `from ${d.sender}`);
        return;
      }
      this.requestCertificate(d.sender);
      return;
    }
    if (d.message.msg_type === 'KEY') this.#onKey(d as Delivery<MessageOf<'KEY'>>, pin);
    else this.#onMessage(d as Delivery<MessageOf<'MESSAGE'>>, pin);
  }

  #onKey({ message, sender }: Delivery<MessageOf<'KEY'>>, pin: Pin): void {
    const h = this.host;
    const data = message.msg_data;
    if (data.recipient_id !== undefined && guidOf(data.recipient_id) !== h.selfGuid) return;
    if (data.cipher.toUpperCase() !== CHANNEL_CIPHER) {
      h.drop('decrypt-failed', `cipher ${data.cipher}`);
      return;
    }
    h.spawn(async () => {
      let key: Uint8Array;
      try {
        key = await openChannelKey(data.key, h.identity.keychain, pin.card, this.#cryptoOpts());
      } catch (e) {
        return h.drop('decrypt-failed', `KEY from ${sender}: ${(e as Error).message}`);
      }
      const channel = this.channels.upsert(data.channel_id, data.channel, true, h.now);
      if (!channel) return h.drop('limit', 'channel table full');
      if (!channel.closed) return h.drop('malformed', 'KEY for a public channel');
      channel.key = key;
      this.channels.addMember(channel, pin.card ? guidOf(sender) : guidOf(sender), sender);
      this.channels.addMember(channel, h.selfGuid, h.selfId);
      h.emit({ type: 'key', channelId: channel.id, from: sender });
      h.emit({ type: 'channel', channel: this.channels.info(channel) });
    });
  }

  #onMessage({ message, sender, senderGuid }: Delivery<MessageOf<'MESSAGE'>>, pin: Pin): void {
    const h = this.host;
    const l = h.limits;
    const data = message.msg_data;
    const channel = this.channels.get(data.channel_id);
    if (!channel?.joined) return; // forwarded, not for us
    if (channel.closed && !channel.key) {
      h.drop('no-key', `closed channel ${channel.id}`);
      return;
    }
    const attachments = data.attachment ?? [];
    if (attachments.length > l.maxAttachments) {
      h.drop('attachment-too-large', `${attachments.length} attachments`);
      return;
    }
    const key = channel.closed ? { key: channel.key!, id: channel.id } : undefined;
    const opts = { ...this.#cryptoOpts(), ...(key ? { channel: key } : {}) };
    h.spawn(async () => {
      let text: string;
      let signature: string;
      const files: Attachment[] = [];
      try {
        const opened = await openContent(data.message, pin.card, {
          ...opts,
          maxBytes: l.maxMessageTextBytes,
        });
        text = utf8Decode(opened.payload, 0, opened.payload.length, 'MESSAGE text');
        signature = opened.signature;
        for (const a of attachments) {
          const f = await openContent(a.attachment, pin.card, {
            ...opts,
            maxBytes: l.maxAttachmentBytes,
          });
          files.push({ type: a.attachment_type, data: f.payload });
        }
      } catch (e) {
        const code = e instanceof PtpchatError ? e.code : '';
        const reason =
          code === 'DECRYPT_FAILED'
            ? 'decrypt-failed'
            : code === 'LIMIT_EXCEEDED' || code === 'BAD_BASE64'
              ? 'attachment-too-large'
              : 'bad-signature';
        return h.drop(reason, `MESSAGE from ${sender}: ${(e as Error).message}`);
      }
      if (!this.#seen.add(signature, h.now))
        return h.drop('duplicate', `replayed MESSAGE from ${sender}`);
      if (!channel.closed && !channel.members.has(senderGuid))
        this.channels.addMember(channel, senderGuid, sender);
      h.counters.messagesDelivered++;
      h.emit({
        type: 'message',
        msgId: message.msg_id!,
        from: sender,
        channelId: channel.id,
        channel: channel.name,
        text,
        timestamp: data.timestamp,
        attachments: files,
        closed: channel.closed,
      });
    });
  }

  #cryptoOpts() {
    const h = this.host;
    return { now: Math.floor(h.now / 1000), ...(h.backend ? { backend: h.backend } : {}) };
  }

  #channel(id: string): Channel {
    const channel = this.channels.get(id.toLowerCase());
    if (!channel) throw new PtpchatError('UNKNOWN_CHANNEL', `unknown channel ${id}`);
    return channel;
  }

  #ref(channel: Channel) {
    return { node_id: this.host.selfId, channel: channel.name, channel_id: channel.id };
  }
}
