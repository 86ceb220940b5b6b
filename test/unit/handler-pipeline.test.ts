import { gzipSync } from 'node:zlib';
import { ObjectProcessingError, runLogPipeline, type LogObjectSource } from '../../lambdas/core/pipeline';
import type { EventSink, LogObjectRef } from '../../lambdas/core/ports';
import { createObjectProcessor } from '../../lambdas/app/object-processor';
import { seedRecords } from '../../local/seed-records';
import { MemoryAlertSink, MemoryEventSink } from '../helpers/memory-sinks';

const REF = { bucket: 'logs', key: 'AWSLogs/123456789012/CloudTrail/us-east-1/2017/05/04/f.json.gz' };

/** A source serving fixed bytes in small chunks, as a network stream does. */
function bytesSource(body: Buffer): LogObjectSource & { opened: number } {
  return {
    opened: 0,
    async open() {
      this.opened += 1;
      return (async function* () {
        for (let i = 0; i < body.length; i += 64) yield body.subarray(i, i + 64);
      })();
    },
  };
}

function logFile(records: unknown[]): Buffer {
  return gzipSync(JSON.stringify({ Records: records }));
}

const seeds = seedRecords().map((s) => s.record);
const otherService = {
  eventSource: 's3.amazonaws.com',
  eventName: 'ListBuckets',
  eventTime: '2017-05-04T00:00:00Z',
  eventID: 'x',
};

