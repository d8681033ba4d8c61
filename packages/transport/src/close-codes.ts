import { TransportError } from './errors.js';

// The close codes and the reason truncation live in @peerwire/wire (the cores that close links
// use them too); re-exported here so that transport users keep their imports.
export { CloseCode, MAX_CLOSE_REASON_BYTES, truncateReason } from '@peerwire/wire';

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
