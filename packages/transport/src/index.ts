export type {
  BrowserWebSocketConstructor,
  BrowserWebSocketLike,
  BrowserWebSocketOptions,
} from './browser-websocket.js';
export { connectBrowserWebSocket, DEFAULT_DRAIN_POLL_MS } from './browser-websocket.js';
export {
  CloseCode,
  checkCloseCode,
  isSendableCloseCode,
  MAX_CLOSE_REASON_BYTES,
  truncateReason,
} from './close-codes.js';
export type { TransportErrorCode } from './errors.js';
export { TransportError } from './errors.js';
export type {
  Link,
  LinkCloseInfo,
  LinkEvents,
  LinkKind,
  LinkOptions,
  RemoteInfo,
} from './link.js';
export {
  DEFAULT_CLOSE_TIMEOUT_MS,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_HIGH_WATER_MARK,
  DEFAULT_LOW_WATER_MARK,
  DEFAULT_MAX_BUFFERED_AMOUNT,
  DEFAULT_MAX_HELD_MESSAGES,
  DEFAULT_MAX_PAYLOAD,
} from './link.js';
