import type { BoundedMap } from '@peerwire/wire';
import { fromBase64, toBase64 } from './base64.js';
import { boundedMap } from './bounded.js';
import type { Pin } from './certificates.js';
import type { ChatContext } from './chat-context.js';
import type { MessageOf } from './codec/message.js';
import { PtpchatError } from './errors.js';
import { HoldQueue } from './hold-queue.js';
import type { Delivery } from './host.js';
import { guidOf, type NodeId } from './node-id.js';

/** A received MESSAGE or KEY: both need the sender's certificate before they can be read. */
export type Held = Delivery<MessageOf<'MESSAGE'>> | Delivery<MessageOf<'KEY'>>;

export interface CertificateHandlers {
  /** A held (or fresh) MESSAGE or KEY whose sender's certificate is pinned. */
  verified(d: Held, pin: Pin): void;
  /** The certificate of a node invited to a closed channel arrived: send it the key now. */
  inviteReady(channelId: string, pin: Pin): void;
}

/**
 * Certificates on the wire (§7.1, §8.7-8.8): GETCERTIFICATE answered with this node's signed ID
 * card, received cards pinned per GUID (`CertificateStore`), requests rate-limited per node, and
 * MESSAGE/KEY from unknown senders held (bounded in count and time) while their card is fetched.
 */
export class CertificateExchange {
  readonly #held: HoldQueue<Held>;
  /** Node GUID → when its certificate was last asked for (at most `maxCertificates`). */
  readonly #certRequests: BoundedMap<string, number>;
  /** Invitations waiting for the invitee's certificate: guid → channel ids. */
  readonly #invites = new Map<string, Set<string>>();

  constructor(
    readonly ctx: ChatContext,
    readonly handlers: CertificateHandlers,
  ) {
    const l = ctx.host.limits;
    this.#held = new HoldQueue(l.maxHeldMessages, l.maxHeldPerSender, l.heldMessageTtlMs);
    this.#certRequests = boundedMap(l.maxCertificates, 'insertion');
  }

  get held(): number {
    return this.#held.size;
  }

  /** Pins certificates from an earlier run. */
  async restorePins(pins: Iterable<readonly [string, Uint8Array]>): Promise<void> {
    for (const [guid, cert] of pins) {
      try {
        await this.ctx.certificates.accept(guid, guid.toLowerCase(), cert);
      } catch {
        this.ctx.host.drop('bad-certificate', `stored pin for ${guid}`);
      }
    }
  }

  /** Sends GETCERTIFICATE (§8.7), at most once per `certificateRequestIntervalMs` per node. */
  requestCertificate(nodeId: NodeId, force = false): void {
    const h = this.ctx.host;
    const guid = guidOf(nodeId);
    const last = this.#certRequests.get(guid);
    if (!force && last !== undefined && h.now - last < h.limits.certificateRequestIntervalMs)
      return;
    this.#certRequests.set(guid, h.now); // the newest, the oldest forgotten past the limit
    h.originate('GETCERTIFICATE', { node_id: h.selfId }, { target: nodeId });
  }

  /** Remembers that `channelId`'s key goes to `guid` once its certificate is in. */
  awaitInvite(guid: string, channelId: string): void {
    const waiting = this.#invites.get(guid) ?? new Set<string>();
    waiting.add(channelId);
    if (this.#invites.size < this.ctx.host.limits.maxHeldMessages) this.#invites.set(guid, waiting);
  }

  /** Drops held messages whose sender's certificate did not come in time. */
  expireHeld(now: number): void {
    for (const d of this.#held.expire(now)) {
      this.ctx.host.drop(
        'unknown-sender',
        `${d.message.msg_type} from ${d.sender}: no certificate in time`,
      );
    }
  }

  certificateData(recipient: NodeId, msgId?: string) {
    const h = this.ctx.host;
    return {
      node_id: h.selfId,
      recipient_id: recipient,
      certificate: toBase64(h.identity.certificate),
      ...(msgId ? { msg_id: msgId } : {}),
    };
  }

  onGetCertificate({ message, sender }: Delivery<MessageOf<'GETCERTIFICATE'>>): void {
    this.ctx.host.originate('CERTIFICATE', this.certificateData(sender, message.msg_id!), {
      target: sender,
    });
  }

  onCertificate({ message, sender, senderGuid }: Delivery<MessageOf<'CERTIFICATE'>>): void {
    const h = this.ctx.host;
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
        result = await this.ctx.certificates.accept(sender, senderGuid, bytes);
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
      for (const d of this.#held.release(senderGuid)) this.withCertificate(d);
      const invites = this.#invites.get(senderGuid);
      this.#invites.delete(senderGuid);
      for (const id of invites ?? []) this.handlers.inviteReady(id, result.pin);
    });
  }

  /** MESSAGE and KEY need the sender's certificate: hold them while it is fetched (§7.1). */
  withCertificate(d: Held): void {
    const h = this.ctx.host;
    const pin = this.ctx.certificates.get(d.senderGuid);
    if (!pin) {
      if (!this.#held.hold(d.senderGuid, d, h.now)) {
        h.drop('held-overflow', `from ${d.sender}`);
        return;
      }
      this.requestCertificate(d.sender);
      return;
    }
    this.handlers.verified(d, pin);
  }
}
