import { TransportError } from './errors.js';

/** WebSocket close codes (RFC 6455 §7.4.1) used across every kind of link. */
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
} as const;

/** The longest close reason a WebSocket close frame can carry, in UTF-8 bytes. */
export const MAX_CLOSE_REASON_BYTES = 123;

/** Whether a WebSocket endpoint may send `code` in a close frame. */
export function isSendableCloseCode(code: number): boolean {
  if (!Number.isInteger(code)) return false;
  if (code >= 3000 && code <= 4999) return true;
  return code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006;
}

/** Throws `BAD_CLOSE_CODE` unless `code` may be sent. */
export function checkCloseCode(code: number): void {
  if (!isSendableCloseCode(code)) {
    throw new TransportError(
      'BAD_CLOSE_CODE',
      `close code ${code} cannot be sent: use 1000–1003, 1007–1014 or 3000–4999`,
    );
  }
}

const encoder = new TextEncoder();

/** `reason` cut to at most `MAX_CLOSE_REASON_BYTES` UTF-8 bytes, never inside a character. */
export function truncateReason(reason: string): string {
  if (reason.length <= MAX_CLOSE_REASON_BYTES / 3) return reason; // 41 UTF-16 units < 124 bytes
  const bytes = encoder.encode(reason);
  if (bytes.length <= MAX_CLOSE_REASON_BYTES) return reason;
  let end = MAX_CLOSE_REASON_BYTES;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--; // back up to a character start
  return new TextDecoder().decode(bytes.subarray(0, end));
}
