/** What a transfer reports while it runs (for a progress bar with speed and ETA). */
export interface Progress {
  /** `handshake`: looking for the partner; `transfer`: moving bytes; `done`: finished. */
  readonly phase: 'handshake' | 'transfer' | 'done';
  /** Payload bytes done (file contents; for a received folder, PACK bytes). */
  readonly bytes: number;
  /** Payload bytes in total, when known. */
  readonly total: number | undefined;
  /** Milliseconds since the transfer phase started. */
  readonly elapsedMs: number;
  /** Average speed over the transfer phase. */
  readonly bytesPerSecond: number;
  /** Estimated milliseconds left, when the total is known. */
  readonly etaMs: number | undefined;
}

/** Rate-limits progress callbacks (every `intervalMs`, plus phase changes and the end). */
export class ProgressReporter {
  readonly #callback: ((p: Progress) => void) | undefined;
  readonly #intervalMs: number;
  #phase: Progress['phase'] = 'handshake';
  #start = performance.now();
  #last = 0;
  bytes = 0;
  total: number | undefined;

  constructor(callback: ((p: Progress) => void) | undefined, intervalMs = 100) {
    this.#callback = callback;
    this.#intervalMs = intervalMs;
  }

  phase(phase: Progress['phase']): void {
    if (phase === 'transfer' && this.#phase !== 'transfer') this.#start = performance.now();
    this.#phase = phase;
    this.#emit();
  }

  add(n: number): void {
    this.bytes += n;
    const now = performance.now();
    if (now - this.#last >= this.#intervalMs) this.#emit(now);
  }

  #emit(now = performance.now()): void {
    this.#last = now;
    if (!this.#callback) return;
    const elapsedMs = this.#phase === 'handshake' ? 0 : now - this.#start;
    const bytesPerSecond = elapsedMs > 0 ? (this.bytes * 1000) / elapsedMs : 0;
    const etaMs =
      this.total !== undefined && bytesPerSecond > 0
        ? ((this.total - this.bytes) * 1000) / bytesPerSecond
        : undefined;
    this.#callback({
      phase: this.#phase,
      bytes: this.bytes,
      total: this.total,
      elapsedMs,
      bytesPerSecond,
      etaMs,
    });
  }
}
