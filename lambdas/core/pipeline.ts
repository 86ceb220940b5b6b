import { TrailwatchError } from './errors';
import { OutOfTimeError, TIME_RESERVE_MS } from './out-of-time';
import { newLogStats, readLogEvents } from './log-events';
import { describeObject } from './object-ref';
import type { NormalizedEvent } from './normalized-event';
export { describeObject, LOCAL_FILE_BUCKET } from './object-ref';
import type { AlertOutcome, AlertSink, EventSink, FileAlerts, LogObjectRef, ObjectSummary } from './ports';
import type { ServiceName } from './services';

/** What a source may need to know while it opens and streams an object. */
export interface OpenOptions {
  /** Milliseconds the caller has left: a source that would reopen a broken body does so only in time. */
  readonly remainingMs?: () => number;
}

/** Opens the byte stream of one log object (an S3 GetObject body, a local file). */
export interface LogObjectSource {
  /** Throws a TrailwatchError naming the object when it cannot be opened (gone, denied). */
  open(ref: LogObjectRef, options?: OpenOptions): Promise<AsyncIterable<Uint8Array>>;
}

/**
 * The object to process. `deliveredAt` (the notification's eventTime, a file's mtime) is handed on
 * to the sink, so processing the same delivery twice writes identical items.
 */
export type PipelineObjectRef = LogObjectRef & { readonly deliveredAt?: Date };

/** What runLogPipeline needs. */
export interface PipelineDeps {
  readonly source: LogObjectSource;
  readonly sink: EventSink;
  /** Omit to store events without alerting (`--no-alerts`, ALERTS_ENABLED=false). */
  readonly alerts?: AlertSink;
  /** Events written per putEvents call: bounds memory whatever the file size. Default 500. */
  readonly batchSize?: number;
  /** Milliseconds clock for durationMs; default Date.now. */
  readonly clock?: () => number;
  /**
   * Milliseconds the caller has left (the Lambda's `getRemainingTimeInMillis`). When given, the pipeline
   * stops with OutOfTimeError before a step it could not finish in time. Omit for no limit.
   */
  readonly remainingMs?: () => number;
}

export { OutOfTimeError, TIME_RESERVE_MS } from './out-of-time';

/** The stage of the pipeline where a file-level error happened. */
export type PipelineStage = 'read' | 'store' | 'alert';

/** A log object could not be processed (file-level): names the bucket, key and stage; the cause is kept. */
export class ObjectProcessingError extends TrailwatchError {
  constructor(
    readonly bucket: string,
    readonly key: string,
    readonly stage: PipelineStage,
    cause: unknown,
    /** What was done before the failure: an `alert` failure comes after every event was stored. */
    readonly done?: {
      readonly eventsStored: Partial<Record<ServiceName, number>>;
      readonly failedCalls: number;
    },
  ) {
    super(`${describeObject({ bucket, key })}: ${STAGE_WORDS[stage]}: ${reasonOf(cause)}`, { cause });
  }
}

const STAGE_WORDS: Record<PipelineStage, string> = {
  read: 'cannot read the log file',
  store: 'cannot store its events',
  alert: 'cannot send its alerts',
};

/** An ObjectSummary plus the failed calls per service (for the FailedCalls metric). */
export interface PipelineSummary extends ObjectSummary {
  readonly failedCallsByService: Partial<Record<ServiceName, number>>;
}

const DEFAULT_BATCH_SIZE = 500;

/** The recordsSkipped reason of a record repeated in its file (same service, eventTime and eventId). */
export const DUPLICATE_SKIP = 'duplicate-event';
/**
 * Distinct events per file remembered to recognise repeats (about 10 MB at most). Past it, a repeat
 * of an event not remembered is written again (the same item) and counted again: memory stays bounded.
 */
export const MAX_TRACKED_EVENTS = 100_000;

/**
 * Reads one log object, stores its Glue/EMR/Athena/Batch events in batches as they stream, then
 * alerts once on the file's failed calls. Record-level problems are counted in the summary; a
 * file-level problem throws ObjectProcessingError. Alerts are sent only after every event is stored,
 * so a failure part-way leaves nothing alerted and the retry redoes the whole file idempotently.
 */
