import { PeerwireError } from '@peerwire/wire';

export type AddressErrorCode =
  /** The target's type is not `k`, `c`, `g` or `@`. */
  | 'BAD_TYPE'
  /** An identity or group hash is not 43 base64url characters encoding 32 bytes. */
  | 'BAD_HASH'
  /** A required part (server, client id, hash) is missing or empty. */
  | 'MISSING_PART'
  /** The target has more parts than its type allows. */
  | 'TOO_MANY_PARTS';

/** A Spot address that cannot be parsed; the message names the bad part. */
export class AddressError extends PeerwireError {
  declare readonly code: AddressErrorCode;
  /** The address as given. */
  readonly input: string;

  constructor(code: AddressErrorCode, input: string, message: string) {
    super(code, `invalid Spot address ${JSON.stringify(input)}: ${message}`);
    this.input = input;
  }
}
