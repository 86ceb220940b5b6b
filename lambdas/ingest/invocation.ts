// The part every Lambda entry point shares around its app: the invocation's request deadline and the
// telemetry flush, whatever the outcome.
import type { Context } from 'aws-lambda';
import type { RequestDeadline } from '../adapters/timed-http-handler';

// Time kept after the last AWS request of an invocation to log the outcome and flush metrics.
const REPORT_MARGIN_MS = 2_000;

/**
 * Runs one invocation: no request may outlive it (each is cut to the remaining time less a margin, so
 * a hung call fails its work, logged, instead of the timeout killing it silently), `run` gets the
 * remaining-time reader for the pipeline's own checks, and the metrics are flushed at the end.
 */
export async function runInvocation<T>(
  deadline: RequestDeadline,
  flush: () => void,
  context: Pick<Context, 'getRemainingTimeInMillis'> | undefined,
  run: (remainingMs: (() => number) | undefined) => Promise<T>,
): Promise<T> {
  if (context) deadline.set(Date.now() + context.getRemainingTimeInMillis() - REPORT_MARGIN_MS);
  try {
    return await run(context ? () => context.getRemainingTimeInMillis() : undefined);
  } finally {
    deadline.clear();
    flush();
  }
}
