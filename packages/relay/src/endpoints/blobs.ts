import type { Connection } from '../connection.js';
import type { RelayContext } from '../context.js';
import { awaitWork, type Endpoint, type EndpointOutcome, endpointFailed } from './endpoint.js';

const EMPTY = new Uint8Array(0);

/**
 * `@/store_blob` (key ‖ 0x00 ‖ value; an empty value deletes) and `@/fetch_blob` (key), per
 * identity, within `maxBlobsPerIdentity`, `maxBlobBytesPerIdentity` and `maxBlobKeyBytes`.
 *
 * Requests of one connection are served concurrently, so two pipelined `store_blob`s could both
 * pass the quota check before either write lands. The writes of one identity therefore share
 * the serial key `blob:<hash>`: the core emits the next only once the previous one completed.
 */
export class BlobEndpoints {
  constructor(readonly ctx: RelayContext) {}

  get endpoints(): Endpoint[] {
    return [
      { name: 'store_blob', serve: (conn, payload) => this.#store(conn, payload) },
      { name: 'fetch_blob', serve: (conn, payload) => this.#fetch(conn, payload) },
    ];
  }

  #store(conn: Connection, payload: Uint8Array): EndpointOutcome {
    const { limits } = this.ctx;
    const zero = payload.indexOf(0);
    if (zero < 0) throw endpointFailed('store_blob takes key ‖ 0x00 ‖ value');
    if (zero === 0) throw endpointFailed('blob key is empty');
    if (zero > limits.maxBlobKeyBytes)
      throw endpointFailed(`blob key longer than ${limits.maxBlobKeyBytes} bytes`);
    const owner = conn.hash;
    const key = payload.slice(0, zero);
    const value = payload.slice(zero + 1);
    const serial = `blob:${owner}`;
    if (value.length === 0)
      return awaitWork(
        { type: 'store', op: { kind: 'delete_blob', owner, key } },
        () => EMPTY,
        serial,
      );
    const quota = {
      maxBlobs: limits.maxBlobsPerIdentity,
      maxBytes: limits.maxBlobBytesPerIdentity,
    };
    return awaitWork(
      { type: 'store', op: { kind: 'put_blob', owner, key, value, quota } },
      (result) => {
        if (result === 'too_many')
          throw endpointFailed(`blob quota exceeded (${quota.maxBlobs} blobs)`);
        if (result === 'too_big')
          throw endpointFailed(`blob quota exceeded (${quota.maxBytes} bytes)`);
        return EMPTY;
      },
      serial,
    );
  }

  #fetch(conn: Connection, payload: Uint8Array): EndpointOutcome {
    if (payload.length === 0) throw endpointFailed('fetch_blob takes a key');
    return awaitWork(
      { type: 'store', op: { kind: 'get_blob', owner: conn.hash, key: payload.slice() } },
      (value) => {
        if (!value) throw endpointFailed('blob not found');
        return value;
      },
    );
  }
}
