import type { Connection } from '../connection.js';
import { RelayError } from '../errors.js';
import type { WorkRequest, WorkValue } from '../work.js';

/**
 * One relay endpoint, `@/<name>`. `serve` gets the online connection that asked, the request
 * payload (already unwrapped from its sign-only bottle and checked against the sender's card) and
 * the current time, and returns the outcome: the answer payload, or `awaitWork(...)` when it
 * needs a signature checked or the store read or written first (the core never awaits). A
 * refusal is thrown as `endpointFailed(text)` (from `serve` or from a continuation): the client
 * is answered `text` with the Error flag. A work item that fails (a store fault) is reported as a
 * `store-error` event and answered `internal error`.
 */
export interface Endpoint {
  readonly name: string;
  serve(conn: Connection, payload: Uint8Array, now: number): EndpointOutcome;
}

/** The answer payload, or work to run before the endpoint goes on. */
export type EndpointOutcome = Uint8Array | AwaitWork;

/** Work the endpoint waits for, and what it does with the value once the work succeeded. */
export interface AwaitWork {
  readonly work: WorkRequest;
  /** Work with the same key runs one item at a time, in order (see `Tickets`). */
  readonly serial: string | undefined;
  next(value: unknown, now: number): EndpointOutcome;
}

/** An outcome that waits for `work`, then continues with `then(value, now)`. */
export function awaitWork<W extends WorkRequest>(
  work: W,
  then: (value: WorkValue<W>, now: number) => EndpointOutcome,
  serial?: string,
): AwaitWork {
  return { work, serial, next: then as AwaitWork['next'] };
}

/** The refusal of an `@/` request; `text` is answered to the client. */
export function endpointFailed(text: string): RelayError {
  return new RelayError('ENDPOINT_FAILED', text);
}

/** Whether `error` is a refusal made by an endpoint (as opposed to a fault of the relay). */
export function isEndpointRefusal(error: unknown): error is RelayError {
  return error instanceof RelayError && error.code === 'ENDPOINT_FAILED';
}
