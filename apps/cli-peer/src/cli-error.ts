/**
 * A failure the user can fix; the message says how. A module of its own so that commands that
 * need no Spot client (send, recv) can throw it without loading `context.ts`'s imports.
 */
import { EXIT } from './exit-codes.js';

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
  ) {
    super(message);
  }
}
