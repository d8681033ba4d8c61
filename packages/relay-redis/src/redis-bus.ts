import type { Target } from '@peerwire/address';
import type { BusAnnouncement, RelayBus, RelayClock, RelayRandom } from '@peerwire/relay';
import type { Redis } from 'ioredis';
import { BATCH_VERSION, splitBatch } from './batch.js';
import { decodeEnvelope, encodeEnvelope } from './envelope.js';
import type { ClusterKeys } from './keys.js';
import type { RedisClusterLimits } from './options.js';
import type { PresenceView } from './presence-view.js';
import { PublishBatcher, type PublishResult } from './publish-batcher.js';

/** Counters of the bus (the daemon turns them into metrics). */
export interface BusStats {
  /** Envelopes published to another relay. */
  crossOut: number;
  /** Envelopes received from another relay and handed to the relay core. */
  crossIn: number;
  /** Of those, delivered to a local connection. */
  crossInDelivered: number;
  /** Cross-relay deliveries refused at once because Redis is not reachable. */
  failedRedisDown: number;
  /** Refused because `maxPendingPublishes` publishes were already waiting. */
  failedQueueFull: number;
  /** Refused because the envelope would exceed `maxEnvelopeBytes`. */
  failedTooLarge: number;
  /** Envelopes in publishes Redis did not acknowledge (the messages are lost; counted). */
  publishErrors: number;
  /** Envelopes (or whole batches) from other relays that did not decode or were too large. */
  badEnvelopes: number;
  /**
   * Envelopes nobody was subscribed to receive (the relay died before its presence expired):
   * lost, counted, and that relay is dropped from the view at once.
   */
  noReceiver: number;
  /** PUBLISH commands of the bus (a batch carries every envelope of one turn for one relay). */
  publishes: number;
  /** Pub/sub messages received (single envelopes or batches). */
  received: number;
}

/** Where a received envelope goes: `Relay.deliverFromBus`. */
export type BusSink = (target: Target, packet: Uint8Array, origin: string) => boolean;

/**
 * The `RelayBus` on Redis pub/sub. Each relay listens on its own channel (`bus:<srv>`); a packet
 * for a connection elsewhere is published once to the channel of the relay holding it (one
 * hop), addressed to that exact connection. `remote` and the choice of connection come from the
 * replicated `PresenceView`, so the relay core's routing stays synchronous. While Redis is
 * unreachable (or slow, past `maxPendingPublishes`) `deliver` answers false at once: the
 * relay core sends its `no route` reply and local routing goes on unaffected.
 */
export class RedisBus implements RelayBus {
  readonly stats: BusStats = {
    crossOut: 0,
    crossIn: 0,
    crossInDelivered: 0,
    failedRedisDown: 0,
    failedQueueFull: 0,
    failedTooLarge: 0,
    publishErrors: 0,
    badEnvelopes: 0,
    noReceiver: 0,
    publishes: 0,
    received: 0,
  };
  /** This relay's own online connections (what it re-announces after a reconnect). */
  readonly local = new Map<string, { hash: string; groups: readonly string[] }>();
  readonly #batcher: PublishBatcher;
  #sink: BusSink | undefined;

