import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SNSClient } from '@aws-sdk/client-sns';
import { AlertStateStore } from '../adapters/alert-state-store';
import { DynamoDbEventStore } from '../adapters/event-store';
import { S3LogSource } from '../adapters/s3-log-source';
import { SnsPublisher } from '../adapters/sns-publisher';
import { AlertDelivery } from '../core/alert-delivery';
import { ConfigError } from '../core/errors';
import type { LogObjectSource } from '../core/pipeline';
import type { LogObjectRef } from '../core/ports';
import { ResumableLogSource, type ResumeNotice } from '../core/resumable-log-source';
import {
  handleApiCallEvent,
  SILENT_API_CALL_OBSERVER,
  type ApiCallObserver,
  type ApiCallSummary,
} from './api-call-handler';
import { handleSqsBatch, type BatchObserver, type BatchResponse } from './backfill-batch-handler';
import { SILENT_OBSERVER, type IngestObserver } from './ingest-observer';
import type { ProcessorConfig } from './processor-config';
import { createObjectProcessor, type LogObjectProcessor, type ProcessOptions } from './object-processor';
import { handleS3Event, type IngestResult } from './s3-event-handler';

/** The SDK clients the processor talks to (the S3 one only when objects come from S3). */
export interface ProcessorClients {
  readonly s3?: S3Client;
  /** An S3 client reading with a role's credentials; needed when the configuration names a read role. */
  readonly s3ForRole?: (roleArn: string) => S3Client;
  readonly dynamodb: DynamoDBClient;
  readonly sns: SNSClient;
}

/** What an entry point may choose beside the configuration: where objects come from and who watches. */
export interface ProcessorOptions {
  /** Where objects are read; default S3 through `clients.s3`. */
  readonly source?: LogObjectSource;
  /** `any` for local files named freely (`trailwatch ingest`); default CloudTrail's key layout. */
  readonly keyLayout?: 'cloudtrail' | 'any';
  readonly observer?: IngestObserver;
  /** Time left for the work in hand (the Lambda's remaining time): the event store's retry budget. */
  readonly remainingTimeMs?: () => number | undefined;
}

/**
 * The one composition of the object processor, used by the Lambda, `trailwatch local`, `ingest`,
 * `backfill` and `replay`: the event store with the configured retention and payload limit, and,
 * when alerts are on, the alert protocol over the DynamoDB ledger and the SNS publisher (and the
 * chat topic's, when configured) with the configured rules and window. An entry point adds flags that build the configuration, never wiring.
 */
export function composeProcessor(
  config: ProcessorConfig,
  clients: ProcessorClients,
  options: ProcessorOptions = {},
): LogObjectProcessor {
  const { sink, alerts } = composeStoreAndAlerts(config, clients, {
    ...(options.remainingTimeMs ? { remainingTimeMs: options.remainingTimeMs } : {}),
    ...(options.observer?.writesThrottled
      ? { onThrottled: (items: number) => options.observer?.writesThrottled?.(items) }
      : {}),
  });
  const source =
    options.source ??
    s3LogObjectSource(logReadClient(config, clients), options.observer?.readResumed?.bind(options.observer));
  return createObjectProcessor({
    source,
    sink,
    ...(alerts ? { alerts } : {}),
    ...(config.sourceBuckets ? { sourceBuckets: config.sourceBuckets } : {}),
    ...(config.logPrefix !== undefined ? { logPrefix: config.logPrefix } : {}),
    ...(config.allowedAccounts ? { allowedAccounts: config.allowedAccounts } : {}),
    ...(config.allowedOrganizationIds ? { allowedOrganizationIds: config.allowedOrganizationIds } : {}),
    ...(options.keyLayout ? { keyLayout: options.keyLayout } : {}),
    ...(options.observer ? { observer: options.observer } : {}),
  });
}

/**
 * How every entry point reads S3 objects (log files, inventory reports, manifests): GetObject bodies that
 * are reopened from the byte they broke off at, of the same object (core/resumable-log-source.ts).
 */
export function s3LogObjectSource(
  client: S3Client | undefined,
  onResume?: (ref: LogObjectRef, notice: ResumeNotice) => void,
): LogObjectSource {
  return new ResumableLogSource(new S3LogSource(client), onResume ? { onResume } : {});
}

/** What the event store gets from its entry point beside the configuration. */
export interface StoreOptions {
  /** Time left for the work in hand: the store's retry budget for throttled writes. */
  readonly remainingTimeMs?: () => number | undefined;
  /** Told how many item writes DynamoDB throttled (the ThrottledWrites metric). */
  readonly onThrottled?: (items: number) => void;
}

/**
 * The event store and the alert protocol (when alerts are on) of one configuration: shared by the
 * log-file processor and the real-time path, so both write the same items, claim the same events
 * and publish to the same topics.
 */
