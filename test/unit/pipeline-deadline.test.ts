import { gzipSync } from 'node:zlib';
import {
  ObjectProcessingError,
  OutOfTimeError,
  runLogPipeline,
  TIME_RESERVE_MS,
  type LogObjectSource,
} from '../../lambdas/core/pipeline';
import { seedRecords } from '../../local/seed-records';
import { MemoryAlertSink, MemoryEventSink } from '../helpers/memory-sinks';

// The pipeline given the caller's remaining time stops with a clear error before a step it could not
// finish, instead of being killed by the Lambda timeout in the middle of it.

const REF = { bucket: 'logs', key: 'AWSLogs/123456789012/CloudTrail/us-east-1/2017/05/04/f.json.gz' };

/** 7 seed records x 3, each with its own eventID: 21 watched events, 3 of them failed. */
const RECORDS = [...seedRecords(), ...seedRecords(), ...seedRecords()].map((s, i) => ({
  ...s.record,
  eventID: `id-${i}`,
}));

function source(records: unknown[]): LogObjectSource & { opened: number } {
  const body = gzipSync(JSON.stringify({ Records: records }));
  return {
    opened: 0,
    async open() {
      this.opened += 1;
      return (async function* () {
        yield body;
      })();
    },
  };
}

/** A clock of remaining time that loses `stepMs` at each look, starting from `startMs`. */
function countdown(startMs: number, stepMs: number): () => number {
  let left = startMs + stepMs;
  return () => (left -= stepMs);
}

async function failure(run: Promise<unknown>): Promise<ObjectProcessingError> {
  const err = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ObjectProcessingError);
  return err as ObjectProcessingError;
}

describe('runLogPipeline with the time left', () => {
  it('stops before the batch it has no time to store, names what it did, and never alerts', async () => {
    // Prepare: time for the start and two batch writes, not for the third.
    const sink = new MemoryEventSink();
    const alerts = new MemoryAlertSink();
    const remainingMs = countdown(TIME_RESERVE_MS + 2_500, 1_000);
    // Act
    const err = await failure(
      runLogPipeline(REF, { source: source(RECORDS), sink, alerts, batchSize: 5, remainingMs }),
    );
    // Assess
    expect(err.stage).toBe('store');
    expect(err.cause).toBeInstanceOf(OutOfTimeError);
    expect(err.message).toMatch(
      /^s3:\/\/logs\/.*f\.json\.gz: cannot store its events: out of time: 9\.5 s left before storing the next events, after \d+ records \(0\.0 MB\) read and 10 events stored; /,
    );
    expect(sink.batches.map((b) => b.length)).toEqual([5, 5]);
    expect(alerts.calls).toHaveLength(0);
  });

  it('stops before alerting when the events are stored but no time is left to alert', async () => {
    // Prepare: one look at the start, one per batch (21 events in 5 batches), then the look before alerting.
    const sink = new MemoryEventSink();
    const alerts = new MemoryAlertSink();
    const remainingMs = countdown(TIME_RESERVE_MS + 5_500, 1_000);
    // Act
    const err = await failure(
      runLogPipeline(REF, { source: source(RECORDS), sink, alerts, batchSize: 5, remainingMs }),
    );
    // Assess
    expect(err.stage).toBe('alert');
    expect(err.message).toMatch(/cannot send its alerts: out of time: .* before alerting on 3 failed calls/);
    expect(sink.batches.flat()).toHaveLength(21);
    expect(alerts.calls).toHaveLength(0);
  });

  it('does not open the file when the time is already short', async () => {
    // Prepare
    const src = source(RECORDS);
    // Act
    const err = await failure(
      runLogPipeline(REF, {
        source: src,
        sink: new MemoryEventSink(),
        remainingMs: () => TIME_RESERVE_MS - 1,
      }),
    );
    // Assess
    expect(err.stage).toBe('read');
    expect(src.opened).toBe(0);
  });

  it('runs to the end, alerts included, when the time suffices', async () => {
    // Prepare
    const sink = new MemoryEventSink();
    const alerts = new MemoryAlertSink();
    // Act
    const summary = await runLogPipeline(REF, {
      source: source(RECORDS),
      sink,
      alerts,
      batchSize: 5,
      remainingMs: countdown(TIME_RESERVE_MS + 6_500, 1_000),
    });
    // Assess
    expect(summary.status).toBe('processed');
    expect(sink.batches.flat()).toHaveLength(21);
    expect(alerts.calls).toHaveLength(1);
  });
});
