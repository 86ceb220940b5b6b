// One measurement in its own process, so that its peak RSS (process.resourceUsage().maxRSS) is its own.
// Usage: node -r tsx/cjs bench/measure.ts <baseline|gunzip|reader|reader-in-place|obvious|scanner> <file.json.gz>
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as zlib from 'node:zlib';
import { GUNZIP_CHUNK_SIZE } from '../lambdas/core/gzip-stream';
import { inflateOffThreadPays } from '../lambdas/core/inflate-placement';
import { RecordsScanner } from '../lambdas/core/json-records-scanner';
import { warmUpScanner } from '../lambdas/core/json-scanner-warm-up';
import { newReadStats, readWatchedRecords } from '../lambdas/core/log-reader';
import { WATCHED_EVENT_SOURCES } from '../lambdas/core/services';

/** What one measurement prints as a JSON line on stdout. */
export interface Measurement {
  readonly mode: string;
  readonly seconds: number;
  /** CPU time of all the process's threads (zlib inflates on the libuv thread pool). */
  readonly cpuSeconds: number;
  /** Peak resident set size of this process, in bytes. */
  readonly maxRssBytes: number;
  readonly decodedBytes: number;
  readonly matched: number;
  readonly error?: string;
}

/** Input chunks of the size an S3 GetObject body stream delivers at most. */
const READ_CHUNK = 256 * 1024;

/** Plain stream decompression, output discarded: the floor no reader can beat. */
async function gunzipOnly(file: string): Promise<[number, number]> {
  // The same zlib settings as the reader's.
  const options: zlib.ZlibOptions & { highWaterMark: number } = {
    chunkSize: GUNZIP_CHUNK_SIZE,
    highWaterMark: 2 * GUNZIP_CHUNK_SIZE,
  };
  const gunzip = zlib.createGunzip(options);
  fs.createReadStream(file, { highWaterMark: READ_CHUNK }).pipe(gunzip);
  let bytes = 0;
  for await (const chunk of gunzip as AsyncIterable<Buffer>) bytes += chunk.length;
  return [bytes, 0];
}

/**
 * The streaming reader, inflating where the CLI would for this file: on a worker thread when it is large
 * and a second CPU is there (inflateOffThreadPays), else in place; `inPlace` forces the latter.
 */
async function reader(file: string, inPlace = false): Promise<[number, number]> {
  const stats = newReadStats();
  const inflateOffThread =
    !inPlace && inflateOffThreadPays(fs.statSync(file).size, os.availableParallelism());
  let matched = 0;
  for await (const record of readWatchedRecords(fs.createReadStream(file, { highWaterMark: READ_CHUNK }), {
    stats,
    inflateOffThread,
  })) {
    if (record !== undefined) matched++;
  }
  return [stats.bytesDecoded, matched];
}

/** Scanner passes over the file decompressed beforehand (outside the timing), in the reader's chunk size. */
const SCANNER_PASSES = 5;

/**
 * The reader's scanner alone, on one core: the CPU time of the best of SCANNER_PASSES passes over the
 * decompressed bytes. Less disturbed by other load than wall-clock figures, and without zlib.
 */
function scannerOnly(file: string): { bytes: number; matched: number; seconds: number; cpuSeconds: number } {
  const data = zlib.gunzipSync(fs.readFileSync(file));
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += GUNZIP_CHUNK_SIZE)
    chunks.push(data.subarray(i, i + GUNZIP_CHUNK_SIZE));
  warmUpScanner();
  let best = { bytes: data.length, matched: 0, seconds: Infinity, cpuSeconds: Infinity };
  for (let pass = 0; pass < SCANNER_PASSES; pass++) {
    const counters = { recordsRead: 0, recordsMatched: 0, recordsSkipped: {} };
    const scanner = new RecordsScanner({ wanted: new Set(WATCHED_EVENT_SOURCES), counters });
    const start = process.hrtime.bigint();
    const cpuStart = process.cpuUsage();
    for (const chunk of chunks) scanner.push(chunk);
    scanner.finish();
    const cpu = process.cpuUsage(cpuStart);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (cpuSeconds < best.cpuSeconds)
      best = { ...best, matched: counters.recordsMatched, seconds, cpuSeconds };
  }
  return best;
}

/** The obvious approach: gunzip everything into one string, JSON.parse it, filter Records. */
async function obvious(file: string): Promise<[number, number]> {
  const text = zlib.gunzipSync(fs.readFileSync(file)).toString('utf8');
  const wanted = new Set(WATCHED_EVENT_SOURCES);
  const doc = JSON.parse(text) as { Records: { eventSource?: unknown }[] };
  const matched = doc.Records.filter((r) => typeof r.eventSource === 'string' && wanted.has(r.eventSource));
  return [Buffer.byteLength(text), matched.length];
}

async function main(): Promise<void> {
  const [mode, file] = process.argv.slice(2);
  if (mode === 'scanner' && file) {
    const r = scannerOnly(file);
    const m: Measurement = {
      mode,
      seconds: r.seconds,
      cpuSeconds: r.cpuSeconds,
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
      decodedBytes: r.bytes,
      matched: r.matched,
    };
    process.stdout.write(`${JSON.stringify(m)}\n`);
    return;
  }
  const run = {
    baseline: async (): Promise<[number, number]> => [0, 0],
    gunzip: gunzipOnly,
    reader,
    'reader-in-place': (file: string) => reader(file, true),
    obvious,
  }[mode ?? ''];
  if (!run || !file) {
    throw new Error(
      'usage: measure.ts <baseline|gunzip|reader|reader-in-place|obvious|scanner> <file.json.gz>',
    );
  }
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  let result: [number, number] = [0, 0];
  let error: string | undefined;
  try {
    result = await run(file);
  } catch (err) {
    error = (err as Error).message;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpuStart);
  const m: Measurement = {
    mode: mode ?? '',
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    decodedBytes: result[0],
    matched: result[1],
    ...(error ? { error } : {}),
  };
  process.stdout.write(`${JSON.stringify(m)}\n`);
}

void main();
