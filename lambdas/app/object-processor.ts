import { checkLogKeyOrigin, classifyLogKey } from '../core/log-key';
import {
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
import { SILENT_OBSERVER, type IngestObserver } from './ingest-observer';

/** What createObjectProcessor needs: where objects come from, where events and alerts go, and the filters. */
export interface ObjectProcessorDeps {
  readonly source: LogObjectSource;
  readonly sink: EventSink;
  /** Omit to store without alerting. */
  readonly alerts?: AlertSink;
  /** Buckets whose objects are read; others are skipped as `foreign-bucket`. Omit to accept any. */
  readonly sourceBuckets?: readonly string[];
  /**
   * The trail's key prefix before `AWSLogs/` (LOG_PREFIX, slashes at the ends optional): keys must sit
   * exactly there (`''`: keys start with `AWSLogs/`). Omit to accept any prefix (local files, backfill).
   */
  readonly logPrefix?: string;
  /** Accounts whose log files are read; others are skipped as `foreign-account`. Omit or empty to accept any. */
  readonly allowedAccounts?: readonly string[];
  /** Organizations whose organization-trail files are read (see LogKeyOrigins). Omit or empty to accept any. */
  readonly allowedOrganizationIds?: readonly string[];
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
/** Per-invocation limits of processing: the time the caller has left. */
export interface ProcessOptions {
  /** Milliseconds left (the Lambda context's getRemainingTimeInMillis); omit for no limit. */
  readonly remainingMs?: () => number;
}

/** ObjectProcessor whose processObject also takes the delivery time handed on to the event store. */
export interface LogObjectProcessor extends ObjectProcessor {
  processObject(
    ref: PipelineObjectRef & { readonly size?: number },
    options?: ProcessOptions,
  ): Promise<ObjectSummary>;
}

/**
 * The object processor shared by the Lambda, `trailwatch local`, `trailwatch ingest`, backfill and
 * replay: skips what is not a CloudTrail log file of a watched bucket, runs the pipeline on the rest,
 * and reports every outcome to the observer. File-level errors throw ObjectProcessingError.
 */
export function createObjectProcessor(deps: ObjectProcessorDeps): LogObjectProcessor {
  const observer = deps.observer ?? SILENT_OBSERVER;
  const buckets = deps.sourceBuckets ? new Set(deps.sourceBuckets) : undefined;
  const origins = {
    ...(deps.logPrefix !== undefined ? { prefix: deps.logPrefix } : {}),
    ...(deps.allowedAccounts ? { accounts: deps.allowedAccounts } : {}),
    ...(deps.allowedOrganizationIds ? { organizationIds: deps.allowedOrganizationIds } : {}),
  };

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
    // Checked on every key, before anything is read: a file another writer put in the bucket is never ingested.
    const origin = layout.ok ? checkLogKeyOrigin(layout, origins) : undefined;
    if (origin && !origin.ok) return { skip: { reason: origin.reason, message: origin.message } };
    if (ref.size === 0) return { skip: { reason: 'empty-object', message: 'the object is empty (0 bytes)' } };
    return layout.ok && layout.deliveredAt ? { deliveredAt: layout.deliveredAt } : {};
  };

  return {
    async processObject(ref: PipelineObjectRef & { readonly size?: number }, options: ProcessOptions = {}) {
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
          ...(options.remainingMs ? { remainingMs: options.remainingMs } : {}),
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
