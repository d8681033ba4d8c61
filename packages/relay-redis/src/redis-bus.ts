import type { Target } from '@peerwire/address';
import type { BusAnnouncement, RelayBus, RelayClock, RelayRandom } from '@peerwire/relay';
import type { Redis } from 'ioredis';
import { decodeEnvelope, encodeEnvelope } from './envelope.js';
import type { ClusterKeys } from './keys.js';
import type { RedisClusterLimits } from './options.js';
import type { PresenceView } from './presence-view.js';

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
  /** Publishes Redis did not acknowledge (the message is lost; counted). */
  publishErrors: number;
  /** Envelopes from other relays that did not decode or were too large. */
  badEnvelopes: number;
  /**
   * Envelopes nobody was subscribed to receive (the relay died before its presence expired):
   * lost, counted, and that relay is dropped from the view at once.
   */
  noReceiver: number;
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
  };
  /** This relay's own online connections (what it re-announces after a reconnect). */
  readonly local = new Map<string, { hash: string; groups: readonly string[] }>();
  #pending = 0;
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
  ) {}

  /** Publishes waiting for Redis's answer. */
  get pending(): number {
    return this.#pending;
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
    if (this.#pending >= this.limits.maxPendingPublishes) {
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
    this.#pending++;
    this.stats.crossOut++;
    this.pub
      .publish(
        this.keys.bus(pick.srv),
        Buffer.from(envelope.buffer, envelope.byteOffset, envelope.length),
      )
      .then((receivers) => {
        if (receivers > 0) return;
        this.stats.noReceiver++;
        this.view.dropRelay(pick.srv);
      })
      .catch(() => {
        this.stats.publishErrors++;
      })
      .finally(() => {
        this.#pending--;
      });
    return true;
  }

  /** An envelope from this relay's channel. */
  receive(message: Uint8Array): void {
    if (message.length > this.limits.maxEnvelopeBytes || this.#sink === undefined) {
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
    if (this.#sink(envelope.target, envelope.packet, envelope.origin))
      this.stats.crossInDelivered++;
  }
}
