import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { SERVICE_NAMES } from '../core/services';
import type { IngestObserver } from '../app/ingest-observer';

/** Powertools logger and metrics behind an IngestObserver, plus the flush the handler calls per invocation. */
export interface LambdaTelemetry {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly observer: IngestObserver;
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
} as const;

/**
 * Creates the Lambda's structured logger and metrics. Namespace, service name and log level come
 * from the POWERTOOLS_* variables the stack sets; the defaults match them.
 */
export function createLambdaTelemetry(): LambdaTelemetry {
  const logger = new Logger({ serviceName: 'trailwatch' });
  const metrics = new Metrics({ namespace: 'Trailwatch', serviceName: 'trailwatch' });

  // Metrics with their own extra dimension each go out as a single-metric EMF document,
  // because a Metrics store shares one dimension set between all its metrics.
  const dimensioned = (name: string, dimension: string, value: string, count: number): void => {
    if (count <= 0) return;
    const single = metrics.singleMetric();
    single.addDimension(dimension, value);
    single.addMetric(name, MetricUnit.Count, count);
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
    eventIgnored(ref, eventName) {
      logger.warn('event ignored: it announces no new object', {
        bucket: ref.bucket,
        key: ref.key,
        eventName,
      });
    },
  };

  return {
    logger,
    metrics,
    observer,
    flush() {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    },
  };
}
