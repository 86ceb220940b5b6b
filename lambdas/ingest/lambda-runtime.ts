// What every function (ingest, real-time, backfill) builds once per cold start and does around every
// invocation.
import type { Context } from 'aws-lambda';
import { createAwsClients, type AwsClients } from '../adapters/aws-clients';
import { RequestDeadline } from '../adapters/timed-http-handler';
import { loadIngestConfig, type IngestConfig } from './config';
import { createLambdaTelemetry, type LambdaTelemetry, type TelemetryOptions } from './metrics';

// Time kept after the last AWS request of an invocation to log the outcome and flush metrics.
const REPORT_MARGIN_MS = 2_000;

/** The part of Lambda's context an invocation uses (tests call the handlers without one). */
export type InvocationContext = Pick<Context, 'getRemainingTimeInMillis'>;

/** Reads the invocation's remaining time, for the pipeline's own checks (absent without a context). */
export type RemainingTime = (() => number) | undefined;

/** A function's configuration, clients and telemetry, and the bracket of its invocations. */
export interface LambdaRuntime {
  readonly config: IngestConfig;
  readonly clients: AwsClients;
  readonly telemetry: LambdaTelemetry;
  /** Runs one invocation's work within the invocation's time, flushing the metrics also on failure. */
  invoke<T>(
    context: InvocationContext | undefined,
    work: (remainingMs: RemainingTime) => Promise<T>,
  ): Promise<T>;
}

/** How one function differs: its configuration loader and its telemetry (service name). */
export interface LambdaRuntimeOptions {
  readonly loadConfig?: (env: Readonly<Record<string, string | undefined>>) => IngestConfig;
  readonly telemetry?: TelemetryOptions;
  readonly env?: NodeJS.ProcessEnv;
}

/** Reads the environment and builds the clients and telemetry (no network call: cold start only). */
export function createLambdaRuntime(options: LambdaRuntimeOptions = {}): LambdaRuntime {
  const telemetry = createLambdaTelemetry(options.telemetry);
  const deadline = new RequestDeadline();
  const config = (options.loadConfig ?? loadIngestConfig)(options.env ?? process.env);
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
        return await work(context ? () => context.getRemainingTimeInMillis() : undefined);
      } finally {
        deadline.clear();
        telemetry.flush();
      }
    },
  };
}
