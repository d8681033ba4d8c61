import { PeerwireError } from '@peerwire/wire';

/** Why ptpchat refused input or an action. Stable: branch on these, not on messages. */
export type PtpchatErrorCode =
  // Codec (spec §1-2, §8)
  /** A TCP frame announces more bytes than the configured maximum (default 99999). */
  | 'FRAME_TOO_LARGE'
  /** A frame or datagram is not UTF-8. */
  | 'BAD_UTF8'
  /** A frame or datagram is not JSON, or its top level is not an object. */
  | 'BAD_JSON'
  /** The envelope is malformed: no verb, a `ttl` that is not an integer, no usable `msg_id`, ... */
  | 'BAD_ENVELOPE'
  /** The verb is not one of §8 (including `"RELAY"`, which is not a wire verb). */
  | 'UNKNOWN_VERB'
  /** The verb's `msg_data` does not match its schema. */
  | 'BAD_MSG_DATA'
  /** A node id is not `name@GUID` (or a bare GUID on UDP-era input). */
  | 'BAD_NODE_ID'
  /** A CONNECT address is not `ip:port`, `[ip6]:port`, an IP or a port. */
  | 'BAD_ADDRESS'
  /** A base64 field does not decode. */
  | 'BAD_BASE64'
  /** An encoded message would exceed the maximum frame length. */
  | 'MESSAGE_TOO_LARGE'
  // Identity and content (spec §7)
  /** A certificate is not a valid signed ID card. */
  | 'BAD_CERTIFICATE'
  /** A certificate for a known GUID names a different key (`Self`) than the pinned one. */
  | 'GUID_IMPOSTOR'
  /** A bottle is not signed by a `sign` key of the sender's certificate, or is malformed. */
  | 'BAD_SIGNATURE'
  /** A closed-channel text or key could not be decrypted. */
  | 'DECRYPT_FAILED'
  /** An attachment is larger than the configured limit, or there are too many. */
  | 'ATTACHMENT_TOO_LARGE'
  // Engine actions
  /** The action names a channel this node does not know. */
  | 'UNKNOWN_CHANNEL'
  /** The action needs the closed channel's key, which this node does not hold. */
  | 'NO_CHANNEL_KEY'
  /** The action needs a certificate this node does not have yet. */
  | 'UNKNOWN_CERTIFICATE'
  /** The action is not allowed in the current state (e.g. a CONNECT without a neighbour in common). */
  | 'INVALID_ACTION'
  /** A configured limit was exceeded. */
  | 'LIMIT_EXCEEDED'
  // Node adapter (`@peerwire/ptpchat/node`)
  /** An adapter option is out of range. */
  | 'BAD_OPTION'
  /** The TCP listener could not be bound. */
  | 'LISTEN_FAILED'
  /** The UDP socket (CONNECT rendezvous, punched paths) could not be bound. */
  | 'UDP_BIND_FAILED'
  /** A TCP dial failed or timed out. */
  | 'DIAL_FAILED'
  /** The running node is closed. */
  | 'CLOSED';

/** The error of `@peerwire/ptpchat`. Every failure the package reports on purpose is one of these. */
export class PtpchatError extends PeerwireError {
  declare readonly code: PtpchatErrorCode;

  constructor(code: PtpchatErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
