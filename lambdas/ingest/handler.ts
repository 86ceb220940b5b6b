// Composition root of the ingest Lambda: configuration, clients and telemetry are built once per
// cold start (no network call); each invocation only runs the app.
import type { Context } from 'aws-lambda';
import { createAwsClients } from '../adapters/aws-clients';
import { RequestDeadline } from '../adapters/timed-http-handler';
import { composeIngestApp } from '../app/compose';
import type { IngestResult } from '../app/s3-event-handler';
import { loadIngestConfig } from './config';
import { createLambdaTelemetry } from './metrics';

// Time kept after the last AWS request of an invocation to log the outcome and flush metrics.
const REPORT_MARGIN_MS = 2_000;

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
  // No request may outlive the invocation: a hung call fails the file (retried later) instead of
  // being cut off by the Lambda timeout with nothing logged.
  if (context) deadline.set(Date.now() + context.getRemainingTimeInMillis() - REPORT_MARGIN_MS);
  try {
    // The pipeline stops with a clear error before the timeout would kill it mid-step.
    const remainingMs = context ? () => context.getRemainingTimeInMillis() : undefined;
    return await app.handleS3Event(event, remainingMs ? { remainingMs } : {});
  } finally {
    deadline.clear();
    telemetry.flush();
  }
}
