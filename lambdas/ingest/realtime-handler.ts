// Composition root of the real-time function (EventBridge "AWS API Call via CloudTrail" events for
// failed calls): the same configuration, store and alert delivery as the ingest function.
import type { Context } from 'aws-lambda';
import { createAwsClients } from '../adapters/aws-clients';
import { RequestDeadline } from '../adapters/timed-http-handler';
import type { ApiCallSummary } from '../app/api-call-handler';
import { composeApiCallApp } from '../app/compose';
import { loadIngestConfig } from './config';
import { runInvocation } from './invocation';
import { createLambdaTelemetry } from './metrics';

const telemetry = createLambdaTelemetry();
const deadline = new RequestDeadline();
const app = composeApiCallApp(
  loadIngestConfig(process.env),
  createAwsClients({ deadline }),
  telemetry.apiCallObserver,
);

/** Lambda entry point: stores and alerts the failed call one EventBridge event carries. */
export async function handler(
  event: unknown,
  context?: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<ApiCallSummary> {
  return runInvocation(
    deadline,
    () => telemetry.flush(),
    context,
    () => app.handleApiCallEvent(event),
  );
}
