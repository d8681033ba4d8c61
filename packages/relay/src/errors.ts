import { PeerwireError } from '@peerwire/wire';

export type RelayErrorCode =
  /** A relay option is out of range. */
  | 'BAD_CONFIG'
  /** A store operation failed (the relay keeps serving; the request gets an error reply). */
  | 'STORE_FAILED'
  /**
   * An `@/` request the relay refuses (bad payload, quota, unknown endpoint, ...). It never
   * leaves the core as an exception: the message is the error text answered to the client.
   */
  | 'ENDPOINT_FAILED'
  /** `Relay.complete` was handed a ticket that is not outstanding (never issued, or completed). */
  | 'UNKNOWN_TICKET';

export class RelayError extends PeerwireError {
  declare readonly code: RelayErrorCode;

  constructor(code: RelayErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
