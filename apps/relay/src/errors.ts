// The daemon's error classes: both extend `PeerwireError`, so callers branch on `code`.
import { PeerwireError } from '@peerwire/wire';

/** Why the configuration was refused. */
export type ConfigErrorCode =
  /** A flag, variable or file value that does not parse or is out of range. */
  | 'BAD_CONFIG'
  /** A `--bob-limit name=value` flag that is not `name=integer` with a known name. */
  | 'BAD_BOB_LIMIT'
  /** A `--ptpchat-limit name=value` flag that is not `name=integer` with a known name. */
  | 'BAD_PTPCHAT_LIMIT';

/** Bad configuration (flags, environment, config file); `main` prints it and exits with 2. */
export class ConfigError extends PeerwireError {
  declare readonly code: ConfigErrorCode;

  constructor(
    message: string,
    code: ConfigErrorCode = 'BAD_CONFIG',
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** Why the bob relay did not start. */
export type BobStartErrorCode = 'BOB_LISTEN_FAILED';

/** The bob relay could not listen; the message names the port and the flag to change it. */
export class BobStartError extends PeerwireError {
  declare readonly code: BobStartErrorCode;

  constructor(message: string, options?: { cause?: unknown }) {
    super('BOB_LISTEN_FAILED', message, options);
  }
}

/** Why the ptpchat node did not start. */
export type PtpchatStartErrorCode =
  /** A port is taken or not allowed; the message names the flag to change it. */
  | 'PTPCHAT_LISTEN_FAILED'
  /** A file under `<dataDir>/ptpchat` is not what it should be. */
  | 'PTPCHAT_IDENTITY';

/** The ptpchat node could not start (its ports, or its identity files). */
export class PtpchatStartError extends PeerwireError {
  declare readonly code: PtpchatStartErrorCode;

  constructor(code: PtpchatStartErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** Why the Datt node of the relay did not start. */
export type DattStartErrorCode =
  /** `<dataDir>/datt/node.key` is not a node key (64 hex digits of a secp256k1 secret key). */
  'DATT_KEY_INVALID';

/** The relay's Datt node could not start; the message names the file and what to do. */
export class DattStartError extends PeerwireError {
  declare readonly code: DattStartErrorCode;

  constructor(code: DattStartErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** Why `--repair-store` could not repair. */
export type RepairErrorCode =
  /** There is no store in the data directory to repair. */
  'NO_STORE';

/** `--repair-store` found nothing it can repair (`main` prints it and exits with 1). */
export class RepairError extends PeerwireError {
  declare readonly code: RepairErrorCode;

  constructor(code: RepairErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
