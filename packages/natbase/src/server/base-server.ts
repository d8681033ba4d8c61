import { bytesEqual } from '@peerwire/wire';
import type { Endpoint } from '../codec/address.js';
import type { RandomSource } from '../codec/identity.js';
import {
  decodePeerToBase,
  type PeerToBaseMessage,
  type SignedPeerToBaseMessage,
} from '../codec/peer-to-base.js';
import type { Ed25519Verify } from '../codec/signature.js';
import { NatbaseError } from '../errors.js';
import { type BaseServerLimits, DEFAULT_BASE_SERVER_LIMITS, resolveLimits } from '../limits.js';
import { type Connection, Connections } from './connections.js';
import { type Device, Devices } from './devices.js';
import { NatExchange } from './nat-exchange.js';
import { Relay } from './relay.js';
import type {
  BaseServerAction,
  BaseServerEvent,
  BaseServerStats,
  ConnectionId,
  DropReason,
} from './types.js';
import { DROP_REASONS } from './types.js';
import {
  checkProofOfWork,
  encodeBaseHello,
  encodeDeviceAddresses,
  encodeState,
  frame,
  idKey,
  type SignatureCheck,
  signatureCheck,
  viewPeerData,
} from './wire.js';

export interface BaseServerOptions {
  /** The base's UDP addresses, **primary first** (1 to 5, spec §6); advertised in STATE. */
  readonly udpAddresses: readonly Endpoint[];
  /** Random bytes for cookies (injected). */
  readonly random: RandomSource;
  /** Timers and limits; unset fields keep `DEFAULT_BASE_SERVER_LIMITS`. */
  readonly limits?: Partial<BaseServerLimits>;
  readonly onEvent?: (event: BaseServerEvent) => void;
  /**
   * The Ed25519 verifier (default the portable `nobleEd25519Verify`); a busy base passes
   * `opensslEd25519Verify()` from `@peerwire/natbase/node`.
   */
  readonly verify?: Ed25519Verify;
}

/**
 * The peerwire base server of spec §7 as a sans-I/O core. The I/O layer reports TCP
 * connections, their bytes and their end, UDP datagrams (with the local base address that got
 * them) and the time; the core answers with `BaseServerAction`s. Everything it keeps is bounded
 * by a named limit, every signed message is checked (length, proof of work, cookie, Ed25519)
 * before it is acted on, and unsigned DATA is only relayed for the device that provably sent it.
 */
export class BaseServer {
  readonly limits: BaseServerLimits;
  readonly #primary: Endpoint;
  readonly #udpAddresses: readonly Endpoint[];
  readonly #random: RandomSource;
  readonly #onEvent: (event: BaseServerEvent) => void;
  readonly #verify: SignatureCheck;
  readonly #conns: Connections;
  readonly #devices: Devices;
  readonly #nat: NatExchange;
  readonly #relay: Relay;
  /** The time of the input being handled. */
  #now = 0;
  #timerAt = Number.POSITIVE_INFINITY;
  readonly #drops = Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<
    DropReason,
    number
  >;

