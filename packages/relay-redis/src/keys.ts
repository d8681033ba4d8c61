/**
 * Every Redis key and channel the cluster uses, under one prefix (default `pw:`). What lives
 * where is listed in the README.
 */
export class ClusterKeys {
  constructor(readonly prefix: string) {}

  /** SET of the server codes of relays that announced themselves. */
  get relays(): string {
    return `${this.prefix}relays`;
  }
  /** STRING (JSON hosts) with a `presenceTtlMs` expiry: relay `srv` is alive. */
  relay(srv: string): string {
    return `${this.prefix}relay:${srv}`;
  }
  /** HASH cid → JSON {h, g} of relay `srv`'s online connections, same expiry. */
  presence(srv: string): string {
    return `${this.prefix}presence:${srv}`;
  }
  /** Pub/sub channel of relay `srv` (bus envelopes). */
  bus(srv: string): string {
    return `${this.prefix}bus:${srv}`;
  }
  /** Pub/sub channel of presence notices. */
  get presenceChannel(): string {
    return `${this.prefix}presence`;
  }
  /** Pub/sub channel of store notices (new cards, memberships). */
  get storeChannel(): string {
    return `${this.prefix}store`;
  }
  /** HASH {blob, issued}: the newest IDCard of an identity. */
  card(hash: string): string {
    return `${this.prefix}card:${hash}`;
  }
  /** HASH blob key → value: an identity's blobs. */
  blobs(owner: string): string {
    return `${this.prefix}blobs:${owner}`;
  }
  /** STRING: total bytes of an identity's blobs (the count is HLEN of `blobs`). */
  blobBytes(owner: string): string {
    return `${this.prefix}blobbytes:${owner}`;
  }
  /** HASH `<group> <subject>` → JSON membership: the membership registry. */
  get members(): string {
    return `${this.prefix}members`;
  }
}
