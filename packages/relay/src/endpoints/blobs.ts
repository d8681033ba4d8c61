import type { Connection } from '../connection.js';
import type { RelayContext } from '../context.js';
import { type Endpoint, endpointFailed } from './endpoint.js';

/**
 * `@/store_blob` (key ‖ 0x00 ‖ value; an empty value deletes) and `@/fetch_blob` (key), per
 * identity, within `maxBlobsPerIdentity`, `maxBlobBytesPerIdentity` and `maxBlobKeyBytes`.
 */
export class BlobEndpoints {
  /** Blob writes of one identity, one after the other: a quota check and its write are atomic. */
  readonly #writes = new Map<string, Promise<unknown>>();

  constructor(readonly ctx: RelayContext) {}

  get endpoints(): Endpoint[] {
    return [
      { name: 'store_blob', serve: (conn, payload) => this.#store(conn, payload) },
      { name: 'fetch_blob', serve: (conn, payload) => this.#fetch(conn, payload) },
    ];
  }

  /**
   * Requests of one connection run concurrently, so two pipelined `store_blob`s could both pass
   * the quota check before either write lands. Writes of one identity are queued instead.
   */
  #store(conn: Connection, payload: Uint8Array): Promise<Uint8Array> {
    const previous = this.#writes.get(conn.hash) ?? Promise.resolve();
    const run = previous.then(
      () => this.#storeNow(conn, payload),
      () => this.#storeNow(conn, payload),
    );
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.#writes.set(conn.hash, settled);
    void settled.then(() => {
      if (this.#writes.get(conn.hash) === settled) this.#writes.delete(conn.hash);
    });
    return run;
  }

  async #storeNow(conn: Connection, payload: Uint8Array): Promise<Uint8Array> {
    const { limits, store } = this.ctx;
    const zero = payload.indexOf(0);
    if (zero < 0) throw endpointFailed('store_blob takes key ‖ 0x00 ‖ value');
    if (zero === 0) throw endpointFailed('blob key is empty');
    if (zero > limits.maxBlobKeyBytes)
      throw endpointFailed(`blob key longer than ${limits.maxBlobKeyBytes} bytes`);
    const key = payload.subarray(0, zero);
    const value = payload.subarray(zero + 1);
    if (value.length === 0) {
      await store.deleteBlob(conn.hash, key);
      return new Uint8Array(0);
    }
    if (store.putBlobWithin) {
      const quota = {
        maxBlobs: limits.maxBlobsPerIdentity,
        maxBytes: limits.maxBlobBytesPerIdentity,
      };
      const result = await store.putBlobWithin(conn.hash, key, value, quota);
      if (result === 'too_many')
        throw endpointFailed(`blob quota exceeded (${limits.maxBlobsPerIdentity} blobs)`);
      if (result === 'too_big')
        throw endpointFailed(`blob quota exceeded (${limits.maxBlobBytesPerIdentity} bytes)`);
      return new Uint8Array(0);
    }
    const usage = await store.blobUsage(conn.hash);
    const old = await store.getBlob(conn.hash, key);
    const count = usage.count + (old ? 0 : 1);
    const bytes = usage.bytes - (old?.length ?? 0) + value.length;
    if (count > limits.maxBlobsPerIdentity)
      throw endpointFailed(`blob quota exceeded (${limits.maxBlobsPerIdentity} blobs)`);
    if (bytes > limits.maxBlobBytesPerIdentity) {
      throw endpointFailed(`blob quota exceeded (${limits.maxBlobBytesPerIdentity} bytes)`);
    }
    await store.putBlob(conn.hash, key, value);
    return new Uint8Array(0);
  }

  async #fetch(conn: Connection, payload: Uint8Array): Promise<Uint8Array> {
    if (payload.length === 0) throw endpointFailed('fetch_blob takes a key');
    const value = await this.ctx.store.getBlob(conn.hash, payload);
    if (!value) throw endpointFailed('blob not found');
    return value;
  }
}
