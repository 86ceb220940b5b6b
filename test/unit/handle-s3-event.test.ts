// Issue 15, case 9: one malformed record of an S3 notification must not cost the valid ones, and an
// invocation whose objects all fail must not produce an unbounded error message.
import { ObjectProcessingError } from '../../lambdas/core/pipeline';
import type { ObjectSummary } from '../../lambdas/core/ports';
import type { LogObjectProcessor } from '../../lambdas/app/object-processor';
import { handleS3Event, IngestFailedError } from '../../lambdas/app/s3-event-handler';

function record(key: string): Record<string, unknown> {
  return {
    eventSource: 'aws:s3',
    eventName: 'ObjectCreated:Put',
    eventTime: '2024-01-01T00:05:00Z',
    s3: { bucket: { name: 'logs' }, object: { key, size: 10 } },
  };
}

/** A processor that records what it was asked and fails the keys it is told to. */
function processor(failing: (key: string) => boolean = () => false): LogObjectProcessor & { keys: string[] } {
  const keys: string[] = [];
  return {
    keys,
    async processObject(ref): Promise<ObjectSummary> {
      keys.push(ref.key);
      if (failing(ref.key)) {
        throw new ObjectProcessingError(ref.bucket, ref.key, 'store', new Error('table unavailable'));
      }
      return {
        bucket: ref.bucket,
        key: ref.key,
        status: 'processed',
        bytesRead: 10,
        recordsRead: 0,
        recordsSkipped: {},
        eventsStored: {},
        failedCalls: 0,
        durationMs: 0,
      };
    },
  };
}

describe('handleS3Event', () => {
  it('processes the valid records of an event with malformed ones, then fails naming each bad one', async () => {
    // Prepare: valid, bad escape, no bucket, valid.
    const noBucket = { ...record('x.json.gz'), s3: { object: { key: 'x.json.gz' } } };
    const event = { Records: [record('a.json.gz'), record('b%zz.json.gz'), noBucket, record('c.json.gz')] };
    const objects = processor();

    // Act
    const outcome = handleS3Event(event, objects);

    // Assess: both valid objects were processed before the invocation failed with the two rejected records.
    const error = await outcome.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(objects.keys).toEqual(['a.json.gz', 'c.json.gz']);
    expect(error).toBeInstanceOf(IngestFailedError);
    const failed = error as IngestFailedError;
    expect(failed.attempted).toBe(4);
    expect(failed.failures.map((f) => [f.bucket, f.key])).toEqual([
      ['logs', 'b%zz.json.gz'],
      ['', 'x.json.gz'],
    ]);
    expect(failed.message).toMatch(
      /^2 of 4 log objects failed: invalid event: Records\.1\.s3\.object\.key: 'b%zz\.json\.gz' is not valid URL encoding \| invalid event: Records\.2\.s3\.bucket: /,
    );
  });

  it('keeps the message of 1,000 failed objects short and still lists every failure', async () => {
    // Prepare: 1,000 objects with long keys, every one failing.
    const keys = Array.from(
      { length: 1000 },
      (_, i) => `AWSLogs/123456789012/CloudTrail/us-east-1/2024/01/01/${'x'.repeat(60)}-${i}.json.gz`,
    );
    const objects = processor(() => true);

    // Act
    const error = await handleS3Event({ Records: keys.map(record) }, objects).then(
      () => undefined,
      (err: unknown) => err as IngestFailedError,
    );

    // Assess: every object attempted and listed; the message names ten and counts the rest.
    expect(objects.keys).toHaveLength(1000);
    expect(error?.failures).toHaveLength(1000);
    expect(error?.message.startsWith('1000 of 1000 log objects failed: ')).toBe(true);
    expect(error?.message).toMatch(/ \| and 990 more$/);
    expect(error?.message.length).toBeLessThan(5_000);
  });
});
