export type { BaseServerLimits } from '../limits.js';
export { DEFAULT_BASE_SERVER_LIMITS, MAX_TCP_PAYLOAD } from '../limits.js';
export type { BaseServerOptions } from './base-server.js';
export { BaseServer } from './base-server.js';
export type {
  BaseServerAction,
  BaseServerEvent,
  BaseServerStats,
  ConnectionId,
  DropReason,
} from './types.js';