  constructor(options: BaseServerOptions) {
    this.limits = resolveLimits(DEFAULT_BASE_SERVER_LIMITS, options.limits);
    if (options.udpAddresses.length < 1 || options.udpAddresses.length > 5) {
      throw new NatbaseError('BAD_VALUE', 'a base has 1 to 5 UDP addresses (STATE, spec §6)');
    }
    this.#udpAddresses = options.udpAddresses.map((e) => ({ ip: e.ip.slice(), port: e.port }));
    this.#primary = this.#udpAddresses[0]!;
    this.#random = options.random;
    this.#onEvent = options.onEvent ?? (() => {});
    this.#verify = signatureCheck(options.verify);
    const l = this.limits;
    this.#conns = new Connections(l, this.#random);
    this.#devices = new Devices(l, {
      sendTcp: (conn, payload, actions) => this.#sendTcp(conn, payload, actions),
      event: (e) => this.#onEvent(e),
      encodeDeviceAddresses,
    });
    this.#relay = new Relay(l, this.#primary, this.#devices, {
      drop: (reason, transport, detail, where) => this.#drop(reason, transport, detail, where),
      sendTcp: (conn, payload, actions) => this.#sendTcp(conn, payload, actions),
      event: (e) => this.#onEvent(e),
    });
    this.#nat = new NatExchange(l, this.#primary, this.#conns, this.#devices, this.#verify, {
      drop: (reason, detail, source) => this.#drop(reason, 'udp', detail, { source }),
      bind: (c, deviceId, now, actions) => this.#bind(c, deviceId, now, actions),
      event: (e) => this.#onEvent(e),
    });
  }

  get stats(): BaseServerStats {
    return {
      connections: this.#conns.size,
      devicesConnected: this.#devices.size,
      natConfirmations: this.#nat.natConfirmations,
      natOks: this.#nat.natOks,
      relayedUdp: this.#relay.relayedUdp,
      relayedTcp: this.#relay.relayedTcp,
      addressPushes: this.#devices.pushes,
      addressAnswers: this.#devices.answers,
      drops: { ...this.#drops },
    };
  }

  /** The device bound to a connection, if any. */
  deviceOf(conn: ConnectionId): Uint8Array | undefined {
    return this.#conns.get(conn)?.device?.id;
  }

  /** The connection a device is bound to, if it is connected. */
  connectionOf(deviceId: Uint8Array): ConnectionId | undefined {
    return this.#devices.get(deviceId)?.conn.id;
  }

  /** A device's observed public address (from its confirmed NAT handshake), if any. */
  observedAddressOf(deviceId: Uint8Array): Endpoint | undefined {
    return this.#devices.get(deviceId)?.observed;
  }

  // ---- TCP ------------------------------------------------------------------------------------

  /** A host connected over TCP from `remote`: HELLO with a fresh cookie, then STATE (§7.1). */
  tcpOpen(conn: ConnectionId, remote: Endpoint, now: number): BaseServerAction[] {
    this.#now = now;
    const actions: BaseServerAction[] = [];
    const l = this.limits;
    if (this.#conns.has(conn)) {
      // an I/O-layer bug: never close the connection that really has this id
      this.#drop('connection-limit', 'tcp', `connection id ${conn} is already open`, { conn });
      return actions;
    }
    const refuse = this.#conns.refusal(remote);
    if (refuse !== undefined) {
      this.#drop('connection-limit', 'tcp', refuse, { conn });
      actions.push({ type: 'close', conn });
      return actions;
    }
    const { c, cookie } = this.#conns.open(conn, remote, now);
    this.#onEvent({ type: 'connected', conn, remote: c.remote });
    this.#sendTcp(c, encodeBaseHello(cookie), actions);
    this.#sendTcp(c, encodeState(this.#udpAddresses), actions);
    this.#wantTimer(Math.min(now + l.bindTimeoutMs, now + l.keepaliveIntervalMs), actions);
    return actions;
  }

  /** Bytes received on a TCP connection. */
  tcpData(conn: ConnectionId, bytes: Uint8Array, now: number): BaseServerAction[] {
    this.#now = now;
    const c = this.#conns.get(conn);
    const actions: BaseServerAction[] = [];
    if (!c || c.closing) return actions;
    c.lastHeard = now;
    let payloads: Uint8Array[];
    try {
      payloads = c.framer.push(bytes);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      this.#drop('bad-frame', 'tcp', detail, { conn });
      this.#close(c, actions);
      return actions;
    }
    for (const payload of payloads) {
      if (c.closing) break;
      this.#tcpMessage(c, payload, now, actions);
    }
    return actions;
  }

  /**
   * The I/O layer's count of bytes written to `conn` but not yet sent. Relayed DATA that would
   * push it over `maxSendQueueBytes` is dropped (§7.10).
   */
  tcpBacklog(conn: ConnectionId, bytes: number): void {
    const c = this.#conns.get(conn);
    if (c) c.backlog = bytes;
  }

  /** The TCP connection ended (EOF, error, or after a `close` the core asked for). */
  tcpClosed(conn: ConnectionId, now: number): BaseServerAction[] {
    this.#now = now;
    const c = this.#conns.get(conn);
    const actions: BaseServerAction[] = [];
    if (!c) return actions;
    this.#forget(c, now, actions);
    this.#conns.remove(c);
    this.#onEvent({ type: 'disconnected', conn, deviceId: c.device?.id });
    return actions;
  }

  // ---- UDP ------------------------------------------------------------------------------------

  /**
   * A datagram to the base UDP address `local` from `remote`. Like `tcpOpen`'s `remote`, the
   * endpoint may be kept (as a device's observed address): do not modify it afterwards.
   */
  udpData(local: Endpoint, remote: Endpoint, bytes: Uint8Array, now: number): BaseServerAction[] {
    this.#now = now;
    void local;
    const actions: BaseServerAction[] = [];
    if (bytes.length > this.limits.maxUdpDatagram) {
      this.#drop('oversize', 'udp', `datagram of ${bytes.length} bytes`, { source: remote });
      return actions;
    }
    const data = viewPeerData(bytes);
    if (data) {
      this.#relay.fromUdp(data, remote, now, actions);
      return actions;
    }
    let msg: PeerToBaseMessage;
    try {
      msg = decodePeerToBase(bytes);
    } catch (error) {
      this.#drop('malformed', 'udp', errorText(error), { source: remote });
      return actions;
    }
    switch (msg.kind) {
      case 'DATA':
        this.#relay.fromUdp(msg, remote, now, actions);
        return actions;
      case 'NAT_INIT':
      case 'NAT_OK_CONFIRM':
        this.#nat.handle(msg, bytes, remote, now, actions);
        return actions;
      case 'NAT_INIT_TRANSIENT':
        this.#drop('unsupported', 'udp', 'this base advertises no transient range', {
          source: remote,
        });
        return actions;
      default:
        this.#drop('wrong-transport', 'udp', `${msg.kind} is a TCP message`, { source: remote });
        return actions;
    }
  }

  // ---- time -----------------------------------------------------------------------------------

  /** Applies the timeouts and keepalives due at `now` (§7.9). */
  timer(now: number): BaseServerAction[] {
    this.#now = now;
    const actions: BaseServerAction[] = [];
    const l = this.limits;
    this.#timerAt = Number.POSITIVE_INFINITY;
    let next = Number.POSITIVE_INFINITY;
    for (const c of this.#conns.values()) {
      if (c.closing) continue;
      if (c.device === undefined && now >= c.openedAt + l.bindTimeoutMs) {
        this.#onEvent({ type: 'timeout', conn: c.id, why: 'unbound' });
        this.#close(c, actions);
        continue;
      }
      if (c.device !== undefined && now >= c.lastHeard + l.idleTimeoutMs) {
        this.#onEvent({ type: 'timeout', conn: c.id, why: 'idle' });
        this.#close(c, actions);
        continue;
      }
      if (now >= c.lastSent + l.keepaliveIntervalMs) {
        // §7.9: STATE again; the client treats it idempotently.
        this.#sendTcp(c, encodeState(this.#udpAddresses), actions);
      }
      next = Math.min(
        next,
        c.lastSent + l.keepaliveIntervalMs,
        c.device === undefined ? c.openedAt + l.bindTimeoutMs : c.lastHeard + l.idleTimeoutMs,
      );
    }
    this.#wantTimer(Math.max(next, now + l.sweepIntervalMs), actions);
    return actions;
  }

  // ---- internals: TCP messages ----------------------------------------------------------------

  #tcpMessage(c: Connection, payload: Uint8Array, now: number, actions: BaseServerAction[]): void {
    let msg: PeerToBaseMessage | undefined = viewPeerData(payload);
    try {
      msg ??= decodePeerToBase(payload);
    } catch (error) {
      this.#drop('malformed', 'tcp', errorText(error), { conn: c.id });
      return;
    }
    switch (msg.kind) {
      case 'USER_AGENT':
        return; // optional, usually lost (§5); nothing depends on it
      case 'DATA': {
        const device = c.device;
        if (device === undefined) {
          this.#drop('spoofed-source', 'tcp', 'DATA before the connection is bound', {
            conn: c.id,
          });
          return;
        }
        if (!bytesEqual(device.id, msg.source)) {
          this.#drop('spoofed-source', 'tcp', 'DATA claims another source device', {
            conn: c.id,
          });
          return;
        }
        this.#relay.relay(device, msg.target, msg.data, 'tcp', now, actions);
        return;
      }
      case 'REQUEST_INFO':
      case 'INFO': {
        if (!c.signedBucket.take(1, now)) {
          this.#drop('rate-limited', 'tcp', 'signed messages too fast', { conn: c.id });
          return;
        }
        const device = this.#verifyTcp(c, msg, payload, now, actions);
        if (!device) return;
        if (msg.kind === 'INFO') this.#devices.setInfo(device, msg.addresses, actions);
        else if (!this.#devices.requestInfo(device, msg.target, actions))
          this.#drop('interest-limit', 'tcp', 'too many REQUEST_INFO targets', { conn: c.id });
        return;
      }
      default:
        this.#drop('wrong-transport', 'tcp', `${msg.kind} is a UDP message`, { conn: c.id });
    }
  }

  /** Checks a signed TCP message and binds the connection on the first valid one (§7.2–§7.3). */
  #verifyTcp(
    c: Connection,
    msg: SignedPeerToBaseMessage,
    bytes: Uint8Array,
    now: number,
    actions: BaseServerAction[],
  ): Device | undefined {
    const h = msg;
    if (c.device !== undefined && !bytesEqual(c.device.id, h.deviceId)) {
      this.#drop('wrong-device', 'tcp', 'the connection is bound to another device', {
        conn: c.id,
      });
      return undefined;
    }
    if (!checkProofOfWork(msg)) {
      this.#drop('bad-device-id', 'tcp', 'the key fails the proof of work or the id', {
        conn: c.id,
      });
      return undefined;
    }
    if (idKey(h.cookie) !== c.cookieKey) {
      this.#drop('bad-cookie', 'tcp', "not this connection's cookie", { conn: c.id });
      return undefined;
    }
    if (!this.#verify(msg, bytes)) {
      this.#drop('bad-signature', 'tcp', 'the signature does not verify', { conn: c.id });
      return undefined;
    }
    return c.device ?? this.#bind(c, h.deviceId, now, actions);
  }

  #bind(
    c: Connection,
    deviceId: Uint8Array,
    now: number,
    actions: BaseServerAction[],
  ): Device | undefined {
    const old = this.#devices.get(deviceId);
    if (!old && this.#devices.size >= this.limits.maxDevices) {
      this.#drop('device-limit', 'tcp', `already ${this.limits.maxDevices} devices`, {
        conn: c.id,
      });
      return undefined;
    }
    if (old) {
      // [proposed] a newer connection for the same device replaces the older one.
      const oldConn = old.conn;
      this.#onEvent({ type: 'replaced', deviceId: old.id, old: oldConn.id, conn: c.id });
      this.#close(oldConn, actions);
    }
    const device = this.#devices.bind(c, deviceId, now, actions);
    c.device = device;
    this.#conns.bound();
    this.#onEvent({ type: 'bound', conn: c.id, deviceId: device.id });
    return device;
  }

  // ---- internals: plumbing --------------------------------------------------------------------

  #sendTcp(c: Connection, payload: Uint8Array, actions: BaseServerAction[]): void {
    if (c.closing) return;
    actions.push({ type: 'send', transport: 'tcp', conn: c.id, bytes: frame(payload) });
    c.lastSent = this.#now;
  }

  /** Asks to close and stops serving the connection at once (its device is unbound now). */
  #close(c: Connection, actions: BaseServerAction[]): void {
    if (c.closing) return;
    this.#forget(c, undefined, actions);
    actions.push({ type: 'close', conn: c.id });
  }

  #forget(c: Connection, _now: number | undefined, actions: BaseServerAction[]): void {
    if (c.closing) return;
    c.closing = true;
    this.#conns.stopServing(c);
    if (c.device !== undefined) {
      this.#devices.unbind(c.device, actions);
      this.#relay.forget(c.device);
    }
  }

  #wantTimer(at: number, actions: BaseServerAction[]): void {
    if (!Number.isFinite(at) || at >= this.#timerAt) return;
    this.#timerAt = at;
    actions.push({ type: 'timer', at });
  }

  #drop(
    reason: DropReason,
    transport: 'tcp' | 'udp',
    detail: string,
    where: { conn?: ConnectionId; source?: Endpoint },
  ): void {
    this.#drops[reason]++;
    this.#onEvent({ type: 'dropped', reason, transport, ...where, detail });
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
