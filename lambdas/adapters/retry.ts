/** How an adapter retries a call: attempts, the backoff curve and the seams tests replace. */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  /** Ceiling of the first pause in ms, doubled per retry. */
  readonly baseMs: number;
  /** Longest pause in ms. */
  readonly maxMs: number;
  /** Pause implementation; tests inject one that records instead of waiting. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1); default Math.random. */
  readonly random?: () => number;
}

/** retryWithin reached its deadline before making an attempt (so none of this call is in flight). */
export class NoTimeLeftError extends Error {
  constructor() {
    super('no time left before the deadline');
    this.name = 'NoTimeLeftError';
  }
}

/** Waits ms milliseconds. */
export function sleepMs(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The pause before retry number `retry` (1 for the first retry): exponential with "equal jitter",
 * half fixed and half random, so retries of many callers spread out yet never come back at once.
 */
export function backoffMs(retry: number, policy: Pick<RetryPolicy, 'baseMs' | 'maxMs' | 'random'>): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** (retry - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * (policy.random ?? Math.random)());
}

// TransactionInProgress: DynamoDB is still running the first send of the same transaction token.
const RETRYABLE_NAMES =
  /Throttl|TooManyRequests|RequestLimitExceeded|ProvisionedThroughputExceeded|InternalServerError|ServiceUnavailable|TransactionInProgress/i;

/**
 * Server faults, throttling and network errors are worth retrying; a rejected request (4xx) is not.
 * Reads the SDK's own error fields ($retryable, $fault, the HTTP status).
 */
export function isRetryable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as {
    $fault?: string;
    $retryable?: unknown;
    $metadata?: { httpStatusCode?: number };
    name?: string;
  };
  if (e.$retryable) return true;
  if (e.$fault === 'server') return true;
  // Throttling and transient faults by name, for errors that carry neither flag (DynamoDB's among them).
  if (e.name !== undefined && RETRYABLE_NAMES.test(e.name)) return true;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined) return status >= 500 || status === 429;
  // No HTTP status at all: the request never got an answer (reset, timeout, DNS).
  return e.$fault === undefined;
}

/**
 * Calls `attempt` until it succeeds, the error is not retryable, the attempts run out or the
 * monotonic `deadlineMs` passes; `attempt` gets the time left in ms (Infinity without a deadline).
 * Throws the last error, for the adapter to turn into its own error naming what failed.
 */
export async function retryWithin<T>(
  policy: RetryPolicy,
  attempt: (remainingMs: number) => Promise<T>,
  deadlineMs = Number.POSITIVE_INFINITY,
  retryable: (err: unknown) => boolean = isRetryable,
): Promise<T> {
  const sleep = policy.sleep ?? sleepMs;
  let lastError: unknown;
  for (let n = 1; n <= Math.max(1, policy.attempts); n++) {
    if (n > 1) await sleep(backoffMs(n - 1, policy));
    const remainingMs = deadlineMs - performance.now();
    if (remainingMs <= 0) {
      lastError ??= new NoTimeLeftError();
      break;
    }
    try {
      return await attempt(remainingMs);
    } catch (err) {
      lastError = err;
      if (!retryable(err)) break;
    }
  }
  throw lastError;
}
