import { LogFileError } from './errors';
import { gunzipChunks, startsWithGzipMagic } from './gzip-stream';
import { RecordsScanner } from './json-records-scanner';
import { warmUpScanner } from './json-scanner-warm-up';
import { WATCHED_EVENT_SOURCES } from './services';

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
  /**
   * Inflate gzip on a worker thread, overlapping the scan (default false: on the calling thread, between
   * scans). Pays for large files where a second core is free; inflateOffThreadPays decides.
   */
  readonly inflateOffThread?: boolean;
}

const WATCHED = new Set(WATCHED_EVENT_SOURCES);

/**
 * Streams one CloudTrail log object (gzip, detected by magic bytes, or plain JSON) and yields each
 * element of the top-level `Records` array whose eventSource is wanted, parsed, without holding the
 * whole file in memory. Throws LogFileError (message without the file name) for a file-level problem.
 */
export async function* readWatchedRecords(
  source: AsyncIterable<Uint8Array>,
  options: ReadOptions = {},
): AsyncGenerator<unknown, void, undefined> {
  for await (const records of scanPieces(source, options, undefined)) yield* records;
}

/** The wanted records that ended in one piece of the decompressed data, as bytes (see readWatchedRecordBytes). */
export interface RawRecords {
  /** Each record's bytes, in file order (views of the reader's buffers, valid until the next piece is asked for). */
  readonly records: readonly Buffer[];
  /** RAW_COUNTER_FIELDS numbers per record: the counters as they stood at it (RecordsScanner's `raw`). */
  readonly counters: readonly number[];
}

/**
 * readWatchedRecords for a caller that parses the records elsewhere (another thread): yields, per piece of
 * decompressed data, the wanted records' bytes undecoded. Invalid JSON in a record is the caller's to
 * report; every other file-level problem throws LogFileError here, as in readWatchedRecords.
 */
export async function* readWatchedRecordBytes(
  source: AsyncIterable<Uint8Array>,
  options: ReadOptions = {},
): AsyncGenerator<RawRecords, void, undefined> {
  const holder: RawHolder = {};
  for await (const records of scanPieces(source, options, holder)) {
    yield { records: records as Buffer[], counters: holder.scanner!.takeRawCounters() };
  }
}

/** readWatchedRecordBytes's hold on the raw scanner. */
interface RawHolder {
  scanner?: RecordsScanner;
}

/**
 * The reading both share: yields the scanner's output for each piece. With `rawScanner` the scanner hands
 * out bytes and is put there, so the caller can take its counters.
 */
async function* scanPieces(
  source: AsyncIterable<Uint8Array>,
  options: ReadOptions,
  rawScanner: RawHolder | undefined,
): AsyncGenerator<unknown[], void, undefined> {
  const stats = options.stats ?? newReadStats();
  warmUpScanner();
  const input = source[Symbol.asyncIterator]();
  try {
    // Enough bytes to see the gzip magic number; they are replayed in front of the rest.
    const head: Buffer[] = [];
    let headLength = 0;
    while (headLength < 2) {
      const next = await input.next();
      if (next.done) break;
      const chunk = asBuffer(next.value);
      stats.bytesIn += chunk.length;
      if (chunk.length === 0) continue;
      head.push(chunk);
      headLength += chunk.length;
    }
    if (headLength === 0) throw new LogFileError('file is empty');

    const gzipped = startsWithGzipMagic(head.length === 1 ? head[0]! : Buffer.concat(head));
    const raw = replay(head, input, stats);
    const decoded = gzipped ? gunzipChunks(raw, { offThread: options.inflateOffThread === true }) : raw;
    const scanner = new RecordsScanner({
      wanted: options.eventSources ?? WATCHED,
      counters: stats,
      notJsonMessage: gzipped ? 'decompressed data is not JSON' : 'neither gzip nor JSON',
      raw: rawScanner !== undefined,
    });
    if (rawScanner) rawScanner.scanner = scanner;

    let decodedAny = false;
    for await (const chunk of decoded) {
      stats.bytesDecoded += chunk.length;
      if (chunk.length > 0) decodedAny = true;
      const records = scanner.push(chunk);
      if (records.length > 0) yield records;
    }
    if (!decodedAny) throw new LogFileError('decompressed data is empty');
    scanner.finish();
  } finally {
    await input.return?.();
  }
}

/** The bytes already taken, then the rest of the source, counting bytesIn. */
async function* replay(
  head: readonly Buffer[],
  rest: AsyncIterator<Uint8Array>,
  stats: ReadStats,
): AsyncGenerator<Buffer, void, undefined> {
  yield* head;
  for (;;) {
    const next = await rest.next();
    if (next.done) return;
    const chunk = asBuffer(next.value);
    stats.bytesIn += chunk.length;
    if (chunk.length > 0) yield chunk;
  }
}

/** A Buffer view of the bytes, without copying. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
