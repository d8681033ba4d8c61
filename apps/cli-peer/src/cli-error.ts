/**
 * A failure the user can fix; the message says how. A module of its own so that commands that
 * need no Spot client (send, recv) can throw it without loading `context.ts`'s imports.
 */
import { PeerwireError } from '@peerwire/wire';
import { EXIT } from './exit-codes.js';

/** Why a command failed: one code per exit code (the README's table). */
export type CliErrorCode =
  | 'FAILED'
  | 'USAGE'
  | 'OFFLINE'
  | 'TIMEOUT'
  | 'REMOTE'
  | 'WRONG_PASSWORD'
  | 'REJECTED'
  | 'PAYMENT_REQUIRED';

const CODE_OF_EXIT: Readonly<Record<number, CliErrorCode>> = {
  [EXIT.failure]: 'FAILED',
  [EXIT.usage]: 'USAGE',
  [EXIT.offline]: 'OFFLINE',
  [EXIT.timeout]: 'TIMEOUT',
  [EXIT.remote]: 'REMOTE',
  [EXIT.wrongPassword]: 'WRONG_PASSWORD',
  [EXIT.rejected]: 'REJECTED',
  [EXIT.paymentRequired]: 'PAYMENT_REQUIRED',
};

export class CliError extends PeerwireError {
  declare readonly code: CliErrorCode;

  constructor(
    message: string,
    /** The process exit code; `code` follows from it (another exit code gives `FAILED`). */
    readonly exitCode: number = EXIT.failure,
    options?: { cause?: unknown },
  ) {
    super(CODE_OF_EXIT[exitCode] ?? 'FAILED', message, options);
  }
}
