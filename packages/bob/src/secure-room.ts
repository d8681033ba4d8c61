import { CLOSE_RECORD } from './record-format.js';

/** The relay's answers on the secure port (spec §3). */
export const SECURE_PAIRED = Uint8Array.of(0x30, 0x30); // "00"
export const SECURE_TIMEOUT = Uint8Array.of(0x30, 0x31); // "01"
export const SECURE_REFUSED = Uint8Array.of(0x30, 0x32); // "02"

/** Longest identity line read on the secure port, `\n` included (bob reads at most 100 bytes). */
export const SECURE_LINE_LIMIT = 100;

/** A connection id, chosen by the I/O layer, unique across both relay ports. */
export type ConnectionId = number;

/** What the relay core asks its I/O layer to do, in order. */
export type RelayAction =
  | { readonly type: 'send'; readonly conn: ConnectionId; readonly bytes: Uint8Array }
  /** Close after the sends queued before it. */
  | { readonly type: 'close'; readonly conn: ConnectionId }
  /** Secure room: from now on copy raw bytes between `a` and `b` (`00` was sent to both). */
  | { readonly type: 'pipe'; readonly a: ConnectionId; readonly b: ConnectionId };

export interface SecureRoomLimits {
  /** Time a secure connection has to send its identity line (default 60 s); then `01`. */
  readonly secureIdentifyTimeoutMs?: number;
  /**
   * Time a pairing stays open after `Accepted`, and time an identified connection waits for its
   * partner (default 600 s); then the connection is closed without a message, as bob does.
   */
  readonly securePairTimeoutMs?: number;
  /** Most pairings waiting for their secure connections (default 10,000). */
  readonly maxPendingPairs?: number;
  /**
   * Accept a secure connection only from an IP address that completed the handshake for that
   * pair (default true; spec §12). IPv4-mapped IPv6 addresses count as IPv4.
   */
  readonly checkSecureAddress?: boolean;
}

export const DEFAULT_SECURE_IDENTIFY_TIMEOUT_MS = 60_000;
export const DEFAULT_SECURE_PAIR_TIMEOUT_MS = 600_000;
export const DEFAULT_MAX_PENDING_PAIRS = 10_000;

/** Secure-room happenings, for logs and metrics. */
export type SecureRoomEvent =
  | { readonly type: 'secure-paired'; readonly a: ConnectionId; readonly b: ConnectionId }
  | {
      readonly type: 'secure-refused';
      readonly conn: ConnectionId;
      readonly answer: '01' | '02' | 'none';
      readonly reason: string;
    }
  | { readonly type: 'secure-closed'; readonly a: ConnectionId; readonly b: ConnectionId };

/** Strips the IPv4-mapped prefix so that `::ffff:127.0.0.1` and `127.0.0.1` compare equal. */
export function normalizeAddress(address: string): string {
  const lower = address.toLowerCase();
  return lower.startsWith('::ffff:') && lower.includes('.') ? lower.slice(7) : lower;
}

interface Pair {
  readonly identities: readonly [string, string];
  readonly addresses: ReadonlySet<string>;
  readonly expiresAt: number;
  /** Waiting connection per claimed identity (the identity the connection's owner has). */
  readonly waiting: Map<string, ConnectionId>;
}

interface SecureConn {
  readonly conn: ConnectionId;
  readonly address: string;
  readonly connectedAt: number;
  state: 'identifying' | 'waiting' | 'piped' | 'closed';
  line: Uint8Array;
  pair?: Pair;
  claimed?: string;
  waitingSince?: number;
  partner?: ConnectionId;
}

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

/**
 * The secure room (spec §3), sans-I/O: pairs the two connections of each accepted handshake
 * and then hands them to the I/O layer as a raw pipe. Each side writes its partner's identity and
 * `\n` and gets `00` (paired), `01` (timeout before identification) or `02` (unknown identity, bad
 * input, or an address that did not take part in the handshake).
 */
