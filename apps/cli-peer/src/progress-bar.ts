/**
 * Transfer progress for `peerwire send` and `peerwire recv`: a redrawn bar (bytes, speed, ETA)
 * when stderr is a terminal, a plain line every few seconds when it is not, or JSON events on
 * stdout with `--json`.
 */
import type { Progress } from '@peerwire/bob/node';

export type ProgressMode = 'tty' | 'lines' | 'json' | 'none';

/** Redraws of the bar per second at most. */
export const BAR_REDRAWS_PER_SECOND = 10;
/** Seconds between two plain progress lines (non-terminal stderr). */
export const LINE_INTERVAL_MS = 2000;
/** Milliseconds between two JSON progress events. */
export const JSON_INTERVAL_MS = 500;
/** Width of the bar itself, in characters. */
const BAR_WIDTH = 24;

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** `1536` → `1.5 KiB`. */
export function formatBytes(n: number): string {
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0
    ? `${Math.round(value)} B`
    : `${value.toFixed(value < 10 ? 2 : 1)} ${UNITS[unit]}`;
}

/** `65_000` → `1:05`; `3_725_000` → `1:02:05`. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** One line describing `p`: `[#####-----]  45% 450 MiB / 1.00 GiB  98.2 MiB/s  ETA 0:06`. */
export function describeProgress(p: Progress, bar: boolean): string {
  const speed = `${formatBytes(p.bytesPerSecond)}/s`;
  if (p.total === undefined || p.total === 0) {
    return `${formatBytes(p.bytes)}  ${speed}`;
  }
  const fraction = Math.min(1, p.bytes / p.total);
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  const eta = p.etaMs === undefined ? '' : `  ETA ${formatDuration(p.etaMs)}`;
  const amount = `${formatBytes(p.bytes)} / ${formatBytes(p.total)}`;
  if (!bar) return `${percent.trim()} ${amount}  ${speed}${eta}`;
  const filled = Math.round(fraction * BAR_WIDTH);
  return `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${percent} ${amount}  ${speed}${eta}`;
}

export interface ProgressSink {
  /** stderr (bar and lines). */
  readonly err: { write(text: string): unknown };
  /** stdout (JSON events). */
  readonly out: { write(text: string): unknown };
  readonly now?: () => number;
}

/** Renders `Progress` updates in the chosen mode, rate-limited. */
export class ProgressDisplay {
  readonly #mode: ProgressMode;
  readonly #verb: string;
  readonly #sink: ProgressSink;
  readonly #now: () => number;
  #last = Number.NEGATIVE_INFINITY;
  #drawn = false;
  #lastLine = '';

  constructor(mode: ProgressMode, verb: 'sent' | 'received', sink: ProgressSink) {
    this.#mode = mode;
    this.#verb = verb;
    this.#sink = sink;
    this.#now = sink.now ?? (() => performance.now());
  }

  update(p: Progress): void {
    if (this.#mode === 'none' || p.phase === 'handshake') return;
    if (p.phase === 'transfer' && p.bytes === 0) return; // nothing to show yet
    const now = this.#now();
    const final = p.phase === 'done';
    const interval =
      this.#mode === 'tty'
        ? 1000 / BAR_REDRAWS_PER_SECOND
        : this.#mode === 'json'
          ? JSON_INTERVAL_MS
          : LINE_INTERVAL_MS;
    if (!final && now - this.#last < interval) return;
    this.#last = now;
    switch (this.#mode) {
      case 'tty': {
        const line = describeProgress(p, true);
        // \r + clear to end of line: the bar is redrawn in place.
        this.#sink.err.write(`\r${line}\x1b[K`);
        this.#drawn = true;
        if (final) this.#end();
        break;
      }
      case 'lines': {
        const line = `${this.#verb} ${describeProgress(p, false)}`;
        if (line !== this.#lastLine) this.#sink.err.write(`${line}\n`);
        this.#lastLine = line;
        break;
      }
      case 'json':
        this.#sink.out.write(
          `${JSON.stringify({
            event: 'progress',
            phase: p.phase,
            bytes: p.bytes,
            total: p.total ?? null,
            bytesPerSecond: Math.round(p.bytesPerSecond),
            etaMs: p.etaMs === undefined ? null : Math.round(p.etaMs),
          })}\n`,
        );
        break;
    }
  }

  /** Ends the bar's line (call before printing anything else on stderr). */
  #end(): void {
    if (this.#drawn) this.#sink.err.write('\n');
    this.#drawn = false;
  }

  /** Call once the transfer ended, whichever way. */
  close(): void {
    this.#end();
  }
}
