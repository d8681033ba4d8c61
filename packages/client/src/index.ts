export type {
  ClientEvents,
  ClientLimits,
  ClientOptions,
  Handler,
  HandlerResult,
  IncomingRequest,
  SendOptions,
} from './client.js';
export { DEFAULT_CLIENT_LIMITS, SpotClient } from './client.js';
export type { DiscoveredRelays } from './discovery.js';
export { discoverRelays } from './discovery.js';
export type { ClientErrorCode } from './errors.js';
export { ClientError } from './errors.js';
export type { ClientClock, ClientLink, Dialer } from './link.js';
export { systemClock } from './link.js';
export type { ReconnectOptions } from './relay-connection.js';
export { DEFAULT_RECONNECT } from './relay-connection.js';
