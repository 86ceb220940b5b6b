/**
 * The backfill run and its checkpoint, with an in-memory bucket and processor: what is done, what
 * is retried, what a resumed run reads. (The same against s3rver and dynalite: test/integration/backfill.test.ts.)
 */
import { runBackfill, type BackfillLister } from '../../lambdas/app/backfill-runner';
import { silentProgress } from '../../cli/progress';
import type { ListedObject } from '../../lambdas/adapters/s3-log-lister';
import { BackfillCheckpoint } from '../../lambdas/core/checkpoint';
import type { LogObjectRef, ObjectProcessor, ObjectSummary } from '../../lambdas/core/ports';

const ACCOUNT = '111111111111';
const NOW = new Date('2024-05-10T12:00:00Z');

function key(day: string, n: number): string {
  return `AWSLogs/${ACCOUNT}/CloudTrail/us-east-1/${day.replace(/-/g, '/')}/${ACCOUNT}_CloudTrail_us-east-1_${n}.json.gz`;
}

/** An in-memory bucket answering Delimiter '/' listings, recording the day folders listed. */
class MemoryBucket implements BackfillLister {
  readonly objectListings: string[] = [];
  constructor(private readonly keys: readonly string[]) {}

  async listChildPrefixes(prefix: string): Promise<string[]> {
    const children = new Set<string>();
    for (const k of this.keys) {
      const slash = k.startsWith(prefix) ? k.indexOf('/', prefix.length) : -1;
      if (slash >= 0) children.add(k.slice(0, slash + 1));
    }
    return [...children].sort();
  }

  async *listObjects(prefix: string): AsyncGenerator<ListedObject> {
    this.objectListings.push(prefix);
    for (const k of this.keys) {
      if (k.startsWith(prefix) && !k.slice(prefix.length).includes('/')) yield { key: k, size: 100 };
    }
  }
}

function summary(ref: LogObjectRef): ObjectSummary {
  return {
    ...ref,
    status: 'processed',
    bytesRead: 100,
    recordsRead: 1,
    recordsSkipped: {},
    eventsStored: { glue: 1 },
    failedCalls: 0,
    durationMs: 1,
  };
}

/** A processor that records keys, fails the keys in `failing`, and can abort after n objects. */
function processor(
  options: { failing?: Set<string>; abortAfter?: { n: number; controller: AbortController } } = {},
) {
  const seen: string[] = [];
  const p: ObjectProcessor = {
    async processObject(ref) {
      seen.push(ref.key);
      await new Promise((r) => setImmediate(r));
      if (options.abortAfter && seen.length === options.abortAfter.n) options.abortAfter.controller.abort();
      if (options.failing?.has(ref.key)) throw new Error(`s3://b/${ref.key}: cannot read the log file: boom`);
      return summary(ref);
    },
  };
  return { p, seen };
}

const DAYS = ['2024-05-01', '2024-05-02', '2024-05-03'];
const KEYS = DAYS.flatMap((d) => Array.from({ length: 40 }, (_, n) => key(d, n)));
const SCOPE = { prefix: '', from: DAYS[0] as string, to: DAYS[2] as string };

function run(
  bucket: MemoryBucket,
  checkpoint: BackfillCheckpoint,
  p: ObjectProcessor,
  extra: { signal?: AbortSignal; queueHighWater?: number; now?: Date } = {},
) {
  return runBackfill(
    { bucket: 'b', scope: SCOPE, concurrency: 4, dryRun: false },
    {
      lister: bucket,
      processor: p,
      checkpoint,
      progress: silentProgress(),
      now: () => extra.now ?? NOW,
      ...(extra.signal ? { signal: extra.signal } : {}),
      ...(extra.queueHighWater !== undefined ? { queueHighWater: extra.queueHighWater } : {}),
    },
  );
}

