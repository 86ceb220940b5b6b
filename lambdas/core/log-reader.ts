// CONTRACT STUB — the streaming reader is being built; the signature below is fixed.
import { LogFileError } from './errors';

/** Counters the reader fills while it reads one file. */
export interface ReadStats {
  /** Bytes taken from the source (compressed size for gzip). */
  bytesIn: number;
  /** Bytes of JSON after decompression. */
  bytesDecoded: number;
  /** Elements of the top-level `Records` array. */
  recordsRead: number;
  /** Records yielded (their eventSource is one of the wanted ones). */
  recordsMatched: number;
  /** Records not yielded, by reason: `other-service`, `not-an-object`, `missing-eventSource`. */
  recordsSkipped: Record<string, number>;
}

/** A fresh, zeroed ReadStats. */
export function newReadStats(): ReadStats {
  return { bytesIn: 0, bytesDecoded: 0, recordsRead: 0, recordsMatched: 0, recordsSkipped: {} };
}

/** Options of readWatchedRecords. */
export interface ReadOptions {
  /** eventSource values to keep; default the four watched services. */
  readonly eventSources?: ReadonlySet<string>;
  /** Filled while reading. */
  readonly stats?: ReadStats;
}

/**
 * Streams one CloudTrail log object (gzip, detected by magic bytes, or plain JSON) and yields each
 * element of the top-level `Records` array whose eventSource is wanted, parsed, without holding the
 * whole file in memory. Throws LogFileError (message without the file name) for a file-level problem.
 */
export async function* readWatchedRecords(
  _source: AsyncIterable<Uint8Array>,
  _options: ReadOptions = {},
): AsyncGenerator<unknown, void, undefined> {
  throw new LogFileError('streaming reader not built yet');
}
