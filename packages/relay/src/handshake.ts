import type { IDCard } from '@peerwire/crypto';
import { decodeHandshakeResponse, encodeHandshakeRequest, PeerwireError } from '@peerwire/wire';
import { CLOSE_POLICY } from './close-codes.js';
import type { Connection } from './connection.js';
import type { RelayContext } from './context.js';
import type { IdCards } from './endpoints/idcard.js';
import type { RejectReason } from './events.js';
import type { GroupRegistry } from './group-registry.js';
import type { Router } from './router.js';
import type { Tickets } from './tickets.js';
import type { VerifyValues } from './work.js';

/** Closes a connection for a violation (the façade's `kick`). */
export type Kick = (conn: Connection, reason: RejectReason, code: number, detail: string) => void;

/**
 * The relay side of the Spot handshake: a HandshakeRequest with a fresh nonce, the response
 * verified against the exact bytes sent (a `verify` ticket: the host runs it on the injected
 * crypto backend), one group-refresh round (`grp`) when the registry holds memberships the card
 * lacks, the card's memberships verified (another ticket), then `rdy` and online.
 */
export class Handshake {
  constructor(
    readonly ctx: RelayContext,
    readonly router: Router,
    readonly registry: GroupRegistry,
    readonly cards: IdCards,
    readonly tickets: Tickets,
    readonly kick: Kick,
  ) {}

  /** Sends a (re-)challenge; `groups` are the memberships to present (`grp`), if any. */
  challenge(conn: Connection, groups: readonly Uint8Array[] | null, now: number): void {
    const packet = encodeHandshakeRequest({
      ready: false,
      serverCode: this.ctx.serverCode,
      clientId: conn.cid,
      nonce: this.ctx.random.bytes(32),
      groups,
    });
    conn.outstanding = packet.subarray(1);
    if (conn.state === 'online') conn.deadline = now + this.ctx.limits.handshakeTimeoutMs;
    conn.peer.send(packet);
  }

  /** Registry memberships (valid) of the connection's identity that its card lacks, or null. */
  missingMemberships(conn: Connection): Uint8Array[] | null {
    return conn.card ? this.registry.missingFrom(conn.card, conn.hash) : null;
  }

  /** A registry change concerns this online connection: re-challenge it if its card lags. */
  membershipChanged(conn: Connection, now: number): void {
    conn.refreshed = false;
    const missing = this.missingMemberships(conn);
    if (missing && conn.state === 'online') this.challenge(conn, missing, now);
  }

  /** A handshake packet from the client: the response to the outstanding request. */
  receive(conn: Connection, packet: Uint8Array, now: number): void {
    const policy = CLOSE_POLICY;
    const raw = conn.outstanding;
    if (raw === null || conn.verifying) {
      this.kick(
        conn,
        'unexpected_handshake',
        policy,
        'handshake response without an outstanding request',
      );
      return;
    }
    let response: ReturnType<typeof decodeHandshakeResponse>;
    try {
      response = decodeHandshakeResponse(packet);
    } catch (error) {
      this.kick(conn, 'bad_packet', policy, `bad handshake response: ${(error as Error).message}`);
      return;
    }
    conn.outstanding = null;
    conn.verifying = true;
    const blob = response.id;
    const check = {
      kind: 'handshake',
      challenge: raw,
      response,
      now: Math.floor(now / 1000),
    } as const;
    this.tickets.issue({ type: 'verify', check }, (result, at) => {
      conn.verifying = false;
      if (conn.state === 'closed') return;
      if (result.ok) {
        const verified = result.value as VerifyValues['handshake'];
        this.#verified(conn, verified.card, verified.hash, blob!, at);
        return;
      }
      const error = result.error;
      this.ctx.stats.handshakeFailures++;
      const code = error instanceof PeerwireError ? error.code : 'ERROR';
      const detail = error instanceof Error ? error.message : String(error);
      this.ctx.event({ type: 'handshake-failed', cid: conn.cid, code, detail });
      this.kick(conn, 'handshake_failed', policy, `handshake failed: ${detail}`);
    });
  }

  #verified(conn: Connection, card: IDCard, hash: string, blob: Uint8Array, now: number): void {
    const wasOnline = conn.state === 'online';
    if (wasOnline && hash !== conn.hash) {
      this.kick(
        conn,
        'handshake_failed',
        CLOSE_POLICY,
        'handshake failed: a re-challenge must be answered by the same identity',
      );
      return;
    }
    this.ctx.stats.handshakes++;
    const firstTime = conn.card === null;
    conn.card = card;
    conn.hash = hash;
    conn.senderPrefix = `k.${hash}`;
    const missing = this.missingMemberships(conn);
    if (missing !== null && !conn.refreshed) {
      conn.refreshed = true;
      this.challenge(conn, missing, now);
      return;
    }
    const check = { kind: 'card_groups', card, max: this.ctx.limits.maxGroupsPerCard } as const;
    this.tickets.issue({ type: 'verify', check }, (result, at) => {
      if (conn.state === 'closed') return; // it may have closed while the groups were verified
      // verifying the groups skips any membership it cannot check, so it does not fail; if a
      // host reports a failure anyway, the card's groups are simply not honoured
      const groups = result.ok ? (result.value as VerifyValues['card_groups']) : [];
      this.#online(conn, card, hash, blob, groups, wasOnline, firstTime, at);
    });
  }

  #online(
    conn: Connection,
    card: IDCard,
    hash: string,
    blob: Uint8Array,
    groups: readonly string[],
    wasOnline: boolean,
    firstTime: boolean,
    now: number,
  ): void {
    if (wasOnline) this.router.offline(conn);
    conn.groups = groups;
    conn.state = 'online';
    this.router.online(conn);
    conn.peer.send(
      encodeHandshakeRequest({
        ready: true,
        serverCode: this.ctx.serverCode,
        clientId: conn.cid,
        nonce: this.ctx.random.bytes(32),
        groups: null,
      }),
    );
    if (firstTime)
      this.ctx.event({ type: 'online', cid: conn.cid, hash, handshakeMs: now - conn.openedAt });
    this.cards.remember(hash, card.issued, blob);
  }
}
