import { newReadStats, readWatchedRecords, type ReadStats } from './log-reader';
import { normalizeRecord, type NormalizeSkipReason } from './normalize';
import type { NormalizedEvent } from './normalized-event';

/** Counters of one or more log files: the reader's, plus events kept; normalization skips join recordsSkipped. */
export interface LogStats extends ReadStats {
  /** Records that became a NormalizedEvent. */
  eventsKept: number;
}

/** A fresh, zeroed LogStats. */
export function newLogStats(): LogStats {
  return { ...newReadStats(), eventsKept: 0 };
}

/** Options of readLogEvents. */
export interface LogEventsOptions {
  /** Called for each record normalization skips (after it is counted), e.g. to log why. */
  readonly onSkip?: (reason: NormalizeSkipReason, message: string) => void;
  /** Inflate on a worker thread (ReadOptions.inflateOffThread; inflateOffThreadPays decides). */
  readonly inflateOffThread?: boolean;
}

/**
 * Streams one CloudTrail log object and yields the NormalizedEvent of each Glue, EMR, Athena and Batch
 * call in it. Records that cannot be normalized are counted under their reason and skipped; a file-level
 * problem throws LogFileError (from the reader) after the events before it were yielded.
 */
export async function* readLogEvents(
  source: AsyncIterable<Uint8Array>,
  stats: LogStats,
  options: LogEventsOptions = {},
): AsyncGenerator<NormalizedEvent, void, undefined> {
  for await (const raw of readWatchedRecords(source, { stats, inflateOffThread: options.inflateOffThread })) {
    const result = normalizeRecord(raw);
    if (result.ok) {
      stats.eventsKept += 1;
      yield result.event;
    } else {
      stats.recordsSkipped[result.reason] = (stats.recordsSkipped[result.reason] ?? 0) + 1;
      options.onSkip?.(result.reason, result.message);
    }
  }
}
