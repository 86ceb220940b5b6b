// Composition root of the backfill function: the ingest function's configuration (plus
// BACKFILL_ALERTS), clients and telemetry built once per cold start; each invocation runs the app
// over one SQS event of batch messages (lambdas/core/backfill-batch.ts).
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createAwsClients } from '../adapters/aws-clients';
import { RequestDeadline } from '../adapters/timed-http-handler';
import { composeBackfillApp } from '../app/compose';
import { loadBackfillConfig } from './config';
import { createLambdaTelemetry, METRICS_SERVICE } from './metrics';

// Time kept after the last AWS request of an invocation to log the outcome and flush metrics.
const REPORT_MARGIN_MS = 2_000;

const telemetry = createLambdaTelemetry({ serviceName: METRICS_SERVICE.backfill });
const deadline = new RequestDeadline();
const app = composeBackfillApp(
  loadBackfillConfig(process.env),
  createAwsClients({ deadline }),
  telemetry.batchObserver,
);

/** Lambda entry point: processes the keys of each batch message; failed messages stay in the queue. */
export async function handler(
  event: SQSEvent,
  context?: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<SQSBatchResponse> {
  // No request may outlive the invocation: a hung call fails its key (its message is retried).
  if (context) deadline.set(Date.now() + context.getRemainingTimeInMillis() - REPORT_MARGIN_MS);
  try {
    const remainingMs = context ? () => context.getRemainingTimeInMillis() : undefined;
    return await app.handleSqsEvent(event, remainingMs ? { remainingMs } : {});
  } finally {
    deadline.clear();
    telemetry.flush();
  }
}
