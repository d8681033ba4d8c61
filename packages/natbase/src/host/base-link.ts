import { type Endpoint, formatEndpoint } from '../codec/address.js';
import { type BaseToPeerMessage, decodeBaseToPeer } from '../codec/base-to-peer.js';
import { encodeRecord, NatbaseFramer } from '../codec/framing.js';
import { encodePeerToBase } from '../codec/peer-to-base.js';
import type { HostAgentLimits } from '../limits.js';
import type { HostAgentAction, HostConnectionId, HostDropReason } from './types.js';

interface Attempt {
  readonly conn: HostConnectionId;
  readonly base: Endpoint;
  readonly openedAt: number;
  readonly framer: NatbaseFramer;
}

/** The base connection in use: the first of a round whose HELLO arrived. */
export interface ActiveBase {
  readonly conn: HostConnectionId;
  readonly base: Endpoint;
  readonly cookie: Uint8Array;
  readonly framer: NatbaseFramer;
  lastMessage: number;
}

export interface BaseLinkHooks {
  /** A base said HELLO and is now the one in use. */
  chosen(active: ActiveBase, now: number, actions: HostAgentAction[]): void;
  /** The base in use is gone (closed, or silent past the liveness timeout). */
  lost(base: Endpoint, now: number, actions: HostAgentAction[]): void;
  /** A message from the base in use (HELLO excepted). */
  message(msg: BaseToPeerMessage, now: number, actions: HostAgentAction[]): void;
  drop(reason: HostDropReason, detail: string): void;
}

/**
 * The host's base connections (spec §8.1): a round connects to **every** configured base at
 * once; the first whose HELLO arrives is kept and the others are closed. When it drops, or says
 * nothing for `baseLivenessTimeoutMs`, a new round starts at once (failover); a round in which
 * every attempt failed is followed by the next after `baseReconnectBackoffMs`.
 */
export class BaseLink {
  readonly #attempts = new Map<HostConnectionId, Attempt>();
  #active: ActiveBase | undefined;
  #nextConn = 1;
  #nextRoundAt: number | undefined;
  #stopped = false;
  connects = 0;

  constructor(
    readonly bases: readonly Endpoint[],
    readonly limits: HostAgentLimits,
    readonly hooks: BaseLinkHooks,
    readonly userAgent: string | undefined,
  ) {}

  get active(): ActiveBase | undefined {
    return this.#active;
  }

  /** Connects to every base (a new round). */
  start(now: number, actions: HostAgentAction[]): void {
    this.#stopped = false;
    this.#round(now, actions);
  }