describe('runLogPipeline', () => {
  it('stores every event in bounded batches, then alerts once with every failed call', async () => {
    // Prepare: 7 seeds x 3 = 21 watched events (3 failed), plus other services' records.
    const records = [...seeds, otherService, ...seeds, ...seeds].map((r, i) => ({
      ...r,
      eventID: `id-${i}`,
    }));
    const sink = new MemoryEventSink();
    const alerts = new MemoryAlertSink();

    // Act
    const summary = await runLogPipeline(REF, {
      source: bytesSource(logFile(records)),
      sink,
      alerts,
      batchSize: 5,
    });

    // Assess
    expect(sink.batches.map((b) => b.length)).toEqual([5, 5, 5, 5, 1]);
    expect(alerts.calls).toHaveLength(1);
    expect(alerts.calls[0]?.failures.map((e) => e.eventName)).toEqual([
      'StartQueryExecution',
      'StartQueryExecution',
      'StartQueryExecution',
    ]);
    expect(alerts.calls[0]?.source).toEqual(REF);
    expect(summary).toMatchObject({
      bucket: 'logs',
      key: REF.key,
      status: 'processed',
      recordsRead: 22,
      eventsStored: { athena: 9, batch: 3, emr: 3, glue: 6 },
      failedCalls: 3,
      failedCallsByService: { athena: 3 },
      alerts: { messagesPublished: 1, eventsAlerted: 3 },
    });
    expect(summary.bytesRead).toBeGreaterThan(0);
    expect(summary.recordsSkipped).toMatchObject({ 'other-service': 1 });
  });

  it('counts a record repeated in its file once: stored, failed and alerted (issue 15, case 9)', async () => {
    // Prepare: every seed twice (once right after itself, once at the end, across batches), plus a
    // record with a repeated eventId but another time, which is another item in the table.
    const ids = seeds.map((r, i) => ({ ...r, eventID: `dup-${i}` }));
    const sameIdOtherTime = { ...ids[0], eventTime: '2017-05-04T00:00:01Z' };
    const records = [...ids.flatMap((r) => [r, r]), ...ids, sameIdOtherTime];
    const sink = new MemoryEventSink();
    const alerts = new MemoryAlertSink();

    // Act
    const summary = await runLogPipeline(REF, {
      source: bytesSource(logFile(records)),
      sink,
      alerts,
      batchSize: 4,
    });

    // Assess: each seed once plus the other-time record; repeats counted apart.
    const stored = sink.batches.flat().map((e) => `${e.eventId}@${e.eventTime}`);
    expect(new Set(stored).size).toBe(stored.length);
    expect(stored).toHaveLength(seeds.length + 1);
    const storedCount = Object.values(summary.eventsStored).reduce((a, b) => a + b, 0);
    expect(storedCount).toBe(seeds.length + 1);
    expect(summary.failedCalls).toBe(seeds.filter((r) => r.errorCode !== undefined).length);
    expect(alerts.calls[0]?.failures).toHaveLength(summary.failedCalls);
    expect(summary.recordsSkipped).toMatchObject({ 'duplicate-event': seeds.length * 2 });
    expect(summary.recordsRead).toBe(records.length);
  });

  it('does not call the alerter when nothing failed', async () => {
    const alerts = new MemoryAlertSink();
    const ok = seeds.filter((r) => r.errorCode === undefined);

    const summary = await runLogPipeline(REF, {
      source: bytesSource(logFile(ok)),
      sink: new MemoryEventSink(),
      alerts,
    });

    expect(alerts.calls).toHaveLength(0);
    expect(summary.failedCalls).toBe(0);
    expect(summary.alerts).toBeUndefined();
  });

  it('hands the delivery time on to the sink and alerter with the object', async () => {
    const seen: LogObjectRef[] = [];
    const sink: EventSink = { putEvents: async (_e, source) => void seen.push(source) };
    const deliveredAt = new Date('2017-05-04T00:25:00Z');

    await runLogPipeline({ ...REF, deliveredAt }, { source: bytesSource(logFile(seeds)), sink });

    expect(seen).toEqual([{ ...REF, deliveredAt }]);
  });

  it.each([
    [
      'a corrupt gzip file',
      gzipSync(JSON.stringify({ Records: seeds })).subarray(0, 200),
      'read',
      /cannot read the log file/,
    ],
    ['not a log file', Buffer.from('{"hello": 1}'), 'read', /cannot read the log file/],
  ])('fails the file, naming it and the stage, for %s', async (_name, body, stage, message) => {
    const alerts = new MemoryAlertSink();

    const failure = runLogPipeline(REF, { source: bytesSource(body), sink: new MemoryEventSink(), alerts });

    await expect(failure).rejects.toBeInstanceOf(ObjectProcessingError);
    await expect(failure).rejects.toMatchObject({
      stage,
      bucket: 'logs',
      key: REF.key,
      message: expect.stringMatching(message),
    });
    await expect(failure).rejects.toThrow(`s3://logs/${REF.key}`);
    expect(alerts.calls).toHaveLength(0);
  });

  it('fails the file when the source cannot be opened', async () => {
    const source: LogObjectSource = {
      open: async () => Promise.reject(new Error('the object does not exist (NoSuchKey)')),
    };

    const failure = runLogPipeline(REF, { source, sink: new MemoryEventSink() });

    await expect(failure).rejects.toMatchObject({
      stage: 'read',
      message: `s3://logs/${REF.key}: cannot read the log file: the object does not exist (NoSuchKey)`,
    });
  });

  it('fails the file when storing fails, and sends no alert', async () => {
    const alerts = new MemoryAlertSink();

    const failure = runLogPipeline(REF, {
      source: bytesSource(logFile([...seeds, ...seeds])),
      sink: new MemoryEventSink(2),
      alerts,
      batchSize: 5,
    });

    await expect(failure).rejects.toMatchObject({
      stage: 'store',
      message: expect.stringContaining('cannot store its events: table unavailable'),
    });
    expect(alerts.calls).toHaveLength(0);
  });

  it('fails the file when alerting fails, after every event is stored', async () => {
    const sink = new MemoryEventSink();

    const failure = runLogPipeline(REF, {
      source: bytesSource(logFile(seeds)),
      sink,
      alerts: new MemoryAlertSink(true),
    });

    await expect(failure).rejects.toMatchObject({
      stage: 'alert',
      message: expect.stringContaining('cannot send its alerts: topic unavailable'),
    });
    expect(sink.batches.flat()).toHaveLength(7);
  });
});

