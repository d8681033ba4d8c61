/**
 * The base class of every error peerwire throws on purpose. Callers branch on `code`, a stable
 * string; `message` is for humans and may change.
 */
export class PeerwireError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Why a decoder rejected its input. */
export type DecodeErrorCode =
  /** The input ended before the structure did. */
  | 'TRUNCATED'
  /** Bytes were left after a complete structure. */
  | 'TRAILING_BYTES'
  /** The packet header announced a version other than 0. */
  | 'BAD_VERSION'
  /** The packet header (or a message) announced a type this codec does not know. */
  | 'UNKNOWN_TYPE'
  /** A name (recipient, sender, ...) is longer than the limit. */
  | 'NAME_TOO_LONG'
  /** A body or frame is larger than the configured limit. */
  | 'BODY_TOO_LARGE'
  /** A varint does not fit in 64 bits. */
  | 'VARINT_OVERFLOW'
  /** Text that must be UTF-8 is not. */
  | 'BAD_UTF8'
  /** Malformed CBOR, or CBOR outside the strict profile (disallowed tag, simple value, ...). */
  | 'BAD_CBOR'
  /** Well-formed CBOR of the wrong shape: a text string where bytes are expected, a 4-element Bottle, ... */
  | 'BAD_SHAPE'
  /** CBOR nesting deeper than the limit. */
  | 'TOO_DEEP'
  /** An array, map or string longer than the configured limit. */
  | 'TOO_LARGE'
  /** Base64url or hex text that does not decode. */
  | 'BAD_ENCODING'
  /** A field holds a value outside its allowed range. */
  | 'BAD_VALUE';

/** Thrown by every decoder in this package, and reused by the codecs built on it. */
export class DecodeError extends PeerwireError {
  declare readonly code: DecodeErrorCode;

  constructor(code: DecodeErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** Why an encoder refused to produce bytes. */
export type EncodeErrorCode =
  | 'NAME_TOO_LONG'
  | 'BODY_TOO_LARGE'
  | 'BAD_VALUE'
  /** A value the strict CBOR profile cannot represent (undefined, a float where an integer is required, ...). */
  | 'UNSUPPORTED_VALUE';

/** Thrown when asked to encode something the wire format cannot or must not carry. */
export class EncodeError extends PeerwireError {
  declare readonly code: EncodeErrorCode;

  constructor(code: EncodeErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** Why a helper of this package refused its arguments. */
export type ArgumentErrorCode =
  /** A size, count or duration outside its allowed range, or an option missing its companion. */
  'BAD_ARGUMENT';

/** Thrown when a helper (`BoundedMap`, ...) is configured or called with arguments it cannot use. */
export class ArgumentError extends PeerwireError {
  declare readonly code: ArgumentErrorCode;

  constructor(code: ArgumentErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
