import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { S3Client } from '@aws-sdk/client-s3';
import { DynamoDbEventStore } from '../adapters/event-store';
import { S3LogSource } from '../adapters/s3-log-source';
import { SnsAlerter } from '../adapters/sns-alerter';
import { TrailwatchError } from '../core/errors';
import { classifyLogKey } from '../core/log-key';
import {
  describeObject,
  ObjectProcessingError,
  runLogPipeline,
  type LogObjectSource,
  type PipelineObjectRef,
} from '../core/pipeline';
import type {
  AlertSink,
  EventSink,
  LogObjectRef,
  ObjectProcessor,
  ObjectSkipReason,
  ObjectSummary,
} from '../core/ports';
import { parseIngestEvent } from '../core/s3-event';
import type { IngestConfig } from './config';
import { SILENT_OBSERVER, type IngestObserver } from './metrics';

/** What createObjectProcessor needs: where objects come from, where events and alerts go, and the filters. */
export interface ObjectProcessorDeps {
  readonly source: LogObjectSource;
  readonly sink: EventSink;
  /** Omit to store without alerting. */
  readonly alerts?: AlertSink;
  /** Buckets whose objects are read; others are skipped as `foreign-bucket`. Omit to accept any. */
  readonly sourceBuckets?: readonly string[];
  /** The trail's key prefix before `AWSLogs/` (LOG_PREFIX, slashes at the ends optional); '' (default) accepts any prefix. */
  readonly logPrefix?: string;
  /**
   * `cloudtrail` (default): keys must follow CloudTrail's layout. `any`: only folders, digest and
   * insight files are skipped (local files of `trailwatch ingest` are named freely).
   */
  readonly keyLayout?: 'cloudtrail' | 'any';
  /** Events per putEvents call (default 500). */
  readonly batchSize?: number;
  readonly observer?: IngestObserver;
  readonly clock?: () => number;
}

/** The object was skipped: why, in a word (the metric's Reason) and in words (the log line). */
interface Skip {
  readonly reason: ObjectSkipReason;
  readonly message: string;
}

/** ObjectProcessor whose processObject also takes the delivery time handed on to the event store. */
export interface LogObjectProcessor extends ObjectProcessor {
  processObject(ref: PipelineObjectRef & { readonly size?: number }): Promise<ObjectSummary>;
}

/**
 * The object processor shared by the Lambda, `trailwatch local`, `trailwatch ingest`, backfill and
 * replay: skips what is not a CloudTrail log file of a watched bucket, runs the pipeline on the rest,
 * and reports every outcome to the observer. File-level errors throw ObjectProcessingError.
 */
export function createObjectProcessor(deps: ObjectProcessorDeps): LogObjectProcessor {
  const observer = deps.observer ?? SILENT_OBSERVER;
  const buckets = deps.sourceBuckets ? new Set(deps.sourceBuckets) : undefined;
  // The trail's key prefix, given with or without slashes at the ends; '' accepts any prefix.
  const trimmed = (deps.logPrefix ?? '').replace(/^\/+|\/+$/g, '');
  const wantedPrefix = trimmed === '' ? undefined : `${trimmed}/`;

  // Either why the object is skipped, or when its file was delivered (if the key says).
  const inspect = (
    ref: LogObjectRef & { readonly size?: number },
  ): { skip: Skip } | { skip?: undefined; deliveredAt?: Date } => {
    if (buckets && !buckets.has(ref.bucket)) {
      return {
        skip: {
          reason: 'foreign-bucket',
          message: `bucket '${ref.bucket}' is not one of the configured source buckets`,
        },
      };
    }
    const layout = classifyLogKey(ref.key);
    if (!layout.ok && (deps.keyLayout !== 'any' || layout.reason !== 'not-a-log-key')) {
      return { skip: { reason: layout.reason, message: layout.message } };
    }
    if (layout.ok && wantedPrefix !== undefined && layout.prefix !== wantedPrefix) {
      return {
        skip: {
          reason: 'not-a-log-key',
          message: `the key is not under the configured prefix '${wantedPrefix}AWSLogs/'`,
        },
      };
    }
    if (ref.size === 0) return { skip: { reason: 'empty-object', message: 'the object is empty (0 bytes)' } };
    return layout.ok && layout.deliveredAt ? { deliveredAt: layout.deliveredAt } : {};
  };

  return {
    async processObject(ref: PipelineObjectRef & { readonly size?: number }) {
      const inspected = inspect(ref);
      if (inspected.skip) {
        const { reason, message } = inspected.skip;
        observer.objectSkipped({ bucket: ref.bucket, key: ref.key }, reason, message);
        return skippedSummary(ref, reason);
      }
      // CloudTrail's own delivery time (from the file name) first: it is the same for a Lambda retry,
      // a duplicate notification, a re-upload, a backfill and a replay, so re-writes are identical.
      const deliveredAt = inspected.deliveredAt ?? ref.deliveredAt;
      const object: PipelineObjectRef = {
        bucket: ref.bucket,
        key: ref.key,
        ...(deliveredAt ? { deliveredAt } : {}),
      };
      try {
        const summary = await runLogPipeline(object, {
          source: deps.source,
          sink: deps.sink,
          ...(deps.alerts ? { alerts: deps.alerts } : {}),
          ...(deps.batchSize !== undefined ? { batchSize: deps.batchSize } : {}),
          ...(deps.clock ? { clock: deps.clock } : {}),
        });
        observer.objectProcessed(summary);
        return summary;
      } catch (err) {
        const error =
          err instanceof ObjectProcessingError
            ? err
            : new ObjectProcessingError(ref.bucket, ref.key, 'read', err);
        observer.objectFailed(object, error);
        throw error;
      }
    },
  };
}

