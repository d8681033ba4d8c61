import { PeerwireError } from '@peerwire/wire';

export type ClientErrorCode =
  /** No relay connection is online (and none came online in time). */
  | 'OFFLINE'
  /** A query got no response in time. */
  | 'TIMEOUT'
  /** The other side (peer or relay) answered with an error; `message` holds its text. */
  | 'REMOTE_ERROR'
  /** A response that is not encrypted and signed as the exchange requires. */
  | 'BAD_RESPONSE'
  /**
   * `@/idcard_find` answered an error for the identity (normally: the relay knows no such
   * identity); `cause` holds the relay's `REMOTE_ERROR`.
   */
  | 'UNKNOWN_IDENTITY'
  /** A received request that cannot be accepted (a bottle not signed by its sender, ...). */
  | 'BAD_MESSAGE'
  /** The payload does not fit in one instant message. */
  | 'TOO_LARGE'
  /** An address that cannot be used as a destination. */
  | 'BAD_ADDRESS'
  /** Relay discovery failed. */
  | 'DISCOVERY_FAILED'
  /** The keychain holds no key that can sign for the identity. */
  | 'NO_IDENTITY'
  /** The client was stopped. */
  | 'STOPPED';

export class ClientError extends PeerwireError {
  declare readonly code: ClientErrorCode;

  constructor(code: ClientErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
