// Reconnect delays: exponential backoff with full jitter above a floor. Attempt n waits a uniformly random time in
// [baseMs, min(maxMs, baseMs * 2^(n+1))], so even the first retry is spread (clients that lost the same server do
// not return at the same instant) and no delay is below baseMs or above maxMs. random() is injected.

export class Backoff {
  readonly baseMs: number;
  readonly maxMs: number;
  #random: () => number;
  #attempt = 0;

  constructor(options: { baseMs: number; maxMs: number; random: () => number }) {
    this.baseMs = Math.max(0, options.baseMs);
    this.maxMs = Math.max(this.baseMs, options.maxMs);
    this.#random = options.random;
  }

  /** Attempts taken since the last reset. */
  get attempt(): number {
    return this.#attempt;
  }

  /** The upper bound of the delay for attempt n (0-based). */
  capMs(attempt: number): number {
    const exponent = Math.min(attempt + 1, 40);
    return Math.min(this.maxMs, this.baseMs * 2 ** exponent);
  }

  /** The next delay; each call is one more attempt. */
  next(): number {
    const cap = this.capMs(this.#attempt++);
    let r = this.#random();
    if (!(r >= 0)) r = 0;
    if (r >= 1) r = 0.999999;
    return this.baseMs + Math.floor(r * (cap - this.baseMs + 1));
  }

  reset(): void {
    this.#attempt = 0;
  }
}
