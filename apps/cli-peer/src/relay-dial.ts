/**
 * How the CLI waits for its Spot relay: it watches every dial attempt so that a refused
 * connection fails fast instead of waiting out the whole timeout, and says on stderr what it is
 * doing while it retries. Nothing listening (ECONNREFUSED) is retried `REFUSED_ATTEMPTS` times
 * (a relay that is restarting comes back within a second or so), an HTTP refusal of the upgrade
 * (the relay's 503 "too many connections from …", "relay is shutting down") fails at once with
 * the relay's reason; other failures (timeouts, resets) are retried until `--timeout`.
 */
import { TransportError } from '@peerwire/transport';

/** Dial attempts refused with ECONNREFUSED before the CLI gives up (default 3: ~1.5 s). */
export const REFUSED_ATTEMPTS = 3;

export interface DialWatch {
  /** Wraps a dialer: every failure is classified before it goes on to the client's retry. */
  wrap<T>(dial: (url: string) => Promise<T>): (url: string) => Promise<T>;
  /** Settles (rejects) when an attempt failed in a way retrying will not fix. */
  readonly fatal: Promise<never>;
}

/** The errno under a transport error (`ECONNREFUSED`, `ENOTFOUND`, …), if any. */
function errnoOf(error: unknown): string | undefined {
  let e: unknown = error;
  for (let i = 0; i < 4 && e; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Why a dial failed, as the end of a sentence ("cannot reach the relay at X: …"). */
export function dialReason(error: unknown): string {
  if (error instanceof TransportError && error.httpStatus !== undefined) {
    return `it refused the connection (HTTP ${error.httpStatus}${error.httpBody ? `: ${error.httpBody}` : ''})`;
  }
  switch (errnoOf(error)) {
    case 'ECONNREFUSED':
      return 'connection refused (nothing listens there: is the relay running? check --relay)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'the host name does not resolve (check --relay)';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'the host is unreachable';
    case 'ECONNRESET':
      return 'the connection was reset';
    default:
      if (error instanceof TransportError && error.code === 'TIMEOUT')
        return 'the connection timed out';
      return error instanceof Error ? error.message : String(error);
  }
}

/** An error that ends the wait: its `reason` completes "cannot reach the relay at X: …". */
export class DialGiveUp extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** `say` prints progress lines (stderr). */
export function watchDials(
  say: (line: string) => void,
  refusedAttempts = REFUSED_ATTEMPTS,
): DialWatch {
  let refused = 0;
  let giveUp!: (error: DialGiveUp) => void;
  const fatal = new Promise<never>((_, reject) => {
    giveUp = reject;
  });
  fatal.catch(() => {});
  return {
    fatal,
    wrap: (dial) => async (url) => {
      try {
        return await dial(url);
      } catch (error) {
        const reason = dialReason(error);
        if (error instanceof TransportError && error.httpStatus !== undefined) {
          giveUp(new DialGiveUp(reason));
        } else if (errnoOf(error) === 'ECONNREFUSED' && ++refused >= refusedAttempts) {
          giveUp(new DialGiveUp(reason));
        } else {
          const attempt =
            errnoOf(error) === 'ECONNREFUSED' ? ` (${refused} of ${refusedAttempts})` : '';
          say(`relay ${url}: ${reason.replace(/ \(.*\)$/, '')}; trying again${attempt}…`);
        }
        throw error;
      }
    },
  };
}
