import type { PipelineSummary } from '../../lambdas/core/pipeline';
import { createLambdaTelemetry, METRICS_SERVICE } from '../../lambdas/ingest/metrics';

interface Emf {
  _aws: {
    CloudWatchMetrics: Array<{
      Namespace: string;
      Dimensions: string[][];
      Metrics: Array<{ Name: string; Unit: string }>;
    }>;
  };
  [key: string]: unknown;
}

/** Runs `act` and returns every JSON line written to stdout and stderr meanwhile (Powertools writes logs and EMF there). */
function captureOutput(act: () => void): Array<Record<string, unknown>> {
  const lines: string[] = [];
  const record = (chunk: string | Uint8Array) => {
    lines.push(
      ...String(chunk)
        .split('\n')
        .filter((l) => l.trim() !== ''),
    );
    return true;
  };
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation(record),
    jest.spyOn(process.stderr, 'write').mockImplementation(record),
  ];
  try {
    act();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
}

function metricsIn(
  docs: Array<Record<string, unknown>>,
): Array<{ name: string; unit: string; value: unknown; dimensions: Record<string, unknown> }> {
  return docs
    .filter((d): d is Emf & Record<string, unknown> => typeof d._aws === 'object')
    .flatMap((d) =>
      d._aws.CloudWatchMetrics.flatMap((m) =>
        m.Metrics.map((metric) => ({
          name: metric.Name,
          unit: metric.Unit,
          value: d[metric.Name],
          dimensions: Object.fromEntries(m.Dimensions.flat().map((k) => [k, d[k]])),
        })),
      ),
    );
}

const SUMMARY: PipelineSummary = {
  bucket: 'logs',
  key: 'AWSLogs/1/CloudTrail/us-east-1/2024/01/01/f.json.gz',
  status: 'processed',
  bytesRead: 2048,
  recordsRead: 10,
  recordsSkipped: { 'other-service': 4 },
  eventsStored: { glue: 4, athena: 2 },
  failedCalls: 1,
  failedCallsByService: { athena: 1 },
  alerts: {
    messagesPublished: 1,
    eventsAlerted: 1,
    eventsSuppressed: 2,
    eventsAlreadyAlerted: 0,
    eventsIgnored: 0,
    byService: { athena: 1 },
    secondsAfterFirstCall: [412],
  },
  durationMs: 120,
};