  stop(actions: HostAgentAction[]): void {
    this.#stopped = true;
    this.#nextRoundAt = undefined;
    for (const a of this.#attempts.values()) actions.push({ type: 'close', conn: a.conn });
    this.#attempts.clear();
    if (this.#active) actions.push({ type: 'close', conn: this.#active.conn });
    this.#active = undefined;
  }

  /** Sends a payload to the base in use; false when there is none. */
  send(payload: Uint8Array, actions: HostAgentAction[]): boolean {
    const a = this.#active;
    if (!a) return false;
    actions.push({
      type: 'send',
      transport: 'tcp',
      conn: a.conn,
      bytes: encodeRecord(payload, this.limits.maxTcpPayload),
    });
    return true;
  }

  tcpConnected(conn: HostConnectionId, _now: number, actions: HostAgentAction[]): void {
    if (!this.#attempts.has(conn) || this.userAgent === undefined) return;
    // Sent before the cookie, as the reference does (a base must not depend on it, §5).
    const payload = encodePeerToBase({ kind: 'USER_AGENT', text: this.userAgent });
    if (payload.length <= this.limits.maxTcpPayload) {
      actions.push({ type: 'send', transport: 'tcp', conn, bytes: encodeRecord(payload) });
    }
  }

  tcpData(
    conn: HostConnectionId,
    bytes: Uint8Array,
    now: number,
    actions: HostAgentAction[],
  ): void {
    const active = this.#active?.conn === conn ? this.#active : undefined;
    const attempt = active ? undefined : this.#attempts.get(conn);
    const framer = active?.framer ?? attempt?.framer;
    if (!framer) return;
    let payloads: Uint8Array[];
    try {
      payloads = framer.push(bytes);
    } catch (error) {
      this.hooks.drop('bad-frame', error instanceof Error ? error.message : String(error));
      this.#closeConn(conn, now, actions);
      return;
    }
    for (const payload of payloads) {
      let msg: BaseToPeerMessage;
      try {
        msg = decodeBaseToPeer(payload);
      } catch (error) {
        this.hooks.drop('malformed', error instanceof Error ? error.message : String(error));
        continue;
      }
      const current = this.#active;
      if (current && current.conn === conn) {
        current.lastMessage = now; // any TCP message counts for liveness (§6)
        if (msg.kind === 'HELLO') {
          this.hooks.drop('malformed', 'a second HELLO on the base connection');
          continue;
        }
        this.hooks.message(msg, now, actions);
        continue;
      }
      const pending = this.#attempts.get(conn);
      if (!pending) return; // closed while handling this chunk
      if (msg.kind !== 'HELLO') {
        this.hooks.drop('not-active-base', `${msg.kind} before HELLO`);
        continue;
      }
      this.#choose(pending, msg.cookie, now, actions);
    }
  }

  tcpClosed(conn: HostConnectionId, now: number, actions: HostAgentAction[]): void {
    if (this.#active?.conn === conn) {
      const base = this.#active.base;
      this.#active = undefined;
      this.hooks.lost(base, now, actions);
      if (!this.#stopped) this.#round(now, actions);
      return;
    }
    if (this.#attempts.delete(conn)) this.#afterAttemptEnded(now);
  }

  /** Applies the HELLO and liveness timeouts and starts due rounds. */
  timer(now: number, actions: HostAgentAction[]): void {
    const l = this.limits;
    const a = this.#active;
    if (a && now >= a.lastMessage + l.baseLivenessTimeoutMs) {
      actions.push({ type: 'close', conn: a.conn });
      this.#active = undefined;
      this.hooks.lost(a.base, now, actions);
      if (!this.#stopped) this.#round(now, actions);
    }
    for (const attempt of [...this.#attempts.values()]) {
      if (now >= attempt.openedAt + l.baseHelloTimeoutMs) {
        actions.push({ type: 'close', conn: attempt.conn });
        this.#attempts.delete(attempt.conn);
        this.#afterAttemptEnded(now);
      }
    }
    if (this.#nextRoundAt !== undefined && now >= this.#nextRoundAt && !this.#stopped) {
      this.#round(now, actions);
    }
  }

  nextDeadline(): number {
    let next = this.#nextRoundAt ?? Number.POSITIVE_INFINITY;
    if (this.#active)
      next = Math.min(next, this.#active.lastMessage + this.limits.baseLivenessTimeoutMs);
    for (const a of this.#attempts.values()) {
      next = Math.min(next, a.openedAt + this.limits.baseHelloTimeoutMs);
    }
    return next;
  }

  #round(now: number, actions: HostAgentAction[]): void {
    this.#nextRoundAt = undefined;
    const busy = new Set([...this.#attempts.values()].map((a) => formatEndpoint(a.base)));
    for (const base of this.bases) {
      if (busy.has(formatEndpoint(base))) continue;
      const conn = this.#nextConn++;
      this.#attempts.set(conn, {
        conn,
        base,
        openedAt: now,
        framer: new NatbaseFramer(this.limits.maxTcpPayload),
      });
      this.connects++;
      actions.push({ type: 'connect', conn, to: base });
    }
    if (this.#attempts.size === 0) this.#afterAttemptEnded(now);
  }

  #afterAttemptEnded(now: number): void {
    if (this.#active || this.#attempts.size > 0 || this.#stopped) return;
    this.#nextRoundAt ??= now + this.limits.baseReconnectBackoffMs;
  }

  #choose(attempt: Attempt, cookie: Uint8Array, now: number, actions: HostAgentAction[]): void {
    this.#attempts.delete(attempt.conn);
    for (const other of this.#attempts.values()) actions.push({ type: 'close', conn: other.conn });
    this.#attempts.clear();
    this.#nextRoundAt = undefined;
    const active: ActiveBase = {
      conn: attempt.conn,
      base: attempt.base,
      cookie: cookie.slice(),
      framer: attempt.framer,
      lastMessage: now,
    };
    this.#active = active;
    this.hooks.chosen(active, now, actions);
  }

  #closeConn(conn: HostConnectionId, now: number, actions: HostAgentAction[]): void {
    actions.push({ type: 'close', conn });
    this.tcpClosed(conn, now, actions);
  }
}
