// The two-thread parse's pieces against the single-threaded reader, on chunks the test chooses (the CLI's
// come from zlib): the scanner in raw mode, the batcher and linesOfBatch give the same lines, counts and
// error as the scanner parsing the records itself, also when a record in the middle of a piece is not JSON.
import { lineBytesOfBatch, linesOfBatch } from '../../lambdas/core/event-lines';
import { LogFileError } from '../../lambdas/core/errors';
import { RecordsScanner, type ScanCounters } from '../../lambdas/core/json-records-scanner';
import { normalizeRecord } from '../../lambdas/core/normalize';
import { RawRecordBatcher, type RawRecordBatch } from '../../lambdas/core/raw-record-batch';
import { WATCHED_EVENT_SOURCES } from '../../lambdas/core/services';
import { seedRecords } from '../../local/seed-records';

const WANTED = new Set(WATCHED_EVENT_SOURCES);
const SEEDS = seedRecords().map((s) => s.record);

interface Result {
  text: string;
  kept: number;
  skipped: Record<string, number>;
  counters: ScanCounters;
  error?: string;
}

const newCounters = (): ScanCounters => ({ recordsRead: 0, recordsMatched: 0, recordsSkipped: {} });

/** What the single-threaded path makes of the chunks: the scanner parses, each record is normalized. */
function oneThread(chunks: readonly Buffer[]): Result {
  const counters = newCounters();
  const scanner = new RecordsScanner({ wanted: WANTED, counters });
  const result: Result = { text: '', kept: 0, skipped: {}, counters };
  try {
    for (const chunk of chunks) {
      for (const raw of scanner.push(chunk)) {
        const n = normalizeRecord(raw);
        if (n.ok) {
          result.kept++;
          result.text += JSON.stringify(n.event) + '\n';
        } else result.skipped[n.reason] = (result.skipped[n.reason] ?? 0) + 1;
      }
    }
    scanner.finish();
  } catch (err) {
    if (!(err instanceof LogFileError)) throw err;
    result.error = err.message;
  }
  return result;
}

/** The same chunks through the raw scanner, the batcher and linesOfBatch, as the two threads do. */
function twoThreads(chunks: readonly Buffer[]): Result {
  const counters = newCounters();
  const scanner = new RecordsScanner({ wanted: WANTED, counters, raw: true });
  const batcher = new RawRecordBatcher();
  const result: Result = { text: '', kept: 0, skipped: {}, counters };
  const batches: RawRecordBatch[] = [];
  for (const chunk of chunks) {
    const records = scanner.push(chunk) as Buffer[];
    const batch = batcher.add(records, scanner.takeRawCounters());
    if (batch) batches.push(batch);
  }
  scanner.finish();
  const last = batcher.take();
  if (last) batches.push(last);
  for (const batch of batches) {
    const lines = linesOfBatch(batch);
    // The worker's form, into memory too small for the lines (so it grows): the same lines as UTF-8.
    const bytes = lineBytesOfBatch(batch, new ArrayBuffer(64));
    expect({ ...bytes, text: Buffer.from(bytes.text).toString('utf8') }).toEqual(lines);
    result.text += lines.text;
    result.kept += lines.eventsKept;
    for (const [reason, n] of Object.entries(lines.skipped))
      result.skipped[reason] = (result.skipped[reason] ?? 0) + n;
    if (lines.invalid) {
      result.error = lines.invalid.message;
      const [read, matched, other, notObject, missing] = lines.invalid.counters;
      result.counters = { recordsRead: read!, recordsMatched: matched!, recordsSkipped: {} };
      for (const [reason, n] of [
        ['other-service', other!],
        ['not-an-object', notObject!],
        ['missing-eventSource', missing!],
      ] as const) {
        if (n > 0) result.counters.recordsSkipped[reason] = n;
      }
      break;
    }
  }
  return result;
}

/** `count` records (a quarter S3, every 13th without eventTime), the one at `bad` not JSON. */
function documentBytes(count: number, bad?: number): Buffer {
  const texts: string[] = [];
  for (let i = 0; i < count; i++) {
    if (i % 4 === 0) {
      texts.push(
        JSON.stringify({ eventSource: 's3.amazonaws.com', eventName: 'PutObject', eventID: `s3-${i}` }),
      );
      continue;
    }
    const record: Record<string, unknown> = {
      ...SEEDS[i % SEEDS.length]!,
      eventID: `e-${i}`,
      note: 'é'.repeat(i % 40),
    };
    if (i % 13 === 0) delete record.eventTime;
    const text = JSON.stringify(record);
    texts.push(i === bad ? text.replace('"eventName":', '"eventName": nul, "y":') : text);
  }
  return Buffer.from(`{"Records":[${texts.join(',')}]}`);
}

function chunked(bytes: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
  return chunks;
}

describe('linesOfBatch with the raw scanner and the batcher', () => {
  it.each([
    ['small pieces (several per batch)', 2_000],
    ['pieces about a batch', 260_000],
    ['pieces larger than a batch', 700_000],
  ])('gives the single-threaded lines and counts: %s', (_name, size) => {
    // Prepare
    const bytes = documentBytes(3_000);
    // Act
    const two = twoThreads(chunked(bytes, size));
    // Assess
    expect(two.kept).toBeGreaterThan(2_000);
    expect(two).toEqual(oneThread(chunked(bytes, size)));
  });

  it.each([
    ['small pieces', 2_000],
    ['pieces about a batch', 260_000],
    ['pieces larger than a batch', 700_000],
  ])(
    'stops at a record that is not JSON as the single-threaded reader does, its piece lost with it: %s',
    (_name, size) => {
      // Prepare
      const bytes = documentBytes(3_000, 2_345);
      // Act
      const two = twoThreads(chunked(bytes, size));
      const one = oneThread(chunked(bytes, size));
      // Assess: the same lines, counts and error; fewer lines than every record before the bad one gives.
      expect(two.error).toMatch(/^invalid JSON in record 2346 \(/);
      expect(two).toEqual(one);
      expect(two.text).toBe(oneThread(chunked(documentBytes(3_000), size)).text.slice(0, two.text.length));
      expect(two.kept).toBeLessThan(1_700);
    },
  );
});
