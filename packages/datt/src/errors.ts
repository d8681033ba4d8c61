import { PeerwireError } from '@peerwire/wire';

/** Why Datt bytes were rejected, or why a Datt value could not be encoded. */
export type DattErrorCode =
  /** The input ended before the structure did. */
  | 'TRUNCATED'
  /** Bytes were left after a complete structure. */
  | 'TRAILING_BYTES'
  /** A DMsg did not start with the magic `25 5a 48 4b`. */
  | 'BAD_MAGIC'
  /** A DMsg checksum is not the first 4 bytes of SHA-256d of its data. */
  | 'BAD_CHECKSUM'
  /** A size (DMsg data, transaction, envelope, address list) is above its configured limit. */
  | 'TOO_LARGE'
  /** A command name is empty, longer than 12 bytes, not printable ASCII, or has bytes after a NUL. */
  | 'BAD_COMMAND'
  /** A command this codec does not know. */
  | 'UNKNOWN_COMMAND'
  /** A field has the wrong length for its kind (a 33-byte key, a 21-byte address, ...). */
  | 'BAD_LENGTH'
  /** A field holds a value outside its allowed range. */
  | 'BAD_VALUE'
  /** Text that must be UTF-8 (or JSON) is not. */
  | 'BAD_UTF8'
  /** Bytes that must be a secp256k1 public key (compressed) or secret key are not one. */
  | 'BAD_KEY'
  /** A compact signature that is malformed or does not verify. */
  | 'BAD_SIGNATURE'
  /** The key recovered from a signature is not the embedded public key. */
  | 'KEY_MISMATCH'
  /** A content hash is not SHA-256 of the ContentAuth it announces. */
  | 'HASH_MISMATCH'
  /** An ECIES or envelope MAC does not match (wrong key or tampered ciphertext). */
  | 'BAD_MAC'
  /** ECIES ciphertext that is not a whole number of AES blocks, or whose padding is invalid. */
  | 'BAD_CIPHERTEXT'
  /** An envelope addressed to another key. */
  | 'WRONG_RECEIVER'
  /** A raw Bitcoin transaction that does not parse under the rules of spec §7. */
  | 'BAD_TRANSACTION'
  /** An address version byte that is neither P2PKH nor P2SH (mainnet or testnet). */
  | 'BAD_ADDRESS'
  /** A transaction that does not pay the requested amount to the requested address. */
  | 'PAYMENT_INSUFFICIENT'
  /** A transaction that already paid for an earlier request. */
  | 'PAYMENT_REUSED';

/**
 * The one error class of `@peerwire/datt`: every decoder, encoder and verifier throws it with a
 * stable `code`. Callers branch on `code`; `message` says what was wrong and where.
 */
export class DattError extends PeerwireError {
  declare readonly code: DattErrorCode;

  constructor(code: DattErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** Why a request made through a node (get, post, pay) failed. */
export type DattRequestErrorCode =
  /** No answer before the deadline. */
  | 'TIMEOUT'
  /** The connection closed before the answer arrived. */
  | 'CLOSED'
  /** No connected peer could serve the request. */
  | 'NO_PEER'
  /** The node is shutting down. */
  | 'SHUT_DOWN'
  /** The peer asked for a payment and no wallet was given (or it declined). */
  | 'PAYMENT_DECLINED'
  /** The peer did not accept our payment (it answered without a payment ack). */
  | 'PAYMENT_REJECTED'
  /** No peer asked has the content. */
  | 'NOT_FOUND'
  /** The address to connect to is not `tcp://host:port` or `ws(s)://…`. */
  | 'BAD_URL';

/** A node-level request (get, post) that did not complete. */
export class DattRequestError extends PeerwireError {
  declare readonly code: DattRequestErrorCode;

  constructor(code: DattRequestErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** Rewrites a wire `DecodeError` (from `ByteReader`) as a `DattError` with the same meaning. */
export function asDattError(error: unknown, what: string): never {
  if (error instanceof DattError) throw error;
  if (error instanceof PeerwireError) {
    const code: DattErrorCode =
      error.code === 'TRUNCATED' || error.code === 'TRAILING_BYTES' || error.code === 'BAD_UTF8'
        ? error.code
        : 'BAD_VALUE';
    throw new DattError(code, `${what}: ${error.message}`, { cause: error });
  }
  throw error;
}
