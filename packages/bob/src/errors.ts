import { PeerwireError } from '@peerwire/wire';

/** Why bob refused input or stopped a transfer. Stable: branch on these, not on messages. */
export type BobErrorCode =
  // Relay packets (spec §1)
  /** The 6-character packet header is not ASCII hex. */
  | 'BAD_HEADER'
  /** The packet type is above `0f`. */
  | 'UNKNOWN_PACKET'
  /** A packet body is malformed (bad hex uid, unknown failure code, ...). */
  | 'BAD_PACKET'
  /** A NUL-terminated field (identity) is longer than the configured limit. */
  | 'FIELD_TOO_LONG'
  // spoke (spec §6); `SpokeError` carries the Spoke_failure byte
  /** A point is badly encoded, of small order, outside the prime-order subgroup, or a result is the identity. */
  | 'BAD_POINT'
  /** The client validator (packet `06`) does not match: usually a wrong password. */
  | 'BAD_CLIENT_VALIDATOR'
  /** The server validator (packet `05`) does not match: usually a wrong password. */
  | 'BAD_SERVER_VALIDATOR'
  /** The 34-byte spoke public is invalid or asks for more KDF work than allowed. */
  | 'BAD_PUBLIC'
  /** The 162-byte spoke secret is invalid. */
  | 'BAD_SECRET'
  // Peer state machines (spec §2)
  /** A packet arrived that the protocol does not allow in this state. */
  | 'PROTOCOL'
  // Records (spec §7)
  /** A record header announces more than 0x7fff bytes. */
  | 'RECORD_TOO_LARGE'
  /** A record failed authentication: the data was modified on the way or the keys differ. */
  | 'TAMPERED'
  /** The stream ended in the middle of a record, of an object or before the PACK trailer. */
  | 'TRUNCATED'
  /** The receiver sent data records to the sender (only the close marker is allowed). */
  | 'UNEXPECTED_DATA'
  /** The data direction would need a cipher other than AES-GCM (spec §7.2). */
  | 'UNSUPPORTED_CIPHER'
  // PACK payload (spec §8)
  /** The PACK stream is malformed (signature, version, object header, order, count). */
  | 'BAD_PACK'
  /** An object's zlib stream is invalid. */
  | 'BAD_ZLIB'
  /** The SHA-1 trailer does not match the stream: corrupted file. */
  | 'CHECKSUM_MISMATCH'
  /** A tree, root or tag object is malformed, or the tree references an object of the wrong kind. */
  | 'BAD_OBJECT'
  /** A tree references an object that is not in the pack. */
  | 'OBJECT_MISSING'
  /** An OFS_DELTA entry is malformed or does not fit its base. */
  | 'BAD_DELTA'
  /** A configured size or count limit was exceeded. */
  | 'LIMIT_EXCEEDED'
  /** A received name would escape the output directory or is not a usable file name. */
  | 'UNSAFE_PATH'
  // Node I/O (`@peerwire/bob/node`)
  /** Every sender on the relay rejected the password, and none is left to try. */
  | 'WRONG_PASSWORD'
  /** The receiver refused the transfer. */
  | 'REFUSED'
  /** The relay timed the connection out (packet `0f`) or a local deadline passed. */
  | 'RELAY_TIMEOUT'
  /** The relay closed the connection before the handshake finished. */
  | 'RELAY_CLOSED'
  /** The relay's secure room refused the pairing (`01` timeout, `02` unknown identity). */
  | 'SECURE_ROOM_REFUSED'
  /** A TCP connection failed or broke. */
  | 'CONNECTION_FAILED'
  /** The destination exists and `force` was not given. */
  | 'FILE_EXISTS'
  /** A file changed size while it was being sent. */
  | 'FILE_CHANGED'
  /** The path to send does not exist or is neither a file nor a directory. */
  | 'NOT_FOUND'
  /** The caller aborted (AbortSignal). */
  | 'ABORTED'
  /** The other side stopped the transfer (its Ctrl-C, or a sender that went away mid-stream). */
  | 'PEER_STOPPED'
  /** The connection to the partner was cut during the transfer, with no word from it. */
  | 'INTERRUPTED';

/** The error of `@peerwire/bob`. Every failure the package reports on purpose is one of these. */
export class BobError extends PeerwireError {
  declare readonly code: BobErrorCode;

  constructor(code: BobErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** The Spoke_failure byte of packet `0d` (spec §1.2). */
export const SpokeFailure = {
  PointNotOnPrimeOrderSubgroup: 0,
  InvalidClientValidator: 1,
  InvalidServerValidator: 2,
  InvalidPublic: 3,
  InvalidSecret: 4,
} as const;
export type SpokeFailure = (typeof SpokeFailure)[keyof typeof SpokeFailure];

const SPOKE_CODES: Record<SpokeFailure, BobErrorCode> = {
  0: 'BAD_POINT',
  1: 'BAD_CLIENT_VALIDATOR',
  2: 'BAD_SERVER_VALIDATOR',
  3: 'BAD_PUBLIC',
  4: 'BAD_SECRET',
};

/** A spoke failure; `failure` is the byte a peer puts in Spoke_failure (`0d`). */
export class SpokeError extends BobError {
  readonly failure: SpokeFailure;

  constructor(failure: SpokeFailure, message: string, options?: { cause?: unknown }) {
    super(SPOKE_CODES[failure], message, options);
    this.failure = failure;
  }
}
