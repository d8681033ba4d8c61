// A process running inside a lab namespace: its output as lines and JSON events, and its end.
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { NetlabError } from './errors.js';

/** How long `waitForLine` / `waitForJson` wait unless told otherwise. */
export const DEFAULT_WAIT_MS = 10_000;
/** The most stdout (and, separately, stderr) lines a process keeps; older ones are dropped. */
export const MAX_KEPT_LINES = 10_000;
/** How long `kill()` waits for the process to exit after the signal before it sends SIGKILL. */
export const KILL_GRACE_MS = 3_000;

export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export type LineMatcher = string | RegExp | ((line: string) => boolean);

export interface WaitOptions {
  /** Default {@link DEFAULT_WAIT_MS}. */
  readonly timeoutMs?: number;
  /**
   * Only lines at or after this index of {@link LabProcess.lines} count. Default 0: lines already
   * printed count too, so a wait started late still sees them. Pass `proc.lines.length` (or
   * {@link LabProcess.mark}) taken before an action to wait for output caused by it.
   */
  readonly from?: number;
}

interface Waiter {
  readonly test: (line: string) => boolean;
  readonly resolve: (line: string) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

function toPredicate(match: LineMatcher): (line: string) => boolean {
  if (typeof match === 'string') return (line) => line.includes(match);
  if (match instanceof RegExp) return (line) => match.test(line);
  return match;
}

function parseJson(line: string): unknown {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return undefined;
  try {
    return JSON.parse(trimmed) as unknown;
  } catch {
    return undefined;
  }
}

export class LabProcess {
  /** The node (namespace) the process runs in. */
  readonly node: string;
  readonly pid: number;
  /** What was run, for messages. */
  readonly command: string;
  /** Stdout lines so far (the last {@link MAX_KEPT_LINES}). */
  readonly lines: string[] = [];
  /** Stderr lines so far (the last {@link MAX_KEPT_LINES}). */
  readonly stderrLines: string[] = [];
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<ProcessExit>;
  #dropped = 0;
  #exit: ProcessExit | undefined;
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #waiters = new Set<Waiter & { from: number }>();

  constructor(node: string, command: string, child: ChildProcessWithoutNullStreams) {
    this.node = node;
    this.command = command;
    this.#child = child;
    this.pid = child.pid ?? -1;
    createInterface({ input: child.stdout, crlfDelay: Number.POSITIVE_INFINITY }).on(
      'line',
      (line) => this.#onLine(line),
    );
    createInterface({ input: child.stderr, crlfDelay: Number.POSITIVE_INFINITY }).on(
      'line',
      (line) => {
        this.stderrLines.push(line);
        if (this.stderrLines.length > MAX_KEPT_LINES) this.stderrLines.shift();
      },
    );
    child.stdin.on('error', () => {
      // Writing to a process that has exited; its exit tells the story.
    });
    this.exited = new Promise((resolve) => {
      const finish = (exit: ProcessExit): void => {
        if (this.#exit !== undefined) return;
        this.#exit = exit;
        // Let the last buffered lines reach the waiters before they are told the process is gone.
        setImmediate(() => {
          for (const waiter of this.#waiters) {
            clearTimeout(waiter.timer);
            waiter.reject(
              new NetlabError(
                'NETLAB_PROCESS_EXITED',
                `${this.#describe()} exited (${exit.code ?? exit.signal}) before printing the awaited line${this.#tail()}`,
              ),
            );
          }
          this.#waiters.clear();
          resolve(exit);
        });
      };
      child.on('close', (code, signal) => finish({ code, signal }));
      child.on('error', () => finish({ code: null, signal: null }));
    });
  }

  /** The exit status once the process has exited, else undefined. */
  get exit(): ProcessExit | undefined {
    return this.#exit;
  }

  /** The index the next stdout line will have; pass it as `from` to wait only for later lines. */
  mark(): number {
    return this.#dropped + this.lines.length;
  }

  /** Stdout lines that parse as JSON objects or arrays, parsed, in order. */
  get events(): unknown[] {
    return this.lines.map(parseJson).filter((v) => v !== undefined);
  }

  /** Writes to the process's stdin (a line is not added: include '\n' yourself). */
  write(data: string): void {
    this.#child.stdin.write(data);
  }

  /** Writes `value` as one JSON line to stdin. */
  send(value: unknown): void {
    this.write(`${JSON.stringify(value)}\n`);
  }

  /** Resolves with the first stdout line (at or after `from`) that matches. */
  waitForLine(match: LineMatcher, options: WaitOptions = {}): Promise<string> {
    const test = toPredicate(match);
    const from = options.from ?? 0;
    const existing = this.lines.find((line, i) => i + this.#dropped >= from && test(line));
    if (existing !== undefined) return Promise.resolve(existing);
    if (this.#exit !== undefined) {
      return Promise.reject(
        new NetlabError(
          'NETLAB_PROCESS_EXITED',
          `${this.#describe()} has exited (${this.#exit.code ?? this.#exit.signal})${this.#tail()}`,
        ),
      );
    }
    const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_MS;
    return new Promise((resolve, reject) => {
      const waiter = {
        test,
        from,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#waiters.delete(waiter);
          reject(
            new NetlabError(
              'NETLAB_TIMEOUT',
              `${this.#describe()} printed no matching line within ${timeoutMs} ms${this.#tail()}`,
            ),
          );
        }, timeoutMs),
      };
      this.#waiters.add(waiter);
    });
  }