  constructor(
    readonly serverCode: string,
    readonly pub: Redis,
    readonly keys: ClusterKeys,
    readonly view: PresenceView,
    readonly limits: RedisClusterLimits,
    readonly clock: RelayClock,
    readonly random: RelayRandom,
    readonly isUp: () => boolean,
    readonly onLatency: (ms: number) => void,
    /** Runs the publish of a turn's envelopes once the turn is over (`setImmediate`). */
    defer: (flush: () => void) => void = (flush) => setImmediate(flush),
  ) {
    this.#batcher = new PublishBatcher(
      (srv, payload) =>
        this.pub.publish(
          this.keys.bus(srv),
          Buffer.from(payload.buffer, payload.byteOffset, payload.length),
        ),
      limits.maxBatchBytes,
      defer,
      (srv, n, result) => this.#published(srv, n, result),
    );
  }

  /** Envelopes queued for this turn's publishes or waiting for Redis's answer. */
  get pending(): number {
    return this.#batcher.pending;
  }

  /** Connects the bus to the relay core (`relay.deliverFromBus`). */
  attach(sink: BusSink): void {
    this.#sink = sink;
  }

  announce(event: BusAnnouncement): void {
    const channel = this.keys.presenceChannel;
    const presence = this.keys.presence(this.serverCode);
    if (event.type === 'online') {
      this.local.set(event.cid, { hash: event.hash, groups: event.groups });
      if (!this.isUp()) return; // re-announced in full once Redis is back
      const record = JSON.stringify({ h: event.hash, g: event.groups });
      const notice = JSON.stringify({
        t: 'on',
        srv: this.serverCode,
        cid: event.cid,
        hash: event.hash,
        groups: event.groups,
      });
      this.pub
        .pipeline()
        .hset(presence, event.cid, record)
        .pexpire(presence, this.limits.presenceTtlMs)
        .publish(channel, notice)
        .exec()
        .catch(() => {}); // Redis went away: the reconnect re-announces everything
    } else {
      this.local.delete(event.cid);
      if (!this.isUp()) return;
      const notice = JSON.stringify({ t: 'off', srv: this.serverCode, cid: event.cid });
      this.pub
        .pipeline()
        .hdel(presence, event.cid)
        .publish(channel, notice)
        .exec()
        .catch(() => {});
    }
  }

  remote(target: Target, exclude?: string): number {
    return this.view.count(target, exclude);
  }

  deliver(target: Target, packet: Uint8Array, from?: string): boolean {
    const pick = this.view.pick(target, this.random, from);
    if (pick === undefined) return false;
    if (!this.isUp()) {
      this.stats.failedRedisDown++;
      return false;
    }
    if (this.#batcher.pending >= this.limits.maxPendingPublishes) {
      this.stats.failedQueueFull++;
      return false;
    }
    const dot = pick.cid.indexOf('.');
    const envelope = encodeEnvelope({
      origin: this.serverCode,
      target: { type: 'c', server: pick.srv, clientId: pick.cid.slice(dot + 1) },
      sentAt: this.clock.now(),
      packet,
    });
    if (envelope.length > this.limits.maxEnvelopeBytes) {
      this.stats.failedTooLarge++;
      return false;
    }
    this.stats.crossOut++;
    this.#batcher.push(pick.srv, envelope);
    return true;
  }

  /** Envelopes this turn has queued and not published yet leave now. */
  flush(): void {
    this.#batcher.flush();
  }

  #published(srv: string, envelopes: number, result: PublishResult): void {
    this.stats.publishes++;
    if ('error' in result) {
      this.stats.publishErrors += envelopes;
    } else if (result.receivers === 0) {
      this.stats.noReceiver += envelopes;
      this.view.dropRelay(srv);
    }
  }

  /** A message from this relay's channel: one envelope, or a batch of them. */
  receive(message: Uint8Array): void {
    this.stats.received++;
    if (this.#sink === undefined) {
      this.stats.badEnvelopes++;
      return;
    }
    if (message[0] !== BATCH_VERSION) {
      this.#receiveOne(message);
      return;
    }
    let envelopes: Uint8Array[];
    try {
      if (message.length > this.limits.maxBatchBytes) throw new Error('batch too large');
      envelopes = splitBatch(message, this.limits.maxEnvelopeBytes);
    } catch {
      this.stats.badEnvelopes++;
      return;
    }
    for (const e of envelopes) this.#receiveOne(e);
  }

  #receiveOne(message: Uint8Array): void {
    if (message.length > this.limits.maxEnvelopeBytes) {
      this.stats.badEnvelopes++;
      return;
    }
    let envelope: ReturnType<typeof decodeEnvelope>;
    try {
      envelope = decodeEnvelope(message);
    } catch {
      this.stats.badEnvelopes++;
      return;
    }
    this.stats.crossIn++;
    this.onLatency(Math.max(0, this.clock.now() - envelope.sentAt));
    if (this.#sink!(envelope.target, envelope.packet, envelope.origin))
      this.stats.crossInDelivered++;
  }
}
