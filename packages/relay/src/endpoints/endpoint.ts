import type { Connection } from '../connection.js';
import { RelayError } from '../errors.js';

/**
 * One relay endpoint, `@/<name>`. `serve` gets the online connection that asked and the request
 * payload (already unwrapped from its sign-only bottle and checked against the sender's card)
 * and returns the answer payload. A refusal is thrown as `endpointFailed(text)`: the client is
 * answered `text` with the Error flag. Anything else thrown is a fault of the relay (a store
 * failure): it is reported as a `store_error` event and answered `internal error`.
 */
export interface Endpoint {
  readonly name: string;
  serve(conn: Connection, payload: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

/** The refusal of an `@/` request; `text` is answered to the client. */
export function endpointFailed(text: string): RelayError {
  return new RelayError('ENDPOINT_FAILED', text);
}

/** Whether `error` is a refusal made by an endpoint (as opposed to a fault of the relay). */
export function isEndpointRefusal(error: unknown): error is RelayError {
  return error instanceof RelayError && error.code === 'ENDPOINT_FAILED';
}
