// Composition root of the backfill function: the ingest function's configuration (plus
// BACKFILL_ALERTS), clients and telemetry built once per cold start; each invocation runs the app
// over one SQS event of batch messages (lambdas/core/backfill-batch.ts).
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createAwsClients } from '../adapters/aws-clients';
import { RequestDeadline } from '../adapters/timed-http-handler';
import { composeBackfillApp } from '../app/compose';
import { loadBackfillConfig } from './config';
import { runInvocation } from './invocation';
import { createLambdaTelemetry, METRICS_SERVICE } from './metrics';

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
  return runInvocation(
    deadline,
    () => telemetry.flush(),
    context,
    (remainingMs) => app.handleSqsEvent(event, remainingMs ? { remainingMs } : {}),
  );
}
