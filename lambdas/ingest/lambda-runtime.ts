// What both functions (ingest and real-time) build once per cold start and do around every invocation.
import type { Context } from 'aws-lambda';
import { createAwsClients, type AwsClients } from '../adapters/aws-clients';
import { RequestDeadline } from '../adapters/timed-http-handler';
import { loadIngestConfig, type IngestConfig } from './config';
import { createLambdaTelemetry, type LambdaTelemetry } from './metrics';

// Time kept after the last AWS request of an invocation to log the outcome and flush metrics.
const REPORT_MARGIN_MS = 2_000;

/** The part of Lambda's context an invocation uses (tests call the handlers without one). */
export type InvocationContext = Pick<Context, 'getRemainingTimeInMillis'>;

/** A function's configuration, clients and telemetry, and the bracket of its invocations. */
export interface LambdaRuntime {
  readonly config: IngestConfig;
  readonly clients: AwsClients;
  readonly telemetry: LambdaTelemetry;
  /** Runs one invocation's work within the invocation's time, flushing the metrics also on failure. */
  invoke<T>(context: InvocationContext | undefined, work: () => Promise<T>): Promise<T>;
}

/** Reads the environment and builds the clients and telemetry (no network call: cold start only). */
export function createLambdaRuntime(env: NodeJS.ProcessEnv = process.env): LambdaRuntime {
  const telemetry = createLambdaTelemetry();
  const deadline = new RequestDeadline();
  const config = loadIngestConfig(env);
  const clients = createAwsClients({ deadline });
  return {
    config,
    clients,
    telemetry,
    async invoke(context, work) {
      // No request may outlive the invocation: a hung call fails the work (retried later) instead of
      // being cut off by the Lambda timeout with nothing logged.
      if (context) deadline.set(Date.now() + context.getRemainingTimeInMillis() - REPORT_MARGIN_MS);
      try {
        return await work();
      } finally {
        deadline.clear();
        telemetry.flush();
      }
    },
  };
}
