import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { SERVICE_NAMES } from '../core/services';
import type { ApiCallObserver } from '../app/api-call-handler';
import type { BatchObserver } from '../app/backfill-batch-handler';
import type { IngestObserver } from '../app/ingest-observer';

/** Powertools logger and metrics behind an IngestObserver, plus the flush the handler calls per invocation. */
export interface LambdaTelemetry {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly observer: IngestObserver;
  /** The same telemetry for the real-time function (EventBridge events). */
  readonly apiCallObserver: ApiCallObserver;
  /** The same telemetry for the backfill function: the object reports plus its batch messages. */
  readonly batchObserver: IngestObserver & BatchObserver;
  /** Writes the invocation's metrics (EMF) and clears them; call once per invocation, also on failure. */
  flush(): void;
}

/** Metric names (docs/lambda.md; namespace Trailwatch, dimension service=trailwatch). The dashboard relies on them. */
export const METRIC = {
  objectsProcessed: 'ObjectsProcessed',
  objectsSkipped: 'ObjectsSkipped',
  eventsStored: 'EventsStored',
  failedCalls: 'FailedCalls',
  alertsSent: 'AlertsSent',
  alertsSuppressed: 'AlertsSuppressed',
  bytesRead: 'BytesRead',
  objectDuration: 'ObjectDuration',
  throttledWrites: 'ThrottledWrites',
  /** Seconds from the first call of an alert to its publish, dimension Path = S3 or EventBridge. */
  alertLatency: 'AlertLatency',
  /** EventBridge events the real-time function handled (stored or found stored). */
  realTimeEvents: 'RealTimeEvents',
  /** Backfill batch messages left in the queue (a key failed, or the body is not a batch). */
  batchMessagesFailed: 'BatchMessagesFailed',
} as const;

/**
 * The `service` dimension of each function's metrics: the backfill function's differ from the live
 * path's, so that the live path's ThrottledWrites alarm reads its own (docs/operations.md).
 */
export const METRICS_SERVICE = { ingest: 'trailwatch', backfill: 'trailwatch-backfill' } as const;

/** Options of createLambdaTelemetry. */
export interface TelemetryOptions {
  /** The `service` dimension and the logs' service (default METRICS_SERVICE.ingest). */
  readonly serviceName?: string;
}

/** The AlertLatency dimension value of each path (the dashboard graphs one line per path). */
export const PATH_DIMENSION = { s3: 'S3', eventbridge: 'EventBridge' } as const;

/**
 * Creates the Lambda's structured logger and metrics. Namespace, service name and log level come
 * from the POWERTOOLS_* variables the stack sets; the defaults match them.
 */
export function createLambdaTelemetry(options: TelemetryOptions = {}): LambdaTelemetry {
  const serviceName = options.serviceName ?? METRICS_SERVICE.ingest;
  const logger = new Logger({ serviceName });
  const metrics = new Metrics({ namespace: 'Trailwatch', serviceName });

  // Metrics with their own extra dimension each go out as a single-metric EMF document,
  // because a Metrics store shares one dimension set between all its metrics.
  const dimensioned = (name: string, dimension: string, value: string, count: number): void => {
    if (count <= 0) return;
    const single = metrics.singleMetric();
    single.addDimension(dimension, value);
    single.addMetric(name, MetricUnit.Count, count);
  };
  // One EMF document per alert: each value is a sample of the latency statistics (p50, max).
  const latencies = (path: keyof typeof PATH_DIMENSION, seconds: readonly number[] | undefined): void => {
    for (const value of seconds ?? []) {
      const single = metrics.singleMetric();
      single.addDimension('Path', PATH_DIMENSION[path]);
      single.addMetric(METRIC.alertLatency, MetricUnit.Seconds, value);
    }
  };

  const observer: IngestObserver = {
    objectProcessed(summary) {
      metrics.addMetric(METRIC.objectsProcessed, MetricUnit.Count, 1);
      metrics.addMetric(METRIC.bytesRead, MetricUnit.Bytes, summary.bytesRead);
      metrics.addMetric(METRIC.objectDuration, MetricUnit.Milliseconds, summary.durationMs);
      for (const service of SERVICE_NAMES) {
        dimensioned(METRIC.eventsStored, 'WatchedService', service, summary.eventsStored[service] ?? 0);
        dimensioned(
          METRIC.failedCalls,
          'WatchedService',
          service,
          summary.failedCallsByService[service] ?? 0,
        );
      }
      if (summary.alerts) {
        metrics.addMetric(METRIC.alertsSent, MetricUnit.Count, summary.alerts.messagesPublished);
        metrics.addMetric(METRIC.alertsSuppressed, MetricUnit.Count, summary.alerts.eventsSuppressed);
        latencies('s3', summary.alerts.secondsAfterFirstCall);
      }
      logger.info('log object processed', { ...summary });
    },
    objectSkipped(ref, reason, message) {
      dimensioned(METRIC.objectsSkipped, 'Reason', reason, 1);
      logger.info('log object skipped', { bucket: ref.bucket, key: ref.key, reason, detail: message });
    },
    objectFailed(ref, error) {
      logger.error('log object failed', { bucket: ref.bucket, key: ref.key, error });
    },
    writesThrottled(items) {
      metrics.addMetric(METRIC.throttledWrites, MetricUnit.Count, items);
    },
    readResumed(ref, notice) {
      logger.warn('log object read resumed', { bucket: ref.bucket, key: ref.key, ...notice });
    },
    eventIgnored(ref, eventName) {
      logger.warn('event ignored: it announces no new object', {
        bucket: ref.bucket,
        key: ref.key,
        eventName,
      });
    },
  };

  const apiCallObserver: ApiCallObserver = {
    eventProcessed(summary) {
      metrics.addMetric(METRIC.realTimeEvents, MetricUnit.Count, 1);
      if (summary.stored) metrics.addMetric(METRIC.eventsStored, MetricUnit.Count, 1);
      if (summary.failed && summary.service)
        dimensioned(METRIC.failedCalls, 'WatchedService', summary.service, 1);
      if (summary.alerts) {
        metrics.addMetric(METRIC.alertsSent, MetricUnit.Count, summary.alerts.messagesPublished);
        metrics.addMetric(METRIC.alertsSuppressed, MetricUnit.Count, summary.alerts.eventsSuppressed);
        latencies('eventbridge', summary.alerts.secondsAfterFirstCall);
      }
      logger.info('eventbridge event processed', { ...summary });
    },
    eventSkipped(summary, message) {
      logger.warn('eventbridge event skipped', { ...summary, detail: message });
    },
    eventFailed(id, error) {
      logger.error('eventbridge event failed', { id, error });
    },
  };

  const batchObserver: IngestObserver & BatchObserver = {
    ...observer,
    messageRejected(messageId, reason) {
      metrics.addMetric(METRIC.batchMessagesFailed, MetricUnit.Count, 1);
      logger.error('backfill message rejected: not a batch message; it stays in the queue', {
        messageId,
        reason,
      });
    },
    messageFailed(messageId, runId, failedKeys) {
      metrics.addMetric(METRIC.batchMessagesFailed, MetricUnit.Count, 1);
      logger.warn('backfill message failed: it stays in the queue for a retry', {
        messageId,
        runId,
        failedKeys: failedKeys.length,
        keys: failedKeys.slice(0, 5),
      });
    },
  };

  return {
    logger,
    metrics,
    observer,
    apiCallObserver,
    batchObserver,
    flush() {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    },
  };
}
