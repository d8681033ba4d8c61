import { CloseCode } from '@peerwire/wire';

// The WebSocket close codes the relay uses (RFC 6455), from @peerwire/wire's `CloseCode`.
/** A rule was broken (handshake, rate limit, bad packet); also: a peer that stopped reading. */
export const CLOSE_POLICY = CloseCode.PolicyViolation;
/** A packet, body, name or ping over its limit. */
export const CLOSE_TOO_BIG = CloseCode.MessageTooBig;
/** The relay is shutting down. */
export const CLOSE_GOING_AWAY = CloseCode.GoingAway;
/** A connection limit refused the connection. */
export const CLOSE_TRY_LATER = CloseCode.TryAgainLater;
