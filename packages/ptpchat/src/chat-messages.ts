import { utf8Decode, utf8Encode } from '@peerwire/wire';
import type { Pin } from './certificates.js';
import { type ChatContext, cryptoOptions, knownChannel } from './chat-context.js';
import type { MessageOf } from './codec/message.js';
import { openContent, sealContent } from './content.js';
import { DuplicateCache } from './dedup.js';
import { PtpchatError } from './errors.js';
import type { Delivery } from './host.js';
import type { Attachment } from './types.js';

/** An attachment to send: a MIME type and the bytes. */
export interface OutgoingAttachment {
  readonly type: string;
  readonly data: Uint8Array;
}

const MIME = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$/;

/**
 * MESSAGE (§7.2, §8.11): the text and attachments each in a signed Bottle (encrypted with the
 * channel key first in a closed channel), flooded to a public channel or sent to each member of
 * a closed one; received ones verified with the sender's certificate, replays refused.
 */
export class ChatMessages {
  /** Signatures of delivered content: a replayed bottle under a fresh msg_id is refused. */
  readonly #seen: DuplicateCache;

  constructor(readonly ctx: ChatContext) {
    const l = ctx.host.limits;
    this.#seen = new DuplicateCache(l.duplicateWindowMs, l.duplicateCacheSize);
  }

  /** Sends a MESSAGE (§8.11); returns the msg_ids (one per member in a closed channel). */
  async send(
    channelId: string,
    text: string,
    attachments: readonly OutgoingAttachment[] = [],
  ): Promise<string[]> {
    const h = this.ctx.host;
    const l = h.limits;
    const channel = knownChannel(this.ctx.channels, channelId);
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

  onMessage({ message, sender, senderGuid }: Delivery<MessageOf<'MESSAGE'>>, pin: Pin): void {
    const h = this.ctx.host;
    const l = h.limits;
    const data = message.msg_data;
    const channel = this.ctx.channels.get(data.channel_id);
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
    const opts = { ...cryptoOptions(h), ...(key ? { channel: key } : {}) };
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
        this.ctx.channels.addMember(channel, senderGuid, sender);
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
}
