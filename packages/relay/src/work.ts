import type { IDCard, Membership } from '@peerwire/crypto';
import type { HandshakeResponse } from '@peerwire/wire';
import type { BlobQuota, StoredCard, StoredMembership } from './store.js';

/**
 * The relay core's asynchronous work, as data. The core never awaits: where it needs a
 * signature checked or the store read or written, it emits a `RelayWork` with a ticket number,
 * and the host (the I/O layer; by default `WorkRunner`) runs it and hands the outcome back with
 * `Relay.complete(ticket, result, now)`. Completions may come in any order.
 */
export type RelayWork =
  | { readonly type: 'verify'; readonly ticket: number; readonly check: VerifyCheck }
  | { readonly type: 'store'; readonly ticket: number; readonly op: StoreOp };

/** A signature check. */
export type VerifyCheck =
  /** A HandshakeResponse against the exact request bytes sent (`verifyHandshake`); `now` in Unix seconds. */
  | {
      readonly kind: 'handshake';
      readonly challenge: Uint8Array;
      readonly response: HandshakeResponse;
      readonly now: number;
    }
  /** The group hashes of the valid memberships among the first `max` of a presented card. */
  | { readonly kind: 'card_groups'; readonly card: IDCard; readonly max: number }
  /** Opens a sign-only request bottle (every signature must verify). */
  | { readonly kind: 'bottle'; readonly body: Uint8Array }
  /** Whether a membership's signature verifies. */
  | { readonly kind: 'membership'; readonly membership: Membership };

/** A store operation (`RelayStore`). */
export type StoreOp =
  | { readonly kind: 'get_card'; readonly hash: string }
  /** Keeps `card` unless the store holds a newer or the same one. */
  | { readonly kind: 'remember_card'; readonly hash: string; readonly card: StoredCard }
  | { readonly kind: 'get_blob'; readonly owner: string; readonly key: Uint8Array }
  /** Writes a blob if the owner's quota allows it (`putBlobWithin`, or usage check then write). */
  | {
      readonly kind: 'put_blob';
      readonly owner: string;
      readonly key: Uint8Array;
      readonly value: Uint8Array;
      readonly quota: BlobQuota;
    }
  | { readonly kind: 'delete_blob'; readonly owner: string; readonly key: Uint8Array }
  | { readonly kind: 'put_membership'; readonly membership: StoredMembership };

/** The value a successful `verify` check completes with, by kind. */
export interface VerifyValues {
  handshake: { readonly card: IDCard; readonly hash: string };
  card_groups: readonly string[];
  /** The payload and the PKIX keys of the verified signers. */
  bottle: { readonly payload: Uint8Array; readonly signers: readonly Uint8Array[] };
  membership: boolean;
}

/** The value a successful store operation completes with, by kind. */
export interface StoreValues {
  get_card: StoredCard | undefined;
  /** `replaced`: an older card was there (its watchers are told); `kept`: nothing written. */
  remember_card: 'stored' | 'replaced' | 'kept';
  get_blob: Uint8Array | undefined;
  put_blob: 'ok' | 'too_many' | 'too_big';
  delete_blob: boolean;
  put_membership: undefined;
}

/** A work item before the core numbers it. */
export type WorkRequest =
  | { readonly type: 'verify'; readonly check: VerifyCheck }
  | { readonly type: 'store'; readonly op: StoreOp };

/** The value a work item completes with. */
export type WorkValue<W extends WorkRequest> = W extends { readonly check: infer C }
  ? C extends { readonly kind: infer K extends keyof VerifyValues }
    ? VerifyValues[K]
    : never
  : W extends { readonly op: infer O }
    ? O extends { readonly kind: infer K extends keyof StoreValues }
      ? StoreValues[K]
      : never
    : never;

/**
 * The outcome of a work item: its value, or the error it failed with (a failed signature check,
 * a store fault). The value's shape must be the one `VerifyValues` / `StoreValues` give for it.
 */
export type WorkResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: unknown };
