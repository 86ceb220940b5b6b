import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { encodeBackfillBatch } from '../../lambdas/core/backfill-batch';
import { ConfigError } from '../../lambdas/core/errors';
import { ObjectProcessingError } from '../../lambdas/core/pipeline';
import type { ObjectSummary } from '../../lambdas/core/ports';
import {
  handleSqsBatch,
  InvalidSqsEventError,
  MIN_MS_TO_START_KEY,
  type BatchObserver,
} from '../../lambdas/app/backfill-batch-handler';
import type { LogObjectProcessor } from '../../lambdas/app/object-processor';
import { loadBackfillConfig } from '../../lambdas/ingest/config';

const BUCKET = 'org-trail-logs';
const key = (n: number) =>
  `AWSLogs/111122223333/CloudTrail/eu-west-1/2024/05/01/111122223333_CloudTrail_eu-west-1_20240501T0000Z_${n}.json.gz`;

function record(messageId: string, body: string): SQSRecord {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '1714521600000',
      SenderId: 'AIDA',
      ApproximateFirstReceiveTimestamp: '1714521600000',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:111122223333:trailwatch-backfill',
    awsRegion: 'eu-west-1',
  };
}

function batchBody(keys: string[], runId = 'run-1'): string {
  return encodeBackfillBatch({ kind: 'trailwatch.backfill-batch', version: 1, runId, bucket: BUCKET, keys });
}

/** A processor that fails the keys it is told to and records what it was asked. */
function fakeProcessor(failing: Set<string> = new Set()): LogObjectProcessor & { seen: string[] } {
  const seen: string[] = [];
  return {
    seen,
    async processObject(ref) {
      seen.push(ref.key);
      if (failing.has(ref.key))
        throw new ObjectProcessingError(ref.bucket, ref.key, 'read', new Error('boom'));
      return { bucket: ref.bucket, key: ref.key, status: 'processed' } as ObjectSummary;
    },
  };
}

function recordingObserver(): BatchObserver & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    messageRejected: (id, reason) => lines.push(`rejected ${id}: ${reason}`),
    messageFailed: (id, runId, keys) => lines.push(`failed ${id} (${runId}): ${keys.length}`),
  };
}

describe('handleSqsBatch (the backfill function app)', () => {
  it('processes every key of every message and reports no failure when all succeed', async () => {
    const processor = fakeProcessor();
    const event: SQSEvent = {
      Records: [record('m1', batchBody([key(1), key(2)])), record('m2', batchBody([key(3)]))],
    };
    const response = await handleSqsBatch(event, processor, recordingObserver());
    expect(response).toEqual({ batchItemFailures: [] });
    expect(processor.seen.sort()).toEqual([key(1), key(2), key(3)]);
  });

  it('fails only the message whose key failed, after trying its other keys', async () => {
    const processor = fakeProcessor(new Set([key(2)]));
    const observer = recordingObserver();
    const event = {
      Records: [record('m1', batchBody([key(1), key(2), key(4)])), record('m2', batchBody([key(3)]))],
    };
    const response = await handleSqsBatch(event, processor, observer);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
    expect(processor.seen.sort()).toEqual([key(1), key(2), key(3), key(4)]);
    expect(observer.lines).toEqual(['failed m1 (run-1): 1']);
  });

  it('fails a malformed message alone, with a line naming the field', async () => {
    const processor = fakeProcessor();
    const observer = recordingObserver();
    const event = {
      Records: [
        record('bad', '{"kind":"trailwatch.backfill-batch","version":1}'),
        record('ok', batchBody([key(1)])),
      ],
    };
    const response = await handleSqsBatch(event, processor, observer);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'bad' }]);
    expect(processor.seen).toEqual([key(1)]);
    expect(observer.lines).toEqual(['rejected bad: backfill batch: runId: expected a string']);
  });

  it('leaves keys unstarted (their message failed) when too little time is left', async () => {
    const processor = fakeProcessor();
    let left = MIN_MS_TO_START_KEY + 1;
    const remainingMs = () => left;
    const slow: LogObjectProcessor = {
      async processObject(ref, options) {
        const summary = await processor.processObject(ref, options);
        left = MIN_MS_TO_START_KEY - 1; // the first object used up the time
        return summary;
      },
    };
    const response = await handleSqsBatch(
      { Records: [record('m1', batchBody([key(1), key(2), key(3)]))] },
      slow,
      recordingObserver(),
      { remainingMs, keysAtOnce: 1 },
    );
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
    expect(processor.seen).toEqual([key(1)]);
  });

  it('refuses an event that is not an SQS event', async () => {
    await expect(
      handleSqsBatch({ Records: [{ s3: {} }] }, fakeProcessor(), recordingObserver()),
    ).rejects.toThrow(InvalidSqsEventError);
    await expect(handleSqsBatch('x', fakeProcessor(), recordingObserver())).rejects.toThrow(
      'invalid event: not an SQS event',
    );
  });
});

describe('loadBackfillConfig', () => {
  const ENV = {
    TABLE_NAME: 'events',
    ALERT_STATE_TABLE_NAME: 'alert-state',
    ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:alerts',
    SOURCE_BUCKETS: BUCKET,
  };

  it('reads the ingest function environment with alerts off by default', () => {
    const config = loadBackfillConfig(ENV);
    expect(config.tableName).toBe('events');
    expect(config.sourceBuckets).toEqual([BUCKET]);
    expect(config.alerts).toBeUndefined();
    expect(loadBackfillConfig({ ...ENV, BACKFILL_ALERTS: 'off' }).alerts).toBeUndefined();
  });

  it('alerts with BACKFILL_ALERTS=on, as the live path is configured', () => {
    expect(loadBackfillConfig({ ...ENV, BACKFILL_ALERTS: 'on' }).alerts).toMatchObject({
      topicArn: ENV.ALERT_TOPIC_ARN,
      stateTableName: 'alert-state',
    });
  });

  it('names a bad BACKFILL_ALERTS and the ingest variables that are wrong too', () => {
    expect(() => loadBackfillConfig({ ...ENV, BACKFILL_ALERTS: 'yes' })).toThrow(
      "invalid environment: BACKFILL_ALERTS: expected 'on' or 'off'",
    );
    expect(() => loadBackfillConfig({ BACKFILL_ALERTS: 'yes' })).toThrow(
      /BACKFILL_ALERTS.*; TABLE_NAME: required/,
    );
    expect(() => loadBackfillConfig({ SOURCE_BUCKETS: BUCKET })).toThrow(ConfigError);
  });
});

describe('the backfill function entry point (lambdas/ingest/backfill-handler.ts)', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('answers a partial batch response; keys of a bucket it does not watch are skipped (no read)', async () => {
    process.env = {
      ...saved,
      TABLE_NAME: 'events',
      SOURCE_BUCKETS: 'watched-bucket',
      ALERTS_ENABLED: 'false',
      AWS_REGION: 'eu-west-1',
      POWERTOOLS_DEV: 'true',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    };
    let mod: typeof import('../../lambdas/ingest/backfill-handler') | undefined;
    // A fresh module: the entry point reads its environment once, at load (the cold start).
    await jest.isolateModulesAsync(async () => {
      mod = await import('../../lambdas/ingest/backfill-handler');
    });
    const event: SQSEvent = { Records: [record('bad', 'nope'), record('foreign', batchBody([key(1)]))] };
    const response = await mod!.handler(event, { getRemainingTimeInMillis: () => 60_000 });
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'bad' }] });
  });
});
