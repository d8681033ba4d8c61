import { type Endpoint, formatEndpoint } from '../codec/address.js';
import type { BaseServerLimits } from '../limits.js';
import type { Connection } from './connections.js';
import type { BaseServerAction, BaseServerEvent } from './types.js';
import { idKey } from './wire.js';

/** A device bound to a TCP connection. */
export interface Device {
  readonly id: Uint8Array;
  /** `id` as a map key (`idKey`). */
  readonly key: string;
  readonly conn: Connection;
  readonly boundAt: number;
  /** The addresses of its last INFO (at most `maxInfoAddresses`). */
  info: readonly Endpoint[];
  /** Its public `ip:port` as the base saw it, set by a NAT_OK_CONFIRM (§7.5). */
  observed: Endpoint | undefined;
  /** When its UDP path was last confirmed. */
  udpConfirmedAt: number | undefined;
  /** The highest NAT_INIT counter accepted on this connection (-1 before the first). */
  natCounter: bigint;
  /** The source of that NAT_INIT: a confirm must come from there. */
  natSource: string | undefined;
  /** The NAT_INIT counter last confirmed. */
  confirmedCounter: bigint;
  /** Devices it asked about with REQUEST_INFO (`idKey`s). */
  readonly interests: Set<string>;
}

export interface DevicesHooks {
  sendTcp(conn: Connection, payload: Uint8Array, actions: BaseServerAction[]): void;
  event(event: BaseServerEvent): void;
  encodeDeviceAddresses(deviceId: Uint8Array, addresses: readonly Endpoint[]): Uint8Array;
}

/**
 * The devices a base knows: their INFO and observed addresses, the NAT handshake state, who is
 * interested in whom (REQUEST_INFO, §7.6) and the address pushes of §7.7. Interest in a device
 * outlives the device's connection (the push reaches the requester when it comes back) but not
 * the requester's; every set is bounded by `maxDevices × maxInterestsPerDevice`.
 */
export class Devices {
  readonly #byKey = new Map<string, Device>();
  /** target key → requesters' keys. */
  readonly #interested = new Map<string, Set<string>>();
  readonly #maxEntries: number;
  pushes = 0;
  answers = 0;

  constructor(
    readonly limits: BaseServerLimits,
    readonly hooks: DevicesHooks,
  ) {
    // DEVICE_ADDRESSES = 17 + 18n bytes must fit one record.
    this.#maxEntries = Math.max(1, Math.floor((limits.maxTcpPayload - 17) / 18));
  }

  get size(): number {
    return this.#byKey.size;
  }

  get(id: Uint8Array): Device | undefined {
    return this.#byKey.get(idKey(id));
  }

  bind(conn: Connection, id: Uint8Array, now: number, actions: BaseServerAction[]): Device {
    const device: Device = {
      id, // the decoder's own copy
      key: idKey(id),
      conn,
      boundAt: now,
      info: [],
      observed: undefined,
      udpConfirmedAt: undefined,
      natCounter: -1n,
      natSource: undefined,
      confirmedCounter: -1n,
      interests: new Set(),
    };
    this.#byKey.set(device.key, device);
    void actions;
    return device;
  }

