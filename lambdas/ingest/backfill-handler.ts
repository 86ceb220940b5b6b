// Composition root of the backfill function: the ingest function's configuration (plus
// BACKFILL_ALERTS), clients and telemetry built once per cold start; each invocation runs the app
// over one SQS event of batch messages (lambdas/core/backfill-batch.ts).
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { composeBackfillApp } from '../app/compose';
import { loadBackfillConfig } from './config';
import { createLambdaRuntime, type InvocationContext } from './lambda-runtime';
import { METRICS_SERVICE } from './metrics';

const runtime = createLambdaRuntime({
  loadConfig: loadBackfillConfig,
  telemetry: { serviceName: METRICS_SERVICE.backfill },
});
const app = composeBackfillApp(runtime.config, runtime.clients, runtime.telemetry.batchObserver);

/** Lambda entry point: processes the keys of each batch message; failed messages stay in the queue. */
export async function handler(event: SQSEvent, context?: InvocationContext): Promise<SQSBatchResponse> {
  return runtime.invoke(context, (remainingMs) =>
    app.handleSqsEvent(event, remainingMs ? { remainingMs } : {}),
  );
}
