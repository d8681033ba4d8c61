import { PeerwireError } from '@peerwire/wire';

/** Why a crypto operation failed. Callers branch on these; messages are for humans. */
export type CryptoErrorCode =
  /** A key of a type this package does not handle (secp256k1, P-521, post-quantum, ...), or an operation the key type cannot do. */
  | 'UNSUPPORTED_KEY'
  /** Key bytes that do not parse (bad DER, a point not on the curve, a wrong length). */
  | 'BAD_KEY'
  /** A signature that does not verify (a Bottle layer, an ID card, a membership, a handshake). */
  | 'BAD_SIGNATURE'
  /** A Bottle whose format is not 0, 1, 2 or 3 (Go's opener loops forever on those). */
  | 'BAD_FORMAT'
  /** Encryption was asked for with no usable recipient key (e.g. every decrypt subkey expired). */
  | 'NO_RECIPIENTS'
  /** No recipient entry of an encrypted layer could be opened with the keychain's keys. */
  | 'CANNOT_DECRYPT'
  /** A Bottle nests more layers than the configured limit. */
  | 'TOO_MANY_LAYERS'
  /** A Bottle carries more signatures than the configured limit (each costs a verification). */
  | 'TOO_MANY_SIGNATURES'
  /** A signed ID card without a signature by its own `Self` key. */
  | 'NOT_SIGNED_BY_SELF'
  /** A keychain file could not be decrypted with the given passphrase (or a passphrase is missing). */
  | 'BAD_PASSPHRASE'
  /** A keychain file that is truncated, altered or not a keychain at all. */
  | 'CORRUPT_KEYCHAIN'
  /** A membership that is malformed, not for this card, or not signed by its group key. */
  | 'BAD_MEMBERSHIP'
  /** A JSON Bottle (format 3) that does not parse. */
  | 'BAD_JSON'
  /** A handshake response whose key is neither `Self` nor a non-expired, non-revoked `sign` subkey of the card. */
  | 'HANDSHAKE_KEY_NOT_IN_CARD'
  /** A handshake response without the signed ID card the relay requires. */
  | 'MISSING_IDCARD'
  /** An argument outside its allowed range (a negative time, a key passed where a card is needed, ...). */
  | 'BAD_ARGUMENT';

/** Every error this package throws on purpose, except malformed CBOR (wire's `DecodeError`). */
export class CryptoError extends PeerwireError {
  declare readonly code: CryptoErrorCode;

  constructor(code: CryptoErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