export function composeStoreAndAlerts(
  config: ProcessorConfig,
  clients: Pick<ProcessorClients, 'dynamodb' | 'sns'>,
  options: StoreOptions = {},
): { sink: DynamoDbEventStore; alerts?: AlertDelivery } {
  const sink = new DynamoDbEventStore({
    tableName: config.tableName,
    client: clients.dynamodb,
    retentionDays: config.retentionDays,
    payloadMaxBytes: config.payloadMaxBytes,
    ...(options.remainingTimeMs ? { remainingTimeMs: options.remainingTimeMs } : {}),
    ...(options.onThrottled ? { onThrottled: options.onThrottled } : {}),
  });
  if (!config.alerts) return { sink };
  const alerts = new AlertDelivery({
    // Claims in transactions (100 a request) where the endpoint has them, detected from its first
    // answer: nothing in the configuration says which server is behind the DynamoDB endpoint (the
    // function and the CLI against AWS have transactions; local mode's dynalite and other endpoints a
    // user may name have none), but the server's UnknownOperationException does, and it writes nothing.
    ledger: new AlertStateStore({
      tableName: config.alerts.stateTableName,
      client: clients.dynamodb,
      claimWrites: 'detect',
    }),
    publisher: new SnsPublisher({ topicArn: config.alerts.topicArn, sns: clients.sns }),
    ...(config.alerts.chatTopicArn !== undefined
      ? { chatPublisher: new SnsPublisher({ topicArn: config.alerts.chatTopicArn, sns: clients.sns }) }
      : {}),
    windowMinutes: config.alerts.windowMinutes,
    ...(config.alerts.rules ? { rules: config.alerts.rules } : {}),
    nextSteps: {
      eventTable: config.tableName,
      ...(config.alerts.runbookUrl ? { runbookUrl: config.alerts.runbookUrl } : {}),
    },
  });
  return { sink, alerts };
}

/** The real-time app: EventBridge "AWS API Call via CloudTrail" events, one at a time. */
export interface ApiCallApp {
  handleApiCallEvent(event: unknown): Promise<ApiCallSummary>;
}

/** The real-time path's app (its Lambda and `trailwatch local`'s PutEvents route), from the same configuration. */
export function composeApiCallApp(
  config: ProcessorConfig,
  clients: Pick<ProcessorClients, 'dynamodb' | 'sns'>,
  observer: ApiCallObserver = SILENT_API_CALL_OBSERVER,
): ApiCallApp {
  const { sink, alerts } = composeStoreAndAlerts(config, clients);
  return {
    handleApiCallEvent: (event) =>
      handleApiCallEvent(event, { sink, ...(alerts ? { alerts } : {}), observer }),
  };
}

/**
 * The S3 client that reads (and, for backfill, lists) log objects: through the read role when the
 * configuration names one (the bucket is in another account), else the caller's own.
 */
export function logReadClient(
  config: Pick<ProcessorConfig, 'readRoleArn'>,
  clients: Pick<ProcessorClients, 's3' | 's3ForRole'>,
): S3Client | undefined {
  if (config.readRoleArn === undefined) return clients.s3;
  if (clients.s3ForRole === undefined) {
    throw new ConfigError(`READ_ROLE_ARN: no client can assume ${config.readRoleArn} here`);
  }
  return clients.s3ForRole(config.readRoleArn);
}

/** The ingest app as the Lambda and `trailwatch local` run it. */
export interface IngestApp {
  readonly processor: LogObjectProcessor;
  handleS3Event(event: unknown, options?: ProcessOptions): Promise<IngestResult>;
}

/** The processor behind an S3/EventBridge event handler (the Lambda's and `trailwatch local`'s app). */
export function composeIngestApp(
  config: ProcessorConfig,
  clients: ProcessorClients,
  observer: IngestObserver = SILENT_OBSERVER,
): IngestApp {
  const clock = invocationClock();
  const processor = composeProcessor(config, clients, { observer, remainingTimeMs: clock.remainingTimeMs });
  return {
    processor,
    handleS3Event: (event, options = {}) =>
      clock.during(options.remainingMs, () => handleS3Event(event, processor, observer, options)),
  };
}

/**
 * The remaining time of the invocation being handled, for the event store's retry budget of
 * throttled writes (set for the duration of each invocation, unset between them).
 */
function invocationClock(): {
  remainingTimeMs: () => number | undefined;
  during<T>(remainingMs: (() => number) | undefined, run: () => Promise<T>): Promise<T>;
} {
  let current: (() => number) | undefined;
  return {
    remainingTimeMs: () => current?.(),
    async during(remainingMs, run) {
      current = remainingMs;
      try {
        return await run();
      } finally {
        current = undefined;
      }
    },
  };
}

/** The backfill app as the backfill function runs it: SQS events of key batches. */
export interface BackfillApp {
  readonly processor: LogObjectProcessor;
  handleSqsEvent(event: unknown, options?: ProcessOptions): Promise<BatchResponse>;
}

/**
 * The processor behind the backfill function (the same composition as the ingest function's, so the
 * same writes and filters), handling SQS events of batch messages (lambdas/core/backfill-batch.ts).
 */
export function composeBackfillApp(
  config: ProcessorConfig,
  clients: ProcessorClients,
  observer: IngestObserver & BatchObserver,
): BackfillApp {
  const clock = invocationClock();
  const processor = composeProcessor(config, clients, { observer, remainingTimeMs: clock.remainingTimeMs });
  return {
    processor,
    handleSqsEvent: (event, options = {}) =>
      clock.during(options.remainingMs, () => handleSqsBatch(event, processor, observer, options)),
  };
}
