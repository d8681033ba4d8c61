import { type CryptoBackend, openBottle, verifyHandshake } from '@peerwire/crypto';
import { bytesEqual } from '@peerwire/wire';
import { verifiedCardGroups } from './group-registry.js';
import type { BlobQuota, RelayStore, StoredCard } from './store.js';
import type {
  RelayWork,
  StoreOp,
  StoreValues,
  VerifyCheck,
  VerifyValues,
  WorkResult,
} from './work.js';

/**
 * The I/O side of the relay core's tickets: runs a `RelayWork` against the store and the crypto
 * backend and reports its outcome. `Relay` uses one by default; a host that wants to run the
 * work elsewhere (another thread, a batch) passes `onWork` and calls `Relay.complete` itself,
 * possibly with this class's `execute`.
 */
export class WorkRunner {
  readonly #verifyOptions: { readonly backend?: CryptoBackend };

  constructor(
    readonly store: RelayStore,
    backend: CryptoBackend | undefined,
  ) {
    this.#verifyOptions = backend ? { backend } : {};
  }

  /**
   * Runs `work` and calls `done` with its outcome; never throws or rejects (a failure is the
   * `{ ok: false }` outcome, and a throw from `done` is passed to `onFault`).
   */
  run(
    work: RelayWork,
    done: (ticket: number, result: WorkResult) => void,
    onFault: (error: unknown) => void,
  ): void {
    const ticket = work.ticket;
    const report = (result: WorkResult) => {
      try {
        done(ticket, result);
      } catch (error) {
        onFault(error);
      }
    };
    this.#begin(work).then(
      (value) => report({ ok: true, value }),
      (error: unknown) => report({ ok: false, error }),
    );
  }

  /** Runs `work`; resolves with its outcome, never rejects. */
  execute(work: RelayWork): Promise<WorkResult> {
    return this.#begin(work).then(
      (value): WorkResult => ({ ok: true, value }),
      (error: unknown): WorkResult => ({ ok: false, error }),
    );
  }

  /** Starts the work: its value, or a rejection (a synchronous throw becomes one too). */
  #begin(work: RelayWork): Promise<unknown> {
    try {
      return work.type === 'verify' ? this.#verify(work.check) : this.#store(work.op);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async #verify(check: VerifyCheck): Promise<VerifyValues[keyof VerifyValues]> {
    const options = this.#verifyOptions;
    switch (check.kind) {
      case 'handshake':
        return verifyHandshake(check.challenge, check.response, { ...options, now: check.now });
      case 'card_groups':
        return verifiedCardGroups(check.card, check.max, options);
      case 'bottle': {
        const opened = await openBottle(check.body, undefined, options);
        return { payload: opened.payload, signers: opened.signers.map((s) => s.pkix) };
      }
      case 'membership':
        try {
          return await check.membership.verify(options);
        } catch {
          return false; // a membership whose key or signature cannot even be read does not verify
        }
    }
  }

  #store(op: StoreOp): Promise<StoreValues[keyof StoreValues]> {
    const store = this.store;
    switch (op.kind) {
      case 'get_card':
        return store.getCard(op.hash);
      case 'remember_card':
        return this.#rememberCard(op.hash, op.card);
      case 'get_blob':
        return store.getBlob(op.owner, op.key);
      case 'put_blob':
        if (store.putBlobWithin) return store.putBlobWithin(op.owner, op.key, op.value, op.quota);
        return this.#putBlobChecked(op.owner, op.key, op.value, op.quota);
      case 'delete_blob':
        return store.deleteBlob(op.owner, op.key);
      case 'put_membership':
        return store.putMembership(op.membership).then(() => undefined);
    }
  }

  async #rememberCard(hash: string, card: StoredCard): Promise<StoreValues['remember_card']> {
    const stored = await this.store.getCard(hash);
    if (stored && (stored.issued > card.issued || bytesEqual(stored.blob, card.blob)))
      return 'kept';
    await this.store.putCard(hash, card);
    return stored ? 'replaced' : 'stored';
  }

  /**
   * The quota check, then the write. The core emits one blob write per identity at a time, so
   * they cannot interleave with another write of the same identity in this process.
   */
  async #putBlobChecked(
    owner: string,
    key: Uint8Array,
    value: Uint8Array,
    quota: BlobQuota,
  ): Promise<StoreValues['put_blob']> {
    const usage = await this.store.blobUsage(owner);
    const old = await this.store.getBlob(owner, key);
    if (usage.count + (old ? 0 : 1) > quota.maxBlobs) return 'too_many';
    if (usage.bytes - (old?.length ?? 0) + value.length > quota.maxBytes) return 'too_big';
    await this.store.putBlob(owner, key, value);
    return 'ok';
  }
}
