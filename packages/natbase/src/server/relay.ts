import type { Endpoint } from '../codec/address.js';
import type { BaseServerLimits } from '../limits.js';
import type { Connection } from './connections.js';
import type { Device, Devices } from './devices.js';
import { RateTable } from './rate-table.js';
import type { BaseServerAction, BaseServerEvent, ConnectionId, DropReason } from './types.js';
import { encodeBaseData } from './wire.js';

export interface RelayHooks {
  drop(
    reason: DropReason,
    transport: 'tcp' | 'udp',
    detail: string,
    where: { conn?: ConnectionId; source?: Endpoint },
  ): void;
  sendTcp(conn: Connection, payload: Uint8Array, actions: BaseServerAction[]): void;
  event(event: BaseServerEvent): void;
}

/**
 * Relaying DATA (spec §7.8): unsigned, so only for the device that provably sent it (the
 * connection's device over TCP, the observed address over UDP), rate-limited per source device,
 * out over UDP from the primary address when the target's path was confirmed within 35 s, else
 * over its TCP connection unless its send queue is full.
 */
export class Relay {
  relayedUdp = 0;
  relayedTcp = 0;
  readonly #rate: RateTable;

  constructor(
    readonly limits: BaseServerLimits,
    readonly primary: Endpoint,
    readonly devices: Devices,
    readonly hooks: RelayHooks,
  ) {
    this.#rate = new RateTable(limits.relayRatePerSecond, limits.relayBurst, limits.maxDevices);
  }

  /** The device is gone: its rate bucket goes too. */
  forget(device: Device): void {
    this.#rate.delete(device.key);
  }

  fromUdp(
    msg: { readonly source: Uint8Array; readonly target: Uint8Array; readonly data: Uint8Array },
    remote: Endpoint,
    now: number,
    actions: BaseServerAction[],
  ): void {
    // [proposed] DATA is unsigned: over UDP only from the source device's observed address.
    const device = this.devices.get(msg.source);
    if (!device || device.observed === undefined) {
      this.hooks.drop('spoofed-source', 'udp', 'DATA from a device without a confirmed UDP path', {
        source: remote,
      });
      return;
    }
    if (!sameEndpoint(device.observed, remote)) {
      this.hooks.drop('spoofed-source', 'udp', "DATA not from the source device's address", {
        source: remote,
      });
      return;
    }
    this.relay(device, msg.target, msg.data, 'udp', now, actions);
  }

  /** §7.8: B2P DATA to the target over UDP if its path is confirmed within 35 s, else TCP. */
  relay(
    from: Device,
    targetId: Uint8Array,
    data: Uint8Array,
    transport: 'tcp' | 'udp',
    now: number,
    actions: BaseServerAction[],
  ): void {
    const where = transport === 'tcp' ? { conn: from.conn.id } : { source: from.observed! };
    if (data.length === 0) {
      this.hooks.drop('empty', transport, 'DATA without payload', where);
      return;
    }
    if (!this.#rate.take(from.key, now)) {
      this.hooks.drop('rate-limited', transport, 'DATA too fast from this device', where);
      return;
    }
    const target = this.devices.get(targetId);
    if (!target || target.conn.closing) {
      this.hooks.drop('unknown-target', transport, 'the target device is not connected', where);
      return;
    }
    const out = encodeBaseData(from.id, data);
    const confirmedAt = target.udpConfirmedAt;
    if (
      target.observed !== undefined &&
      confirmedAt !== undefined &&
      now - confirmedAt <= this.limits.udpConfirmedTtlMs
    ) {
      this.relayedUdp++;
      actions.push({
        type: 'send',
        transport: 'udp',
        from: this.primary,
        to: target.observed,
        bytes: out,
      });
      this.hooks.event({
        type: 'relayed',
        from: from.id,
        to: target.id,
        path: 'udp',
        bytes: data.length,
      });
      return;
    }
    if (out.length > this.limits.maxTcpPayload) {
      this.hooks.drop(
        'too-large',
        transport,
        `DATA of ${out.length} bytes does not fit a record`,
        where,
      );
      return;
    }
    if (target.conn.backlog + out.length + 5 > this.limits.maxSendQueueBytes) {
      this.hooks.drop('send-queue-full', transport, "the target's send queue is full", where);
      return;
    }
    this.relayedTcp++;
    this.hooks.sendTcp(target.conn, out, actions);
    this.hooks.event({
      type: 'relayed',
      from: from.id,
      to: target.id,
      path: 'tcp',
      bytes: data.length,
    });
  }
}

function sameEndpoint(a: Endpoint, b: Endpoint): boolean {
  if (a.port !== b.port || a.ip.length !== b.ip.length) return false;
  for (let i = 0; i < a.ip.length; i++) if (a.ip[i] !== b.ip[i]) return false;
  return true;
}
