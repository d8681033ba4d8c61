import { PeerwireError } from '@peerwire/wire';

/** Why natbase refused input or an action. Stable: branch on these, not on messages. */
export type NatbaseErrorCode =
  // Framing (spec §3)
  /** A TCP record does not start with the fake TLS header `17 03 03`. */
  | 'BAD_RECORD_HEADER'
  /** A TCP record (or a payload to frame) is longer than the limit (default 1994 bytes, §3). */
  | 'FRAME_TOO_LARGE'
  // Message codecs (spec §5, §6, §9, §10, §12)
  /** The input is empty: no kind byte. */
  | 'EMPTY_MESSAGE'
  /** The kind byte is not one this direction knows (including base REDIRECT = 5, never decoded). */
  | 'UNKNOWN_KIND'
  /** The total length does not match the kind's layout (a truncated or over-long message). */
  | 'BAD_LENGTH'
  /** A field holds a value outside its range (an address list with no entry, a port > 65535, ...). */
  | 'BAD_VALUE'
  /** Text that must be UTF-8 (USER_AGENT) is not. */
  | 'BAD_UTF8'
  /** An IP address or device id in text form does not parse. */
  | 'BAD_ADDRESS'
  // Identity (spec §4)
  /** A public key fails the proof-of-work rule, or a device id does not match its public key. */
  | 'BAD_DEVICE_ID'
  /** An Ed25519 signature does not verify. */
  | 'BAD_SIGNATURE'
  /** A key has the wrong length. */
  | 'BAD_KEY'
  /** Identity generation gave up after the configured number of attempts. */
  | 'GENERATION_FAILED'
  // Secure layer (spec §11)
  /** A secure-layer packet's Poly1305 MAC does not verify (checked before anything else). */
  | 'BAD_MAC'
  /** A secure HELLO names another device, or a helloseq that is not ours. */
  | 'UNEXPECTED_HELLO'
  /** Secure DATA arrived before keys were derived with this peer. */
  | 'NO_SESSION'
  /** A secure packet or payload is longer than the secure layer's limit (1999 / 1950 bytes). */
  | 'PAYLOAD_TOO_LARGE'
  /** A peer's queue of packets awaiting the handshake is full (default 10): the packet is dropped. */
  | 'QUEUE_FULL'
  /** The secure layer already tracks its maximum number of peers (default 4096). */
  | 'TOO_MANY_PEERS'
  /** A handshake got no answer after `maxHelloRetries` repeats: its queued packets are dropped. */
  | 'HANDSHAKE_TIMEOUT';

/** The error of `@peerwire/natbase`. Every failure the package reports on purpose is one of these. */
export class NatbaseError extends PeerwireError {
  declare readonly code: NatbaseErrorCode;

  constructor(code: NatbaseErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