export async function runLogPipeline(ref: PipelineObjectRef, deps: PipelineDeps): Promise<PipelineSummary> {
  const clock = deps.clock ?? Date.now;
  const batchSize = Math.max(1, deps.batchSize ?? DEFAULT_BATCH_SIZE);
  const started = clock();
  const stats = newLogStats();
  const eventsStored: Partial<Record<ServiceName, number>> = {};
  const failedCallsByService: Partial<Record<ServiceName, number>> = {};
  // The file's alerts are built as it is read (bounded: the first failures per service whole, the
  // rest claimed in chunks and counted) and published once every event is stored.
  const fileAlerts: FileAlerts | undefined = deps.alerts?.begin(
    ref,
    deps.remainingMs ? { remainingMs: deps.remainingMs } : {},
  );
  let failedCalls = 0;
  let batch: NormalizedEvent[] = [];
  // A record repeated in the file is one item in the table (same keys) and one alert: count it once.
  const seen = new Set<string>();

  // Stops before a step that might not finish in the time left, rather than being killed in its middle.
  const checkTime = (before: string): void => {
    const left = deps.remainingMs?.();
    if (left === undefined || left >= TIME_RESERVE_MS) return;
    const stored = Object.values(eventsStored).reduce((sum, n) => sum + (n ?? 0), 0);
    throw new OutOfTimeError(
      `out of time: ${(Math.max(0, left) / 1000).toFixed(1)} s left before ${before}, after ` +
        `${stats.recordsRead} records (${(stats.bytesIn / 1e6).toFixed(1)} MB) read and ${stored} events stored; ` +
        `the file needs more time than the function's timeout allows`,
    );
  };

  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    try {
      checkTime('storing the next events');
    } catch (err) {
      throw new ObjectProcessingError(ref.bucket, ref.key, 'store', err);
    }
    const events = batch;
    batch = [];
    try {
      await deps.sink.putEvents(events, ref);
    } catch (err) {
      throw new ObjectProcessingError(ref.bucket, ref.key, 'store', err);
    }
    for (const event of events) eventsStored[event.service] = (eventsStored[event.service] ?? 0) + 1;
  };

  let stream: AsyncIterable<Uint8Array>;
  try {
    checkTime('reading the file');
    stream = await deps.source.open(ref, deps.remainingMs ? { remainingMs: deps.remainingMs } : {});
  } catch (err) {
    throw new ObjectProcessingError(ref.bucket, ref.key, 'read', err);
  }
  const events = readLogEvents(stream, stats);
  for (;;) {
    let next: IteratorResult<NormalizedEvent>;
    try {
      next = await events.next();
    } catch (err) {
      throw new ObjectProcessingError(ref.bucket, ref.key, 'read', err);
    }
    if (next.done) break;
    const event = next.value;
    const identity = `${event.service}\n${event.eventTime}\n${event.eventId}`;
    if (seen.has(identity)) {
      stats.recordsSkipped[DUPLICATE_SKIP] = (stats.recordsSkipped[DUPLICATE_SKIP] ?? 0) + 1;
      continue;
    }
    if (seen.size < MAX_TRACKED_EVENTS) seen.add(identity);
    batch.push(event);
    if (event.failed) {
      failedCalls += 1;
      failedCallsByService[event.service] = (failedCallsByService[event.service] ?? 0) + 1;
      try {
        await fileAlerts?.add(event);
      } catch (err) {
        await events.return(undefined).catch(() => undefined);
        throw new ObjectProcessingError(ref.bucket, ref.key, 'alert', err, { eventsStored, failedCalls });
      }
    }
    if (batch.length >= batchSize) {
      try {
        await flush();
      } catch (err) {
        // Stop reading: release the source stream before reporting.
        await events.return(undefined).catch(() => undefined);
        throw err;
      }
    }
  }
  await flush();

  let alerts: AlertOutcome | undefined;
  if (fileAlerts && failedCalls > 0) {
    try {
      checkTime(`alerting on ${failedCalls} failed calls`);
      alerts = await fileAlerts.finish();
    } catch (err) {
      throw new ObjectProcessingError(ref.bucket, ref.key, 'alert', err, { eventsStored, failedCalls });
    }
  }

  return {
    bucket: ref.bucket,
    key: ref.key,
    status: 'processed',
    bytesRead: stats.bytesIn,
    recordsRead: stats.recordsRead,
    recordsSkipped: { ...stats.recordsSkipped },
    eventsStored,
    failedCalls,
    failedCallsByService,
    ...(alerts ? { alerts } : {}),
    durationMs: clock() - started,
  };
}

function reasonOf(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  return String(cause);
}
