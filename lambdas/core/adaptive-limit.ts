/** Options of {@link AdaptiveLimit}. */
export interface AdaptiveLimitOptions {
  /** Requests allowed in flight at the start. */
  readonly initial: number;
  /** Most requests in flight however well writes go. */
  readonly max: number;
}

/**
 * A concurrency limit that backs off on throttling (halves, down to one request in flight) and
 * grows back by one per successful request (AIMD, as TCP does): a writer slows down to what the
 * table's partitions absorb instead of hammering them and failing.
 */
export class AdaptiveLimit {
  private current: number;
  private readonly max: number;
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(options: AdaptiveLimitOptions) {
    this.max = Math.max(1, Math.floor(options.max));
    this.current = Math.min(this.max, Math.max(1, Math.floor(options.initial)));
  }

  /** Requests currently allowed in flight. */
  get limit(): number {
    return this.current;
  }

  /** Waits for a free slot under the current limit. */
  async acquire(): Promise<void> {
    if (this.inFlight < this.current) {
      this.inFlight++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  /** Frees a slot taken by acquire. */
  release(): void {
    this.inFlight--;
    this.wake();
  }

  /** A request was throttled: halve the limit (at least one). */
  throttled(): void {
    this.current = Math.max(1, Math.floor(this.current / 2));
  }

  /** A request went through: allow one more in flight, up to the maximum. */
  succeeded(): void {
    if (this.current < this.max) this.current++;
    this.wake();
  }

  // Hands free slots to waiters in arrival order.
  private wake(): void {
    while (this.inFlight < this.current) {
      const next = this.waiting.shift();
      if (!next) return;
      this.inFlight++;
      next();
    }
  }
}

/**
 * The wait before retry number `retry` (1 for the first retry): full jitter under a ceiling that
 * doubles from `baseMs` up to `maxMs`, cut so the retry still happens before `deadlineMs`. Returns
 * undefined when the deadline has passed: the time budget is spent.
 */
export function retryDelay(options: {
  readonly retry: number;
  readonly baseMs: number;
  readonly maxMs: number;
  readonly random: number;
  readonly nowMs: number;
  readonly deadlineMs: number;
}): number | undefined {
  const left = options.deadlineMs - options.nowMs;
  if (left <= 0) return undefined;
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** (options.retry - 1));
  return Math.min(left, Math.floor(options.random * ceiling));
}