/** One object that could not be processed, as the aggregate error lists it. */
export interface FailedObject {
  readonly bucket: string;
  readonly key: string;
  readonly message: string;
}

/** Some objects of an event failed at file level; every object was attempted first. Names each failed one. */
export class IngestFailedError extends TrailwatchError {
  constructor(
    readonly failures: readonly FailedObject[],
    readonly attempted: number,
    causes: readonly unknown[],
  ) {
    super(
      `${failures.length} of ${attempted} log objects failed: ${failures.map((f) => f.message).join(' | ')}`,
      { cause: causes.length === 1 ? causes[0] : new AggregateError(causes, 'failed log objects') },
    );
  }
}

/** The event is not an S3 notification or EventBridge Object Created event the function understands. */
export class InvalidEventError extends TrailwatchError {}

/** What handleS3Event returns: one summary per object the event announced (processed or skipped). */
export interface IngestResult {
  readonly objects: ObjectSummary[];
}

/**
 * Handles one S3 notification (every record) or EventBridge Object Created event: decodes keys,
 * processes each announced object, and only after all were attempted throws IngestFailedError
 * naming every object that failed, so one bad object never hides the others.
 */
export async function handleS3Event(
  event: unknown,
  processor: LogObjectProcessor,
  observer: IngestObserver = SILENT_OBSERVER,
): Promise<IngestResult> {
  const parsed = parseIngestEvent(event);
  if (!parsed.ok) throw new InvalidEventError(`invalid event: ${parsed.message}`);
  const objects: ObjectSummary[] = [];
  const failures: FailedObject[] = [];
  const causes: unknown[] = [];
  for (const announced of parsed.objects) {
    const ref = { bucket: announced.bucket, key: announced.key };
    if (!announced.created) {
      observer.eventIgnored(ref, announced.eventName);
      continue;
    }
    try {
      objects.push(
        await processor.processObject({
          ...ref,
          ...(announced.size !== undefined ? { size: announced.size } : {}),
          ...(announced.deliveredAt ? { deliveredAt: announced.deliveredAt } : {}),
        }),
      );
    } catch (err) {
      const message =
        err instanceof ObjectProcessingError ? err.message : `${describeObject(ref)}: ${String(err)}`;
      failures.push({ ...ref, message });
      causes.push(err);
    }
  }
  if (failures.length > 0) throw new IngestFailedError(failures, failures.length + objects.length, causes);
  return { objects };
}

/** The SDK clients the ingest app talks to. */
export interface IngestClients {
  readonly s3: S3Client;
  readonly dynamodb: DynamoDBClient;
  readonly sns: SNSClient;
}

/** The ingest app as the Lambda and `trailwatch local` run it. */
export interface IngestApp {
  readonly processor: LogObjectProcessor;
  /** `context` is the Lambda's: its remaining time is the event store's retry budget. */
  handleS3Event(event: unknown, context?: { getRemainingTimeInMillis(): number }): Promise<IngestResult>;
}

/** Wires config, clients and adapters into the ingest app (the Lambda's and `trailwatch local`'s composition). */
export function composeIngestApp(
  config: IngestConfig,
  clients: IngestClients,
  observer: IngestObserver = SILENT_OBSERVER,
): IngestApp {
  // The invocation being handled: its remaining time bounds how long throttled writes are retried.
  let invocation: { getRemainingTimeInMillis(): number } | undefined;
  const sink = new DynamoDbEventStore({
    tableName: config.tableName,
    client: clients.dynamodb,
    retentionDays: config.retentionDays,
    payloadMaxBytes: config.payloadMaxBytes,
    remainingTimeMs: () => invocation?.getRemainingTimeInMillis(),
    onThrottled: (items) => observer.writesThrottled?.(items),
  });
  const alerts = config.alerts
    ? new SnsAlerter({
        topicArn: config.alerts.topicArn,
        stateTableName: config.alerts.stateTableName,
        sns: clients.sns,
        dynamodb: clients.dynamodb,
        windowMinutes: config.alerts.windowMinutes,
        ...(config.alerts.rules ? { rules: config.alerts.rules } : {}),
      })
    : undefined;
  const processor = createObjectProcessor({
    source: new S3LogSource(clients.s3),
    sink,
    ...(alerts ? { alerts } : {}),
    sourceBuckets: config.sourceBuckets,
    logPrefix: config.logPrefix,
    observer,
  });
  return {
    processor,
    async handleS3Event(event, context) {
      invocation = context;
      try {
        return await handleS3Event(event, processor, observer);
      } finally {
        invocation = undefined;
      }
    },
  };
}

function skippedSummary(ref: LogObjectRef, reason: ObjectSkipReason): ObjectSummary {
  // A fresh object: the caller's ref may carry extra fields (size, deliveredAt).
  return {
    bucket: ref.bucket,
    key: ref.key,
    status: 'skipped',
    skipReason: reason,
    bytesRead: 0,
    recordsRead: 0,
    recordsSkipped: {},
    eventsStored: {},
    failedCalls: 0,
    durationMs: 0,
  };
}