export class SecureRoom {
  readonly #identifyTimeout: number;
  readonly #pairTimeout: number;
  readonly #maxPairs: number;
  readonly #checkAddress: boolean;
  readonly #onEvent: (event: SecureRoomEvent) => void;
  readonly #pairs = new Map<string, Pair>();
  readonly #conns = new Map<ConnectionId, SecureConn>();

  constructor(limits: SecureRoomLimits = {}, onEvent: (event: SecureRoomEvent) => void = () => {}) {
    this.#identifyTimeout = limits.secureIdentifyTimeoutMs ?? DEFAULT_SECURE_IDENTIFY_TIMEOUT_MS;
    this.#pairTimeout = limits.securePairTimeoutMs ?? DEFAULT_SECURE_PAIR_TIMEOUT_MS;
    this.#maxPairs = limits.maxPendingPairs ?? DEFAULT_MAX_PENDING_PAIRS;
    this.#checkAddress = limits.checkSecureAddress ?? true;
    this.#onEvent = onEvent;
  }

  /** Pairings registered and not yet used. */
  get pendingPairs(): number {
    return new Set(this.#pairs.values()).size;
  }

  /** Open secure-port connections. */
  get connections(): number {
    return this.#conns.size;
  }

  /**
   * Registers an accepted handshake: `identities` are the two relay-given identities,
   * `addresses` the IP addresses their handshake connections came from. Returns false when the
   * room is full (the pairing is then dropped).
   */
  addPair(
    identities: readonly [string, string],
    addresses: readonly string[],
    now: number,
  ): boolean {
    for (const id of identities) this.#removePair(this.#pairs.get(id));
    if (new Set(this.#pairs.values()).size >= this.#maxPairs) return false;
    const pair: Pair = {
      identities,
      addresses: new Set(addresses.map(normalizeAddress)),
      expiresAt: now + this.#pairTimeout,
      waiting: new Map(),
    };
    this.#pairs.set(identities[0], pair);
    this.#pairs.set(identities[1], pair);
    return true;
  }

  connect(conn: ConnectionId, address: string, now: number): RelayAction[] {
    this.#conns.set(conn, {
      conn,
      address: normalizeAddress(address),
      connectedAt: now,
      state: 'identifying',
      line: new Uint8Array(0),
    });
    return [];
  }

  receive(conn: ConnectionId, bytes: Uint8Array, now: number): RelayAction[] {
    const c = this.#conns.get(conn);
    // Bytes of a connection that is waiting for its partner are discarded, as bob does.
    if (c?.state !== 'identifying') return [];
    const line = new Uint8Array(c.line.length + bytes.length);
    line.set(c.line, 0);
    line.set(bytes, c.line.length);
    const nl = line.indexOf(0x0a);
    if (nl < 0) {
      if (line.length >= SECURE_LINE_LIMIT)
        return this.#refuse(c, '02', 'no newline in the first 100 bytes');
      c.line = line;
      return [];
    }
    if (nl >= SECURE_LINE_LIMIT)
      return this.#refuse(c, '02', 'identity line longer than 100 bytes');
    c.line = new Uint8Array(0);
    // Bytes after the newline are discarded, as bob does (spec §3); peers must not send any.
    const sent = latin1(line.subarray(0, nl));
    const pair = this.#pairs.get(sent);
    if (!pair) return this.#refuse(c, '02', 'unknown identity');
    if (this.#checkAddress && !pair.addresses.has(c.address)) {
      return this.#refuse(c, '02', `address ${c.address} did not take part in this handshake`);
    }
    // The connection's owner is the partner of the identity it sent.
    const claimed = pair.identities[0] === sent ? pair.identities[1] : pair.identities[0];
    if (pair.waiting.has(claimed))
      return this.#refuse(c, '02', 'this side of the pairing is already connected');
    const other = pair.waiting.get(sent);
    if (other === undefined) {
      c.state = 'waiting';
      c.pair = pair;
      c.claimed = claimed;
      c.waitingSince = now;
      pair.waiting.set(claimed, conn);
      return [];
    }
    const o = this.#conns.get(other)!;
    this.#removePair(pair);
    c.state = 'piped';
    o.state = 'piped';
    c.partner = other;
    o.partner = conn;
    this.#onEvent({ type: 'secure-paired', a: other, b: conn });
    return [
      { type: 'send', conn: other, bytes: SECURE_PAIRED },
      { type: 'send', conn, bytes: SECURE_PAIRED },
      { type: 'pipe', a: other, b: conn },
    ];
  }

  /**
   * One side of a pipe reached EOF or failed: bob writes `ff ff ff ff` to both and closes both.
   * Also call it when a waiting or identifying connection goes away.
   */
  disconnect(conn: ConnectionId, _now: number): RelayAction[] {
    const c = this.#conns.get(conn);
    if (!c) return [];
    this.#conns.delete(conn);
    if (c.state === 'waiting' && c.pair && c.claimed) c.pair.waiting.delete(c.claimed);
    if (c.state !== 'piped' || c.partner === undefined) {
      c.state = 'closed';
      return [{ type: 'close', conn }];
    }
    const partner = this.#conns.get(c.partner);
    this.#conns.delete(c.partner);
    c.state = 'closed';
    if (partner) partner.state = 'closed';
    this.#onEvent({ type: 'secure-closed', a: conn, b: c.partner });
    return [
      { type: 'send', conn, bytes: CLOSE_RECORD },
      { type: 'send', conn: c.partner, bytes: CLOSE_RECORD },
      { type: 'close', conn },
      { type: 'close', conn: c.partner },
    ];
  }

  /** Applies timeouts. */
  tick(now: number): RelayAction[] {
    const actions: RelayAction[] = [];
    for (const c of [...this.#conns.values()]) {
      if (c.state === 'identifying' && now >= c.connectedAt + this.#identifyTimeout) {
        actions.push(...this.#refuse(c, '01', 'no identity before the timeout'));
      } else if (c.state === 'waiting' && now >= (c.waitingSince ?? 0) + this.#pairTimeout) {
        actions.push(...this.#refuse(c, 'none', 'the partner did not come before the timeout'));
      }
    }
    for (const pair of new Set(this.#pairs.values())) {
      if (now >= pair.expiresAt && pair.waiting.size === 0) this.#removePair(pair);
    }
    return actions;
  }

  /** Earliest time `tick` has something to do, if any. */
  nextDeadline(): number | undefined {
    let next: number | undefined;
    const consider = (t: number) => {
      if (next === undefined || t < next) next = t;
    };
    for (const c of this.#conns.values()) {
      if (c.state === 'identifying') consider(c.connectedAt + this.#identifyTimeout);
      else if (c.state === 'waiting') consider((c.waitingSince ?? 0) + this.#pairTimeout);
    }
    for (const pair of this.#pairs.values()) consider(pair.expiresAt);
    return next;
  }

  #removePair(pair: Pair | undefined): void {
    if (!pair) return;
    for (const id of pair.identities) if (this.#pairs.get(id) === pair) this.#pairs.delete(id);
  }

  #refuse(c: SecureConn, answer: '01' | '02' | 'none', reason: string): RelayAction[] {
    this.#conns.delete(c.conn);
    if (c.state === 'waiting' && c.pair && c.claimed) c.pair.waiting.delete(c.claimed);
    c.state = 'closed';
    this.#onEvent({ type: 'secure-refused', conn: c.conn, answer, reason });
    const actions: RelayAction[] = [];
    if (answer !== 'none') {
      actions.push({
        type: 'send',
        conn: c.conn,
        bytes: answer === '01' ? SECURE_TIMEOUT : SECURE_REFUSED,
      });
    }
    actions.push({ type: 'close', conn: c.conn });
    return actions;
  }
}
