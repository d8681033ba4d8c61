import type { Target } from '@peerwire/address';
import { type IDCard, type Keychain, openBottle, signedBy } from '@peerwire/crypto';
import { hasFlag, type InstantMessage, MsgFlag } from '@peerwire/wire';
import { ClientError } from './errors.js';
import type { ClientClock } from './link.js';

const decoder = new TextDecoder(); // lenient: a remote error text is shown, never refused

/** A request waiting for its response, by the uuid of its return endpoint. */
export interface PendingQuery {
  readonly target: Target;
  readonly resolve: (payload: Uint8Array) => void;
  readonly reject: (error: Error) => void;
}

/** What opening a response needs from the client. */
export interface ResponseKeys {
  readonly keychain: Keychain;
  card(hash: string): Promise<IDCard>;
  nowSeconds(): number;
}

/**
 * The queries in flight: each waits on the return endpoint `/<uuid>` it was sent from, until
 * its response arrives, its timer fires, or the client stops.
 */
export class Queries {
  readonly #pending = new Map<string, { query: PendingQuery; timer: unknown }>();

  constructor(
    readonly clock: ClientClock,
    readonly keys: ResponseKeys,
  ) {}

  /** Waits for the response to `uuid`; after `timeoutMs`, forgets it and calls `onTimeout`. */
  add(uuid: string, query: PendingQuery, timeoutMs: number, onTimeout: () => void): void {
    const timer = this.clock.setTimeout(() => {
      this.#pending.delete(uuid);
      onTimeout();
    }, timeoutMs);
    this.#pending.set(uuid, { query, timer });
  }

  /** Forgets `uuid` without settling it. */
  cancel(uuid: string): void {
    const entry = this.#pending.get(uuid);
    if (!entry) return;
    this.clock.clearTimeout(entry.timer);
    this.#pending.delete(uuid);
  }

  /** A response arrived on return endpoint `endpoint`; false when nothing waits for it. */
  answer(endpoint: string, msg: InstantMessage): boolean {
    const entry = this.#pending.get(endpoint);
    if (!entry) return false; // late or unsolicited response
    this.cancel(endpoint);
    const { query } = entry;
    this.#open(query, msg).then(query.resolve, query.reject);
    return true;
  }

  /** Rejects every query in flight with `error`. */
  failAll(error: Error): void {
    for (const [uuid, { query }] of this.#pending) {
      this.cancel(uuid);
      query.reject(error);
    }
  }

  /**
   * The payload of a response: raw with NotBottle, else a bottle that must open, and (from a
   * `k.` target) be encrypted to us and signed by the identity asked. An Error flag turns the
   * payload into a `REMOTE_ERROR` whose message is its text.
   */
  async #open(q: PendingQuery, msg: InstantMessage): Promise<Uint8Array> {
    const isError = hasFlag(msg.flags, MsgFlag.Error);
    let payload: Uint8Array;
    if (hasFlag(msg.flags, MsgFlag.NotBottle)) {
      payload = msg.body;
    } else {
      const opened = await openBottle(msg.body, this.keys.keychain).catch((error: unknown) => {
        throw new ClientError(
          'BAD_RESPONSE',
          `cannot open the response: ${(error as Error).message}`,
          { cause: error },
        );
      });
      if (q.target.type === 'k') {
        const card = await this.keys.card(q.target.hash);
        if (opened.decryptions === 0 || !signedBy(opened, card, this.keys.nowSeconds())) {
          throw new ClientError(
            'BAD_RESPONSE',
            `the response is not encrypted to us and signed by k.${q.target.hash}`,
          );
        }
      }
      payload = opened.payload;
    }
    if (isError) throw new ClientError('REMOTE_ERROR', decoder.decode(payload) || 'remote error');
    return payload.slice();
  }
}
