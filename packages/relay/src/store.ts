import { toHex } from '@peerwire/wire';

/** A signed IDCard blob as the relay keeps it: the newest one each identity presented. */
export interface StoredCard {
  readonly blob: Uint8Array;
  /** `IDCard.Issued` (Unix seconds). */
  readonly issued: number;
}

/** A group membership as the registry keeps it (the CBOR form carries its signature). */
export interface StoredMembership {
  /** CBOR Membership with Subject set. */
  readonly bytes: Uint8Array;
  /** Identity hash of the group key. */
  readonly group: string;
  /** Identity hash of the subject (the member's Self). */
  readonly subject: string;
  readonly issued: number;
  readonly status: string;
}

export interface BlobUsage {
  readonly count: number;
  readonly bytes: number;
}

/**
 * Where the relay keeps what must survive a restart: IDCards (for `@/idcard_find`), blobs (per
 * identity) and the membership registry. The relay core is written against this interface; the
 * app provides an on-disk implementation, tests use `MemoryRelayStore`.
 */
export interface RelayStore {
  getCard(hash: string): Promise<StoredCard | undefined>;
  putCard(hash: string, card: StoredCard): Promise<void>;
  getBlob(owner: string, key: Uint8Array): Promise<Uint8Array | undefined>;
  /** Stores or replaces a blob. */
  putBlob(owner: string, key: Uint8Array, value: Uint8Array): Promise<void>;
  /** Returns whether a blob was there. */
  deleteBlob(owner: string, key: Uint8Array): Promise<boolean>;
  blobUsage(owner: string): Promise<BlobUsage>;
  putMembership(membership: StoredMembership): Promise<void>;
  listMemberships(): Promise<StoredMembership[]>;
  close(): Promise<void>;

  // Optional, for stores shared by several relays (a cluster, e.g. `@peerwire/relay-redis`):

  /**
   * Checks the per-identity quota and writes in one atomic step, so that writes of one identity
   * through several relays can never race past the quota. Without it the relay checks
   * `blobUsage` then writes, one write per identity at a time within this process.
   */
  putBlobWithin?(
    owner: string,
    key: Uint8Array,
    value: Uint8Array,
    quota: BlobQuota,
  ): Promise<'ok' | 'too_many' | 'too_big'>;
  /** Calls `listener` when another relay stored a newer card (to push `idcard_update`s). */
  watchCards?(listener: (hash: string, card: StoredCard) => void): void;
  /** Calls `listener` when another relay stored a membership (to update the registry). */
  watchMemberships?(listener: (membership: StoredMembership) => void): void;
}

/** Per-identity blob limits handed to `RelayStore.putBlobWithin`. */
export interface BlobQuota {
  readonly maxBlobs: number;
  readonly maxBytes: number;
}

/** Keeps everything in memory: for tests and for `--memory` relays. */
export class MemoryRelayStore implements RelayStore {
  readonly #cards = new Map<string, StoredCard>();
  readonly #blobs = new Map<string, Map<string, Uint8Array>>();
  readonly #memberships = new Map<string, StoredMembership>();

  async getCard(hash: string): Promise<StoredCard | undefined> {
    return this.#cards.get(hash);
  }

  async putCard(hash: string, card: StoredCard): Promise<void> {
    this.#cards.set(hash, { blob: card.blob.slice(), issued: card.issued });
  }

  async getBlob(owner: string, key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.#blobs.get(owner)?.get(toHex(key));
  }

  async putBlob(owner: string, key: Uint8Array, value: Uint8Array): Promise<void> {
    let blobs = this.#blobs.get(owner);
    if (!blobs) {
      blobs = new Map();
      this.#blobs.set(owner, blobs);
    }
    blobs.set(toHex(key), value.slice());
  }

  async deleteBlob(owner: string, key: Uint8Array): Promise<boolean> {
    return this.#blobs.get(owner)?.delete(toHex(key)) ?? false;
  }

  async blobUsage(owner: string): Promise<BlobUsage> {
    const blobs = this.#blobs.get(owner);
    let bytes = 0;
    for (const v of blobs?.values() ?? []) bytes += v.length;
    return { count: blobs?.size ?? 0, bytes };
  }

  async putMembership(m: StoredMembership): Promise<void> {
    this.#memberships.set(`${m.group}/${m.subject}`, { ...m, bytes: m.bytes.slice() });
  }

  async listMemberships(): Promise<StoredMembership[]> {
    return [...this.#memberships.values()];
  }

  async close(): Promise<void> {}
}
