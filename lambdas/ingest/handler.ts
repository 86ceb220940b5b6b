// Composition root of the ingest Lambda: configuration, clients and telemetry are built once per
// cold start (no network call); each invocation only runs the app.
import { createAwsClients } from '../adapters/aws-clients';
import { composeIngestApp, type IngestResult } from './app';
import { loadIngestConfig } from './config';
import { createLambdaTelemetry } from './metrics';

const telemetry = createLambdaTelemetry();
const app = composeIngestApp(loadIngestConfig(process.env), createAwsClients(), telemetry.observer);

/** Lambda entry point: processes the CloudTrail log objects named by an S3 or EventBridge event. */
export async function handler(
  event: unknown,
  context?: { getRemainingTimeInMillis(): number },
): Promise<IngestResult> {
  try {
    return await app.handleS3Event(event, context);
  } finally {
    telemetry.flush();
  }
}