describe('Lambda telemetry (Powertools logger and metrics)', () => {
  const saved = { ...process.env };
  beforeEach(() => {
    // Powertools skips output in its dev mode and when metrics are disabled; make sure neither is on.
    delete process.env.POWERTOOLS_DEV;
    delete process.env.POWERTOOLS_METRICS_DISABLED;
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  it('emits AlertLatency per alert with its path: S3 for log files, EventBridge for the real-time function', () => {
    // Prepare
    const telemetry = createLambdaTelemetry();

    // Act
    const docs = captureOutput(() => {
      telemetry.observer.objectProcessed(SUMMARY);
      telemetry.apiCallObserver.eventProcessed({
        id: 'eb-1',
        status: 'processed',
        eventId: 'evt-1',
        service: 'glue',
        failed: true,
        stored: true,
        alerts: { ...SUMMARY.alerts!, byService: { glue: 1 }, secondsAfterFirstCall: [3] },
        durationMs: 40,
      });
      telemetry.flush();
    });

    // Assess: the dashboard's latency graph reads these two series.
    const latencies = metricsIn(docs).filter((m) => m.name === 'AlertLatency');
    expect(latencies).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          unit: 'Seconds',
          value: 412,
          dimensions: { service: 'trailwatch', Path: 'S3' },
        }),
        expect.objectContaining({
          unit: 'Seconds',
          value: 3,
          dimensions: { service: 'trailwatch', Path: 'EventBridge' },
        }),
      ]),
    );
    expect(latencies).toHaveLength(2);
    expect(metricsIn(docs).find((m) => m.name === 'RealTimeEvents')).toMatchObject({ value: 1 });
  });

  it('the backfill function emits the same metrics under service=trailwatch-backfill, apart from the live path', () => {
    // Prepare
    const telemetry = createLambdaTelemetry({ serviceName: METRICS_SERVICE.backfill });

    // Act
    const docs = captureOutput(() => {
      telemetry.batchObserver.writesThrottled?.(7);
      telemetry.batchObserver.objectProcessed(SUMMARY);
      telemetry.batchObserver.messageFailed('m-1', 'run-1', ['k']);
      telemetry.flush();
    });

    // Assess: the live path's ThrottledWrites alarm selects service=trailwatch, so these never count there.
    const metrics = metricsIn(docs);
    expect(metrics.find((m) => m.name === 'ThrottledWrites')).toMatchObject({
      value: 7,
      dimensions: { service: 'trailwatch-backfill' },
    });
    expect(metrics.find((m) => m.name === 'ObjectsProcessed')).toMatchObject({
      dimensions: { service: 'trailwatch-backfill' },
    });
    expect(metrics.find((m) => m.name === 'BatchMessagesFailed')).toMatchObject({ value: 1 });
    expect(metrics.every((m) => m.dimensions.service === 'trailwatch-backfill')).toBe(true);
  });

  it('emits the documented metrics, namespace Trailwatch, dimension service=trailwatch', () => {
    // Prepare
    const telemetry = createLambdaTelemetry();

    // Act
    const docs = captureOutput(() => {
      telemetry.observer.objectProcessed(SUMMARY);
      telemetry.observer.objectSkipped(
        { bucket: 'logs', key: 'AWSLogs/1/CloudTrail-Digest/x' },
        'digest',
        'a digest file',
      );
      telemetry.flush();
    });

    // Assess
    const metrics = metricsIn(docs);
    const find = (name: string, extra: Record<string, string> = {}) =>
      metrics.find((m) => m.name === name && Object.entries(extra).every(([k, v]) => m.dimensions[k] === v));
    expect(find('ObjectsProcessed')).toMatchObject({
      unit: 'Count',
      value: 1,
      dimensions: { service: 'trailwatch' },
    });
    expect(find('BytesRead')).toMatchObject({ unit: 'Bytes', value: 2048 });
    expect(find('ObjectDuration')).toMatchObject({ unit: 'Milliseconds', value: 120 });
    expect(find('AlertsSent')).toMatchObject({ value: 1 });
    expect(find('AlertsSuppressed')).toMatchObject({ value: 2 });
    expect(find('EventsStored', { WatchedService: 'glue' })).toMatchObject({
      value: 4,
      dimensions: { service: 'trailwatch' },
    });
    expect(find('EventsStored', { WatchedService: 'athena' })).toMatchObject({ value: 2 });
    expect(find('EventsStored', { WatchedService: 'emr' })).toBeUndefined();
    expect(find('FailedCalls', { WatchedService: 'athena' })).toMatchObject({ value: 1 });
    expect(find('ObjectsSkipped', { Reason: 'digest' })).toMatchObject({
      unit: 'Count',
      value: 1,
      dimensions: { service: 'trailwatch' },
    });
    const namespaces = new Set(
      docs.flatMap((d) => ((d as Partial<Emf>)._aws?.CloudWatchMetrics ?? []).map((m) => m.Namespace)),
    );
    expect([...namespaces]).toEqual(['Trailwatch']);
  });

  it('logs each outcome as structured JSON naming bucket and key', () => {
    const telemetry = createLambdaTelemetry();

    const docs = captureOutput(() => {
      telemetry.observer.objectSkipped(
        { bucket: 'logs', key: 'k1' },
        'foreign-bucket',
        'not a source bucket',
      );
      telemetry.observer.objectFailed(
        { bucket: 'logs', key: 'k2' },
        new Error('s3://logs/k2: cannot read the log file: truncated'),
      );
    });

    expect(docs).toContainEqual(
      expect.objectContaining({
        level: 'INFO',
        message: 'log object skipped',
        bucket: 'logs',
        key: 'k1',
        reason: 'foreign-bucket',
        service: 'trailwatch',
      }),
    );
    expect(docs).toContainEqual(
      expect.objectContaining({ level: 'ERROR', message: 'log object failed', bucket: 'logs', key: 'k2' }),
    );
  });

  it('logs a resumed read as a warning naming the object, the byte and the reason', () => {
    const telemetry = createLambdaTelemetry();

    const docs = captureOutput(() => {
      telemetry.observer.readResumed?.(
        { bucket: 'logs', key: 'k3' },
        { offset: 1024, size: 4096, reopens: 1, reason: 'TimeoutError: socket timed out' },
      );
    });

    expect(docs).toContainEqual(
      expect.objectContaining({
        level: 'WARN',
        message: 'log object read resumed',
        bucket: 'logs',
        key: 'k3',
        offset: 1024,
        size: 4096,
        reopens: 1,
        reason: 'TimeoutError: socket timed out',
      }),
    );
  });
});
