import { encodeInstantMessage, MsgFlag, toBase64Url } from '@peerwire/wire';
import type { Connection } from '../connection.js';
import type { RelayContext } from '../context.js';
import { getOrCreate } from '../maps.js';
import type { Router } from '../router.js';
import type { Tickets } from '../tickets.js';
import { awaitWork, type Endpoint, type EndpointOutcome, endpointFailed } from './endpoint.js';

/**
 * IDCards: the newest card each identity presented is kept in the store; `@/idcard_find`
 * answers it and subscribes the asker (up to `maxSubscriptionsPerIdentity` identities), who is
 * then pushed `idcard_update` messages when that identity presents a newer card.
 */
export class IdCards {
  /** watched identity hash → subscriber identity hashes */
  readonly #subscribers = new Map<string, Set<string>>();
  readonly #subscriptionCount = new Map<string, number>();

  constructor(
    readonly ctx: RelayContext,
    readonly router: Router,
    readonly tickets: Tickets,
  ) {
    // A shared store tells of cards stored through other relays: their watchers here are told.
    ctx.store.watchCards?.((hash, card) => this.#pushUpdate(hash, card.blob));
  }

  get endpoint(): Endpoint {
    return { name: 'idcard_find', serve: (conn, payload) => this.#find(conn, payload) };
  }

  #find(conn: Connection, payload: Uint8Array): EndpointOutcome {
    if (payload.length !== 32) throw endpointFailed('idcard_find takes a 32-byte identity hash');
    const hash = toBase64Url(payload);
    return awaitWork({ type: 'store', op: { kind: 'get_card', hash } }, (card) => {
      if (!card) throw endpointFailed('idcard not found');
      this.#subscribe(conn.hash, hash);
      return card.blob;
    });
  }

  #subscribe(subscriber: string, watched: string): void {
    if (subscriber === watched) return;
    if (this.#subscribers.get(watched)?.has(subscriber)) return;
    const count = this.#subscriptionCount.get(subscriber) ?? 0;
    if (count >= this.ctx.limits.maxSubscriptionsPerIdentity) return;
    getOrCreate(this.#subscribers, watched, () => new Set<string>()).add(subscriber);
    this.#subscriptionCount.set(subscriber, count + 1);
  }

  /**
   * Keeps the newest card of each identity for `@/idcard_find` (a store ticket; the cards of
   * one identity are remembered one at a time), and tells its watchers when it replaced one.
   */
  remember(hash: string, issued: number, blob: Uint8Array): void {
    this.tickets.issue(
      { type: 'store', op: { kind: 'remember_card', hash, card: { blob, issued } } },
      (result) => {
        if (!result.ok)
          this.ctx.event({ type: 'store-error', operation: 'putCard', error: result.error });
        else if (result.value === 'replaced') this.#pushUpdate(hash, blob);
      },
      `card:${hash}`,
    );
  }

  #pushUpdate(hash: string, blob: Uint8Array): void {
    const random = this.ctx.random;
    for (const subscriber of this.#subscribers.get(hash) ?? []) {
      const conns = this.router.connectionsOf(subscriber);
      if (!conns?.length) continue;
      const packet = encodeInstantMessage({
        id: random.bytes(16),
        flags: MsgFlag.NotBottle,
        recipient: `k.${subscriber}/idcard_update`,
        sender: '@/',
        body: blob,
      });
      this.router.deliverTo(conns[random.int(conns.length)]!, packet);
    }
  }
}
