import { PeerwireError } from '@peerwire/wire';

export type RelayRedisErrorCode =
  /** An option is out of range or the Redis URL does not parse. */
  | 'BAD_OPTIONS'
  /** Redis could not be reached (at start: the relay must not start half-clustered). */
  | 'CONNECT_FAILED'
  /** A bus envelope from another relay does not decode (counted and dropped, never thrown far). */
  | 'BAD_ENVELOPE'
  /** A presence or store notification on a cluster channel does not validate. */
  | 'BAD_NOTICE'
  /** A record read back from Redis does not validate. */
  | 'BAD_RECORD';

export class RelayRedisError extends PeerwireError {
  declare readonly code: RelayRedisErrorCode;

  constructor(code: RelayRedisErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