describe('runBackfill with its checkpoint', () => {
  test('an interrupted run (listing paused on a full queue) resumes without reading anything twice', async () => {
    // Prepare
    const bucket = new MemoryBucket(KEYS);
    const checkpoint = BackfillCheckpoint.fresh('f', 'scope', NOW);
    const controller = new AbortController();
    const first = processor({ abortAfter: { n: 30, controller } });

    // Act
    const report1 = await run(bucket, checkpoint, first.p, { signal: controller.signal, queueHighWater: 5 });
    const second = processor();
    const report2 = await run(bucket, checkpoint, second.p);

    // Assess
    expect(report1.interrupted).toBe(true);
    expect(first.seen.length).toBeGreaterThanOrEqual(30);
    expect(first.seen.length).toBeLessThanOrEqual(30 + 4);
    expect(report2.interrupted).toBe(false);
    expect(report2.objectsAlreadyDone).toBe(first.seen.length);
    expect(second.seen.filter((k) => first.seen.includes(k))).toEqual([]);
    expect([...first.seen, ...second.seen].sort()).toEqual([...KEYS].sort());
    expect(report2.eventsStored).toEqual({ glue: KEYS.length - first.seen.length });
    expect(checkpoint.toData(NOW).doneDays).toHaveLength(3);
  });

  test('a finished run makes the next one list and read nothing', async () => {
    // Prepare
    const bucket = new MemoryBucket(KEYS);
    const checkpoint = BackfillCheckpoint.fresh('f', 'scope', NOW);
    await run(bucket, checkpoint, processor().p);
    bucket.objectListings.length = 0;

    // Act
    const again = processor();
    const report = await run(bucket, checkpoint, again.p);

    // Assess
    expect(again.seen).toEqual([]);
    expect(bucket.objectListings).toEqual([]);
    expect(report.dayFoldersDone).toBe(3);
    expect(report.errors).toEqual([]);
  });

  test('failed objects are reported with their keys, keep their day open, and are the only ones retried', async () => {
    // Prepare
    const bucket = new MemoryBucket(KEYS);
    const checkpoint = BackfillCheckpoint.fresh('f', 'scope', NOW);
    const bad = new Set([key('2024-05-02', 7), key('2024-05-02', 8)]);

    // Act
    const report1 = await run(bucket, checkpoint, processor({ failing: bad }).p);
    const openAfterFailure = checkpoint.toData(NOW);
    const retry = processor();
    const report2 = await run(bucket, checkpoint, retry.p);

    // Assess
    expect(report1.failed).toBe(2);
    expect(report1.errors.map((e) => e.where).sort()).toEqual([...bad].map((k) => `s3://b/${k}`).sort());
    expect(report1.errors[0]?.message).toMatch(/cannot read the log file: boom$/);
    expect(openAfterFailure.doneDays).not.toContain(`AWSLogs/${ACCOUNT}/CloudTrail/us-east-1/2024/05/02/`);
    expect(openAfterFailure.doneDays).toHaveLength(2);
    expect(Object.keys(openAfterFailure.failedKeys).sort()).toEqual([...bad].sort());
    expect(checkpoint.toData(NOW).doneDays).toHaveLength(3);
    expect(retry.seen.sort()).toEqual([...bad].sort());
    expect(report2.failed).toBe(0);
    expect(checkpoint.failures().size).toBe(0);
  });

  test('a day that is not over yet keeps its keys: files delivered later are read by the next run', async () => {
    // Prepare: "now" is the last day of the range.
    const today = new Date('2024-05-03T15:00:00Z');
    const checkpoint = BackfillCheckpoint.fresh('f', 'scope', today);
    await run(new MemoryBucket(KEYS), checkpoint, processor().p, { now: today });
    const later = key('2024-05-03', 99);

    // Act
    const next = processor();
    await run(new MemoryBucket([...KEYS, later]), checkpoint, next.p, { now: today });

    // Assess
    expect(next.seen).toEqual([later]);
    // Only 05-01 has been over for 24 hours; 05-02 and 05-03 are remembered key by key.
    expect(checkpoint.toData(today).doneDays).toEqual([
      `AWSLogs/${ACCOUNT}/CloudTrail/us-east-1/2024/05/01/`,
    ]);
  });
});