  /** The device's connection is gone: it and its own interests are forgotten. */
  unbind(device: Device, _actions: BaseServerAction[]): void {
    if (this.#byKey.get(device.key) === device) this.#byKey.delete(device.key);
    for (const target of device.interests) {
      const set = this.#interested.get(target);
      if (!set) continue;
      set.delete(device.key);
      if (set.size === 0) this.#interested.delete(target);
    }
    device.interests.clear();
  }

  /** §7.4: store the INFO addresses; a change is pushed (§7.7). */
  setInfo(device: Device, addresses: readonly Endpoint[], actions: BaseServerAction[]): void {
    // the decoded INFO's endpoints are fresh copies already (the codec slices them)
    const kept = addresses.slice(0, this.limits.maxInfoAddresses);
    const before = keys(device.info);
    device.info = kept;
    if (keys(kept) !== before) this.#push(device, actions);
  }

  /**
   * §7.6: remember the interest and answer with DEVICE_ADDRESSES when an address is known.
   * False when the requester is at `maxInterestsPerDevice` (nothing is done then).
   */
  requestInfo(device: Device, target: Uint8Array, actions: BaseServerAction[]): boolean {
    const targetKey = idKey(target);
    if (!device.interests.has(targetKey)) {
      if (device.interests.size >= this.limits.maxInterestsPerDevice) return false;
      device.interests.add(targetKey);
      let set = this.#interested.get(targetKey);
      if (!set) {
        set = new Set();
        this.#interested.set(targetKey, set);
      }
      set.add(device.key);
    }
    const known = this.#byKey.get(targetKey);
    if (!known) return true;
    const entries = this.addressesOf(known);
    if (entries.length === 0) return true; // an entry-less DEVICE_ADDRESSES is rejected (§6)
    this.answers++;
    this.hooks.sendTcp(device.conn, this.hooks.encodeDeviceAddresses(known.id, entries), actions);
    return true;
  }

  /**
   * A verified NAT_INIT: accepted when its counter is above every one used on this connection,
   * or equal to the last one from the same source (the client sends the same NAT_INIT to every
   * base UDP address). A lower counter, or the last one from elsewhere, is a replay.
   */
  natInit(device: Device, counter: bigint, remote: Endpoint): boolean {
    const source = formatEndpoint(remote);
    if (counter > device.natCounter) {
      device.natCounter = counter;
      device.natSource = source;
      return true;
    }
    return counter === device.natCounter && source === device.natSource;
  }

  /**
   * A verified NAT_OK_CONFIRM: accepted only with the counter of the last accepted NAT_INIT and
   * from that NAT_INIT's source, so the observed address is one that both sent a fresh NAT_INIT
   * and received our NAT_OK. Returns true for the first confirm of that counter, false for a
   * repeat (one per base UDP address), undefined for a reject.
   */
  natConfirm(
    device: Device,
    counter: bigint,
    remote: Endpoint,
    now: number,
    actions: BaseServerAction[],
  ): boolean | undefined {
    const source = formatEndpoint(remote);
    if (counter !== device.natCounter || source !== device.natSource) return undefined;
    device.udpConfirmedAt = now;
    if (device.confirmedCounter === counter) return false;
    device.confirmedCounter = counter;
    const before = device.observed === undefined ? undefined : formatEndpoint(device.observed);
    device.observed = remote; // kept as given: the I/O layer must not modify it
    if (before !== source) this.#push(device, actions);
    return true;
  }

  /**
   * What DEVICE_ADDRESSES lists for a device: **the observed public address first**, then the
   * INFO addresses, without duplicates, at most what fits one record (§16 decision).
   */
  addressesOf(device: Device): Endpoint[] {
    const out: Endpoint[] = [];
    const seen = new Set<string>();
    const add = (e: Endpoint) => {
      const k = formatEndpoint(e);
      if (seen.has(k) || out.length >= this.#maxEntries) return;
      seen.add(k);
      out.push(e);
    };
    if (device.observed) add(device.observed);
    for (const e of device.info) add(e);
    return out;
  }

  /** §7.7: DEVICE_ADDRESSES to every connected device interested in `device`. */
  #push(device: Device, actions: BaseServerAction[]): void {
    const requesters = this.#interested.get(device.key);
    if (!requesters || requesters.size === 0) return;
    const entries = this.addressesOf(device);
    if (entries.length === 0) return;
    const payload = this.hooks.encodeDeviceAddresses(device.id, entries);
    for (const key of requesters) {
      const requester = this.#byKey.get(key);
      if (!requester || requester === device || requester.conn.closing) continue;
      this.pushes++;
      this.hooks.sendTcp(requester.conn, payload, actions);
      this.hooks.event({ type: 'pushed', deviceId: device.id, to: requester.id });
    }
  }
}

function keys(list: readonly Endpoint[]): string {
  return list.map(formatEndpoint).join(' ');
}
