// Composition root of the ingest Lambda: configuration, clients and telemetry are built once per
// cold start (no network call); each invocation only runs the app.
import type { Context } from 'aws-lambda';
import { createAwsClients } from '../adapters/aws-clients';
import { RequestDeadline } from '../adapters/timed-http-handler';
import { composeIngestApp } from '../app/compose';
import type { IngestResult } from '../app/s3-event-handler';
import { loadIngestConfig } from './config';
import { runInvocation } from './invocation';
import { createLambdaTelemetry } from './metrics';

const telemetry = createLambdaTelemetry();
const deadline = new RequestDeadline();
const app = composeIngestApp(
  loadIngestConfig(process.env),
  createAwsClients({ deadline }),
  telemetry.observer,
);

/** Lambda entry point: processes the CloudTrail log objects named by an S3 or EventBridge event. */
export async function handler(
  event: unknown,
  context?: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<IngestResult> {
  // The pipeline stops with a clear error before the timeout would kill it mid-step.
  return runInvocation(
    deadline,
    () => telemetry.flush(),
    context,
    (remainingMs) => app.handleS3Event(event, remainingMs ? { remainingMs } : {}),
  );
}
