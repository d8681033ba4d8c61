// Running the lab's helper programs (`ip`, `nft`, anything inside a namespace).
import { execFileSync, spawn } from 'node:child_process';
import { NetlabError } from './errors.js';

/** How long one command may run before it is killed, unless the caller says otherwise. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 15_000;

/** The most output kept from one command (each of stdout and stderr); the rest is dropped. */
export const MAX_COMMAND_OUTPUT_BYTES = 4 * 1024 * 1024;

export interface CommandOptions {
  /** Bytes written to the command's stdin (then stdin is closed). */
  readonly input?: string;
  /** Kill the command (SIGKILL) and reject after this long. Default {@link DEFAULT_COMMAND_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
  /** Resolve with a non-zero exit status instead of rejecting. Default false. */
  readonly allowFailure?: boolean;
  /** Extra environment variables, on top of this process's environment. */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
}

export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
  /** The exit status, or null when a signal ended the command. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

function describe(file: string, args: readonly string[]): string {
  return [file, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

/** Runs `file args`, collects its output, rejects with `NETLAB_COMMAND_FAILED` on a non-zero exit. */
export function run(
  file: string,
  args: readonly string[],
  options: CommandOptions = {},
): Promise<CommandResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: options.env ? { ...process.env, ...options.env } : process.env,
      cwd: options.cwd,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      if (outBytes < MAX_COMMAND_OUTPUT_BYTES) out.push(chunk);
      outBytes += chunk.length;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (errBytes < MAX_COMMAND_OUTPUT_BYTES) err.push(chunk);
      errBytes += chunk.length;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        new NetlabError(
          error.code === 'ENOENT' ? 'NETLAB_MISSING_TOOL' : 'NETLAB_COMMAND_FAILED',
          `cannot run ${describe(file, args)}: ${error.message}`,
          { cause: error },
        ),
      );
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result: CommandResult = {
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        code,
        signal,
      };
      if (timedOut) {
        reject(
          new NetlabError(
            'NETLAB_TIMEOUT',
            `${describe(file, args)} did not finish within ${timeoutMs} ms${tail(result.stderr)}`,
          ),
        );
      } else if (code !== 0 && !options.allowFailure) {
        reject(
          new NetlabError(
            'NETLAB_COMMAND_FAILED',
            `${describe(file, args)} exited with ${code ?? signal}${tail(result.stderr || result.stdout)}`,
          ),
        );
      } else {
        resolve(result);
      }
    });
    child.stdin.on('error', () => {
      // The command may exit without reading its input; its exit status tells what happened.
    });
    child.stdin.end(options.input ?? '');
  });
}

/** The synchronous form, for clean-up at process exit (where nothing asynchronous runs). */
export function runSync(file: string, args: readonly string[]): boolean {
  try {
    execFileSync(file, args, { stdio: 'ignore', timeout: DEFAULT_COMMAND_TIMEOUT_MS });
    return true;
  } catch {
    return false;
  }
}

function tail(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') return '';
  return `: ${trimmed.length > 2000 ? `...${trimmed.slice(-2000)}` : trimmed}`;
}

export { describe as describeCommand };
