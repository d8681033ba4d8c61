// WebSocket close codes used by the relay (RFC 6455).
export const CLOSE_POLICY = 1008;
export const CLOSE_TOO_BIG = 1009;
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_TRY_LATER = 1013;
