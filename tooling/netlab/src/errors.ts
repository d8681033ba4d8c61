import { PeerwireError } from '@peerwire/wire';

/** Why the lab refused or failed. Tests branch on these codes. */
export type NetlabErrorCode =
  /** The process is not root (uid 0); network namespaces cannot be created. */
  | 'NETLAB_NOT_ROOT'
  /** A program the lab needs (`ip`, `nft`) is not installed or not on PATH. */
  | 'NETLAB_MISSING_TOOL'
  /** The lab description is invalid (bad or duplicate name, too many nodes, ...). */
  | 'NETLAB_BAD_SPEC'
  /** A name that is not a node of this lab (or not of the kind the call needs). */
  | 'NETLAB_UNKNOWN_NODE'
  /** A command (`ip`, `nft`, or one run with `exec`) exited non-zero or could not start. */
  | 'NETLAB_COMMAND_FAILED'
  /** A wait (for a line, an exit, a command) ran past its timeout. */
  | 'NETLAB_TIMEOUT'
  /** A lab process exited while a caller was still waiting for its output. */
  | 'NETLAB_PROCESS_EXITED'
  /** The lab was closed; it cannot be used any more. */
  | 'NETLAB_CLOSED'
  /** The address plan is exhausted (no free address left in a range). */
  | 'NETLAB_NO_ADDRESS';

export class NetlabError extends PeerwireError {
  declare readonly code: NetlabErrorCode;

  constructor(code: NetlabErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