  /** Resolves with the first JSON stdout line (at or after `from`) that `match` accepts. */
  async waitForJson<T = Record<string, unknown>>(
    match: (value: T) => boolean,
    options: WaitOptions = {},
  ): Promise<T> {
    const line = await this.waitForLine((l) => {
      const value = parseJson(l);
      return value !== undefined && match(value as T);
    }, options);
    return parseJson(line) as T;
  }

  /**
   * Sends `command` as a JSON line and resolves with the first later JSON event whose `ev` is
   * `ev`; an `{ "ev": "error" }` event rejects with the command and the event. The protocol of
   * the JSON-driven fixture agents (`test/fixtures/agent.mjs`, the protocol packages' lab peers).
   */
  async request<T extends { ev: string }>(
    command: object,
    ev: string,
    options: { timeoutMs?: number } = {},
  ): Promise<T> {
    const from = this.mark();
    this.send(command);
    const got = await this.waitForJson<{ ev: string }>((e) => e.ev === ev || e.ev === 'error', {
      from,
      ...options,
    });
    if (got.ev === 'error') throw new Error(`${JSON.stringify(command)}: ${JSON.stringify(got)}`);
    return got as T;
  }

  /**
   * Sends `signal` (default SIGTERM) and resolves when the process has exited; if it is still
   * running after {@link KILL_GRACE_MS}, sends SIGKILL.
   */
  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<ProcessExit> {
    if (this.#exit !== undefined) return this.#exit;
    this.#child.kill(signal);
    if (signal === 'SIGKILL') return this.exited;
    const grace = setTimeout(() => this.#child.kill('SIGKILL'), KILL_GRACE_MS);
    const exit = await this.exited;
    clearTimeout(grace);
    return exit;
  }

  #onLine(line: string): void {
    this.lines.push(line);
    if (this.lines.length > MAX_KEPT_LINES) {
      this.lines.shift();
      this.#dropped += 1;
    }
    const index = this.#dropped + this.lines.length - 1;
    for (const waiter of this.#waiters) {
      if (index >= waiter.from && waiter.test(line)) {
        clearTimeout(waiter.timer);
        this.#waiters.delete(waiter);
        waiter.resolve(line);
      }
    }
  }

  #describe(): string {
    return `${this.command} (pid ${this.pid}, in ${this.node})`;
  }

  #tail(): string {
    const out = this.lines.slice(-5).join('\n');
    const err = this.stderrLines.slice(-10).join('\n');
    return `${out ? `\n--- last stdout ---\n${out}` : ''}${err ? `\n--- last stderr ---\n${err}` : ''}`;
  }
}
