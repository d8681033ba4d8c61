import { type CryptoBackend, openBottle, verifyHandshake } from '@peerwire/crypto';
import { bytesEqual } from '@peerwire/wire';
import { verifiedCardGroups } from './group-registry.js';
import type { RelayStore } from './store.js';
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
    this.execute(work).then(
      (result) => {
        try {
          done(work.ticket, result);
        } catch (error) {
          onFault(error);
        }
      },
      onFault, // execute never rejects; this is for completeness
    );
  }

  /** Runs `work`; resolves with its outcome, never rejects. */
  async execute(work: RelayWork): Promise<WorkResult> {
    try {
      const value =
        work.type === 'verify' ? await this.#verify(work.check) : await this.#store(work.op);
      return { ok: true, value };
    } catch (error) {
      return { ok: false, error };
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

  async #store(op: StoreOp): Promise<StoreValues[keyof StoreValues]> {
    const store = this.store;
    switch (op.kind) {
      case 'get_card':
        return store.getCard(op.hash);
      case 'remember_card': {
        const stored = await store.getCard(op.hash);
        if (stored && (stored.issued > op.card.issued || bytesEqual(stored.blob, op.card.blob)))
          return 'kept';
        await store.putCard(op.hash, op.card);
        return stored ? 'replaced' : 'stored';
      }
      case 'get_blob':
        return store.getBlob(op.owner, op.key);
      case 'put_blob': {
        if (store.putBlobWithin) return store.putBlobWithin(op.owner, op.key, op.value, op.quota);
        // The core emits one blob write per identity at a time, so this check and the write
        // cannot interleave with another write of the same identity in this process.
        const usage = await store.blobUsage(op.owner);
        const old = await store.getBlob(op.owner, op.key);
        if (usage.count + (old ? 0 : 1) > op.quota.maxBlobs) return 'too_many';
        if (usage.bytes - (old?.length ?? 0) + op.value.length > op.quota.maxBytes)
          return 'too_big';
        await store.putBlob(op.owner, op.key, op.value);
        return 'ok';
      }
      case 'delete_blob':
        return store.deleteBlob(op.owner, op.key);
      case 'put_membership':
        await store.putMembership(op.membership);
        return undefined;
    }
  }
}
