import { type Clock, wallClock } from '@peerwire/wire';

/**
 * The connection shape the client needs. `@peerwire/transport` Links satisfy it (Node:
 * `connectWebSocket`; browsers: `connectBrowserWebSocket`), as does any test double.
 */
export interface ClientLink {
  send(data: Uint8Array): unknown;
  close(code?: number, reason?: string): void;
  readonly bufferedAmount: number;
  on(event: 'message', handler: (data: Uint8Array) => void): () => void;
  on(event: 'close', handler: (info: { code: number; reason: string }) => void): () => void;
}

/** Opens a WebSocket to `url` (`ws://…/_websocket` or `wss://…/_websocket`). */
export type Dialer = (url: string) => Promise<ClientLink>;

/** Injected time (a `Clock` from `@peerwire/wire`) and timers (defaults: the platform's). */
export interface ClientClock extends Clock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The platform's clock (wire's `wallClock`) and timers: the default at the I/O edge. */
export const systemClock: ClientClock = {
  now: () => wallClock.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};
