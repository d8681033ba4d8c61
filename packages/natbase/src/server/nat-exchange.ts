import { bytesEqual } from '@peerwire/wire';
import { type Endpoint, formatIp } from '../codec/address.js';
import type { SignedPeerToBaseMessage } from '../codec/peer-to-base.js';
import type { BaseServerLimits } from '../limits.js';
import type { Connection, Connections } from './connections.js';
import type { Device, Devices } from './devices.js';
import { RateTable } from './rate-table.js';
import type { BaseServerAction, BaseServerEvent, DropReason } from './types.js';
import { checkProofOfWork, encodeNatOk, type SignatureCheck } from './wire.js';

export type NatMessage = Extract<SignedPeerToBaseMessage, { kind: 'NAT_INIT' | 'NAT_OK_CONFIRM' }>;

export interface NatExchangeHooks {
  drop(reason: DropReason, detail: string, source: Endpoint): void;
  /** Binds `c` to `deviceId` (as its first valid signed message would over TCP). */
  bind(
    c: Connection,
    deviceId: Uint8Array,
    now: number,
    actions: BaseServerAction[],
  ): Device | undefined;
  event(event: BaseServerEvent): void;
}

/**
 * The base's side of the NAT handshake over UDP (spec §7.2, §7.5): NAT_INIT and NAT_OK_CONFIRM,
 * rate-limited per source IP before any crypto, checked for the proof of work, a cookie of a
 * live TCP connection of that device and the signature; NAT_INIT records the observed address
 * and is answered with NAT_OK from the primary address, NAT_OK_CONFIRM confirms the UDP path.
 */
export class NatExchange {
  readonly #rate: RateTable;
  natOks = 0;
  natConfirmations = 0;

  constructor(
    limits: BaseServerLimits,
    readonly primary: Endpoint,
    readonly connections: Connections,
    readonly devices: Devices,
    readonly verify: SignatureCheck,
    readonly hooks: NatExchangeHooks,
  ) {
    this.#rate = new RateTable(
      limits.signedRatePerSecond,
      limits.signedBurst,
      limits.maxTrackedUdpSources,
    );
  }

  handle(
    msg: NatMessage,
    bytes: Uint8Array,
    remote: Endpoint,
    now: number,
    actions: BaseServerAction[],
  ): void {
    const drop = (reason: DropReason, detail: string) => this.hooks.drop(reason, detail, remote);
    if (!this.#rate.take(formatIp(remote.ip), now)) {
      drop('rate-limited', 'signed datagrams too fast from this IP');
      return;
    }
    if (!checkProofOfWork(msg)) {
      drop('bad-device-id', 'the key fails the proof of work or the id');
      return;
    }
    // On UDP the cookie must be that of a live TCP connection of that device (§7.2).
    const c = this.connections.byCookie(msg.cookie);
    if (!c) {
      drop('bad-cookie', 'no live connection has this cookie');
      return;
    }
    if (c.device !== undefined && !bytesEqual(c.device.id, msg.deviceId)) {
      drop('bad-cookie', "the cookie is another device's");
      return;
    }
    if (!this.verify(msg, bytes)) {
      drop('bad-signature', 'the signature does not verify');
      return;
    }
    const device = c.device ?? this.hooks.bind(c, msg.deviceId, now, actions);
    if (!device) return;
    if (msg.kind === 'NAT_INIT') {
      if (!this.devices.natInit(device, msg.counter, remote)) {
        drop('replay', `NAT_INIT counter ${msg.counter} already used`);
        return;
      }
      // §7.5: NAT_OK from the primary address (the client only listens to that one).
      this.natOks++;
      actions.push({
        type: 'send',
        transport: 'udp',
        from: this.primary,
        to: remote,
        bytes: encodeNatOk(),
      });
      return;
    }
    const confirmed = this.devices.natConfirm(device, msg.counter, remote, now, actions);
    if (confirmed === undefined) {
      drop('replay', 'NAT_OK_CONFIRM matches no NAT_OK sent');
      return;
    }
    if (confirmed) {
      this.natConfirmations++;
      this.hooks.event({ type: 'nat-confirmed', deviceId: device.id, observed: device.observed! });
    }
  }
}
