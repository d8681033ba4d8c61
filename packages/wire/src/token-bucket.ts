/**
 * A token bucket: `rate` tokens per second, at most `burst` saved up. `take(n, now)` spends `n`
 * tokens if it can; time is passed in (ms), so the bucket reads no clock of its own. Shared by
 * the protocol cores' rate limits (Spot relay, ptpchat).
 */
export class TokenBucket {
  #tokens: number;
  #last: number;

  constructor(
    readonly rate: number,
    readonly burst: number,
    now: number,
  ) {
    this.#tokens = burst;
    this.#last = now;
  }

  take(n: number, now: number): boolean {
    if (now > this.#last) {
      this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) * this.rate) / 1000);
      this.#last = now;
    }
    if (this.#tokens < n) return false;
    this.#tokens -= n;
    return true;
  }
}