describe('createObjectProcessor skips', () => {
  const key = (k: string) => ({ bucket: 'logs', key: k, size: 100 });
  const logKey =
    'AWSLogs/123456789012/CloudTrail/us-east-1/2017/05/04/123456789012_CloudTrail_us-east-1_20170504T0025Z_AB12.json.gz';

  it.each([
    ['foreign-bucket', { bucket: 'elsewhere', key: logKey, size: 100 }],
    ['digest', key('AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2017/05/04/d.json.gz')],
    ['insight', key('AWSLogs/123456789012/CloudTrail-Insight/us-east-1/2017/05/04/i.json.gz')],
    ['folder', key('AWSLogs/123456789012/CloudTrail/us-east-1/2017/05/04/')],
    ['not-a-log-key', key('notes/readme.txt')],
    ['not-a-log-key', key(`other/${logKey}`)],
    ['empty-object', { bucket: 'logs', key: logKey, size: 0 }],
  ])('%s without reading the object', async (reason, ref) => {
    // Prepare
    const source = bytesSource(logFile(seeds));
    const skipped: string[] = [];
    const processor = createObjectProcessor({
      source,
      sink: new MemoryEventSink(),
      sourceBuckets: ['logs'],
      logPrefix: ref.key.startsWith('other/') ? 'trail/' : '',
      observer: {
        objectProcessed: () => undefined,
        objectSkipped: (_r, why) => void skipped.push(why),
        objectFailed: () => undefined,
        eventIgnored: () => undefined,
      },
    });

    // Act
    const summary = await processor.processObject(ref);

    // Assess
    expect(summary).toMatchObject({
      status: 'skipped',
      skipReason: reason,
      bucket: ref.bucket,
      key: ref.key,
      eventsStored: {},
    });
    expect(skipped).toEqual([reason]);
    expect(source.opened).toBe(0);
  });

  it.each([
    ['trail', 'trail/', 'processed'],
    ['/trail/', 'trail/', 'processed'],
    ['trail', 'trail2/', 'skipped'],
    ['trail', '', 'skipped'],
    ['trail', 'x/trail/', 'skipped'],
    ['', '', 'processed'],
    // '' is "no prefix", not "any prefix": a writer elsewhere in the bucket is not read.
    ['', 'any prefix/', 'skipped'],
    ['', 'AWSLogs/111122223333/', 'skipped'],
    ['trail', 'trail/AWSLogs/111122223333/', 'skipped'],
  ])('LOG_PREFIX %j and key prefix %j: %s', async (logPrefix, prefix, status) => {
    const processor = createObjectProcessor({
      source: bytesSource(logFile(seeds)),
      sink: new MemoryEventSink(),
      logPrefix,
    });

    const summary = await processor.processObject({ bucket: 'logs', key: `${prefix}${logKey}` });

    expect(summary.status).toBe(status);
  });

  it("uses CloudTrail's delivery time from the file name over the notification's", async () => {
    const seen: Array<LogObjectRef & { deliveredAt?: Date }> = [];
    const processor = createObjectProcessor({
      source: bytesSource(logFile(seeds)),
      sink: { putEvents: async (_e, s) => void seen.push(s) },
    });

    await processor.processObject({
      bucket: 'logs',
      key: logKey,
      deliveredAt: new Date('2030-01-01T00:00:00Z'),
    });

    expect(seen[0]?.deliveredAt).toEqual(new Date('2017-05-04T00:25:00Z'));
  });

  it('reads any file name with keyLayout any (local files), still skipping digests', async () => {
    const processor = createObjectProcessor({
      source: bytesSource(logFile(seeds)),
      sink: new MemoryEventSink(),
      keyLayout: 'any',
    });

    const plain = await processor.processObject({ bucket: 'file:', key: '/tmp/my-log.json.gz' });
    const digest = await processor.processObject({
      bucket: 'file:',
      key: '/tmp/AWSLogs/1/CloudTrail-Digest/x.json.gz',
    });

    expect(plain.status).toBe('processed');
    expect(digest).toMatchObject({ status: 'skipped', skipReason: 'digest' });
  });
});
