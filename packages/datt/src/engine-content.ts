// Content inside the Datt engine: `getdata` answered from the store (after payment when priced),
// `postdata` verified and stored (after payment when priced), `contentauth` answers to our own
// requests verified and kept.
import { toHex } from '@peerwire/wire';
import type { VerifyOptions } from './bsm.js';
import { type ContentAuth, decodeContentAuth, verifyContentAuth } from './content-auth.js';
import type { Payments } from './engine-payments.js';
import { type EngineHost, type Peer, priceOf, requestKey } from './engine-peer.js';

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

  async store(hash: Uint8Array, bytes: Uint8Array, from?: Peer): Promise<boolean> {
    try {
      await this.#host.store.put(hash, bytes);
    } catch (error) {
      this.#host.emit({
        type: 'store-failed',
        hash,
        message: error instanceof Error ? error.message : String(error),
      });
      return false;
    }
    this.#host.stats.contentStored++;
    this.#host.emit(
      from ? { type: 'content-stored', hash, peer: from.id } : { type: 'content-stored', hash },
    );
    return true;
  }

  async onGetData(peer: Peer, hash: Uint8Array): Promise<void> {
    if (this.#host.policy.serveContent === false) {
      this.#host.ignore(peer, 'getdata', 'this node does not serve content');
      return;
    }
    const bytes = await this.#host.store.get(hash);
    if (!bytes) {
      this.#host.ignore(peer, 'getdata', `no content ${toHex(hash)}`);
      return;
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
      return;
    }
    this.serve(peer, hash, bytes);
  }

  serve(peer: Peer, hash: Uint8Array, bytes: Uint8Array): void {
    this.#host.send(peer, { type: 'contentauth', hash, contentAuth: bytes });
    this.#host.stats.contentServed++;
    this.#host.emit({ type: 'content-served', peer: peer.id, hash });
  }

  async onPostData(peer: Peer, hash: Uint8Array, bytes: Uint8Array): Promise<void> {
    const ca = this.verified(peer, hash, bytes);
    if (!ca) return;
    if (this.#host.policy.acceptPosts === false) {
      this.#host.ignore(peer, 'postdata', 'this node does not accept posts');
      return;
    }
    const price = priceOf(this.#host.policy.postPrice, hash, ca);
    if (price > 0n) {
      if (await this.#host.store.has(hash)) {
        this.#host.ignore(peer, 'postdata', 'content already stored');
        return;
      }
      this.#payments.request(peer, 'post', hash, price, bytes);
      return;
    }
    await this.store(hash, bytes, peer);
  }

  async onContentAuth(peer: Peer, hash: Uint8Array, bytes: Uint8Array): Promise<void> {
    const key = toHex(hash);
    if (!this.verified(peer, hash, bytes)) return;
    const pending = peer.client.get(key);
    const requested = pending?.purpose === 'get';
    if (requested) {
      peer.client.delete(key);
      this.#host.deadlines.delete(requestKey(peer, key));
      if (this.#host.policy.storeFetched !== false) await this.store(hash, bytes.slice(), peer);
    } else {
      this.#host.stats.ignored++;
    }
    this.#host.emit({
      type: 'content-received',
      peer: peer.id,
      hash,
      contentAuth: bytes.slice(),
      requested,
    });
  }
}
