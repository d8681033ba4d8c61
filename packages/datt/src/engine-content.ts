// Content inside the Datt engine: `getdata` answered from the store (after payment when priced),
// `postdata` verified and stored (after payment when priced), `contentauth` answers to our own
// requests verified and kept. Store access is a `Step` (a ticket the host completes), never an
// await.
import { toHex } from '@peerwire/wire';
import type { VerifyOptions } from './bsm.js';
import { type ContentAuth, decodeContentAuth, verifyContentAuth } from './content-auth.js';
import type { Payments } from './engine-payments.js';
import { type EngineHost, type Peer, priceOf, requestKey } from './engine-peer.js';
import { awaitStore, type Step } from './engine-work.js';

export class ContentExchange {
  readonly #host: EngineHost;
  readonly #payments: Payments;
  readonly #verify: VerifyOptions;

  constructor(host: EngineHost, payments: Payments, verify: VerifyOptions) {
    this.#host = host;
    this.#payments = payments;
    this.#verify = verify;
  }

  /** Verifies `hash ‖ ContentAuth`; closes the peer (`BAD_SIGNATURE`) and returns undefined if bad. */
  verified(peer: Peer, hash: Uint8Array, bytes: Uint8Array): ContentAuth | undefined {
    try {
      return verifyContentAuth(bytes, hash, this.#verify);
    } catch (error) {
      this.#host.misbehaved(peer, 'BAD_SIGNATURE', error);
      return undefined;
    }
  }

  /**
   * Stores content: emits `content-stored` (or `store-failed`), then goes on with `then(stored)`.
   */
  store(hash: Uint8Array, bytes: Uint8Array, from?: Peer, then?: (stored: boolean) => Step): Step {
    return awaitStore(
      { kind: 'put', hash, contentAuth: bytes },
      () => {
        this.#host.stats.contentStored++;
        this.#host.emit(
          from ? { type: 'content-stored', hash, peer: from.id } : { type: 'content-stored', hash },
        );
        return then?.(true);
      },
      (error) => {
        this.#host.emit({
          type: 'store-failed',
          hash,
          message: error instanceof Error ? error.message : String(error),
        });
        return then?.(false);
      },
    );
  }

  onGetData(peer: Peer, hash: Uint8Array): Step {
    if (this.#host.policy.serveContent === false) {
      this.#host.ignore(peer, 'getdata', 'this node does not serve content');
      return undefined;
    }
    return awaitStore({ kind: 'get', hash }, (bytes) => this.#found(peer, hash, bytes));
  }

  #found(peer: Peer, hash: Uint8Array, bytes: Uint8Array | undefined): Step {
    if (!bytes) {
      this.#host.ignore(peer, 'getdata', `no content ${toHex(hash)}`);
      return undefined;
    }
    const rule = this.#host.policy.getPrice;
    // Stored content was verified on the way in; only a price function needs it parsed.
    const price =
      rule === undefined
        ? 0n
        : typeof rule === 'bigint'
          ? rule
          : rule(hash, decodeContentAuth(bytes));
    if (price > 0n) {
      this.#payments.request(peer, 'get', hash, price);
      return undefined;
    }
    this.serve(peer, hash, bytes);
    return undefined;
  }

  serve(peer: Peer, hash: Uint8Array, bytes: Uint8Array): void {
    this.#host.send(peer, { type: 'contentauth', hash, contentAuth: bytes });
    this.#host.stats.contentServed++;
    this.#host.emit({ type: 'content-served', peer: peer.id, hash });
  }

  onPostData(peer: Peer, hash: Uint8Array, bytes: Uint8Array): Step {
    const ca = this.verified(peer, hash, bytes);
    if (!ca) return undefined;
    if (this.#host.policy.acceptPosts === false) {
      this.#host.ignore(peer, 'postdata', 'this node does not accept posts');
      return undefined;
    }
    const price = priceOf(this.#host.policy.postPrice, hash, ca);
    if (price > 0n) {
      return awaitStore({ kind: 'has', hash }, (has) => {
        if (has) this.#host.ignore(peer, 'postdata', 'content already stored');
        else this.#payments.request(peer, 'post', hash, price, bytes);
        return undefined;
      });
    }
    return this.store(hash, bytes, peer);
  }

  onContentAuth(peer: Peer, hash: Uint8Array, bytes: Uint8Array): Step {
    const key = toHex(hash);
    if (!this.verified(peer, hash, bytes)) return undefined;
    const pending = peer.client.get(key);
    const requested = pending?.purpose === 'get';
    const received = (): Step => {
      this.#host.emit({
        type: 'content-received',
        peer: peer.id,
        hash,
        contentAuth: bytes.slice(),
        requested,
      });
      return undefined;
    };
    if (!requested) {
      this.#host.stats.ignored++;
      return received();
    }
    peer.client.delete(key);
    this.#host.deadlines.delete(requestKey(peer, key));
    if (this.#host.policy.storeFetched === false) return received();
    return this.store(hash, bytes.slice(), peer, received);
  }
}
