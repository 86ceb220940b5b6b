// Composition root of the real-time function (EventBridge "AWS API Call via CloudTrail" events for
// failed calls): the same configuration, store and alert delivery as the ingest function.
import type { ApiCallSummary } from '../app/api-call-handler';
import { composeApiCallApp } from '../app/compose';
import { createLambdaRuntime, type InvocationContext } from './lambda-runtime';

const runtime = createLambdaRuntime();
const app = composeApiCallApp(runtime.config, runtime.clients, runtime.telemetry.apiCallObserver);

/** Lambda entry point: stores and alerts the failed call one EventBridge event carries. */
export async function handler(event: unknown, context?: InvocationContext): Promise<ApiCallSummary> {
  return runtime.invoke(context, () => app.handleApiCallEvent(event));
}
