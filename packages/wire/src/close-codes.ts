/**
 * WebSocket close codes (RFC 6455 §7.4.1), used across every kind of link and by the cores that
 * decide to close one (the Spot relay, the Datt node).
 */
export const CloseCode = {
  /** Normal closure. */
  Normal: 1000,
  /** The endpoint is going away (server shutdown, endpoint closed). */
  GoingAway: 1001,
  /** The peer broke the protocol (WebSocket framing, TCP framing). */
  ProtocolError: 1002,
  /** The peer sent a kind of data this end does not accept (text messages). */
  UnsupportedData: 1003,
  /** The peer closed without a status code (received only, never sent). */
  NoStatus: 1005,
  /** The connection was lost without a closing handshake (received only, never sent). */
  Abnormal: 1006,
  /** Invalid UTF-8 in a text message or close reason. */
  InvalidData: 1007,
  /** A policy was violated: handshake failures, flow-control abuse. */
  PolicyViolation: 1008,
  /** A message was larger than the limit. */
  MessageTooBig: 1009,
  /** An unexpected condition (a handler threw). */
  InternalError: 1011,
  /** The server is overloaded or full: try again later. */
  TryAgainLater: 1013,
} as const;

/** The longest close reason a WebSocket close frame can carry, in UTF-8 bytes. */
export const MAX_CLOSE_REASON_BYTES = 123;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** `reason` cut to at most `MAX_CLOSE_REASON_BYTES` UTF-8 bytes, never inside a character. */
export function truncateReason(reason: string): string {
  if (reason.length <= MAX_CLOSE_REASON_BYTES / 3) return reason; // 41 UTF-16 units < 124 bytes
  const bytes = encoder.encode(reason);
  if (bytes.length <= MAX_CLOSE_REASON_BYTES) return reason;
  let end = MAX_CLOSE_REASON_BYTES;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--; // back up to a character start
  return decoder.decode(bytes.subarray(0, end));
}
