// Composition root of the ingest Lambda: configuration, clients and telemetry are built once per
// cold start (no network call); each invocation only runs the app.
import { composeIngestApp } from '../app/compose';
import type { IngestResult } from '../app/s3-event-handler';
import { createLambdaRuntime, type InvocationContext } from './lambda-runtime';

const runtime = createLambdaRuntime();
const app = composeIngestApp(runtime.config, runtime.clients, runtime.telemetry.observer);

/** Lambda entry point: processes the CloudTrail log objects named by an S3 or EventBridge event. */
export async function handler(event: unknown, context?: InvocationContext): Promise<IngestResult> {
  // The pipeline stops with a clear error before the timeout would kill it mid-step.
  return runtime.invoke(context, (remainingMs) =>
    app.handleS3Event(event, remainingMs ? { remainingMs } : {}),
  );
}
