import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { LogFileError } from '../lambdas/core/errors';
import { lineBytesOfBatch, type BatchLines } from '../lambdas/core/event-lines';
import { RAW_MATCHED, RAW_READ, RAW_SKIP_REASONS, RAW_SKIPPED } from '../lambdas/core/json-records-scanner';
import type { LogStats } from '../lambdas/core/log-events';
import { readWatchedRecordBytes } from '../lambdas/core/log-reader';
import { RawRecordBatcher, type RawRecordBatch } from '../lambdas/core/raw-record-batch';
import type { LineWriter } from './line-writer';
import type { FromParseWorker, ToParseWorker } from './parse-worker-protocol';

/**
 * Batches with the worker at most: enough that it always has the next one while this thread scans,
 * few enough that this thread takes the rest itself when the worker falls behind, which is how the
 * work spreads over both threads whatever the share of wanted records.
 */
const WORKER_WINDOW = 3;
/** Batches whose lines wait to be written at most (behind one the worker has not returned yet). */
const MAX_WAITING = 8;

/** The worker's young generation (see the constructor). */
const YOUNG_GENERATION_MB = 8;

/** One batch's lines, in the file's order; `lines` is missing while the worker has them. */
interface Slot {
  lines?: BatchLines<Uint8Array<ArrayBuffer>>;
}

/** The worker's script: beside the compiled bundle, or the TypeScript source run through tsx. */
function workerScript(): { readonly script: string; readonly eval: boolean } {
  if (!__filename.endsWith('.ts')) return { script: path.join(__dirname, 'parse-worker.js'), eval: false };
  const source = path.join(__dirname, 'parse-worker.ts');
  const tsx = require.resolve('tsx/cjs');
  return { script: `require(${JSON.stringify(tsx)}); require(${JSON.stringify(source)});`, eval: true };
}

/**
 * `trailwatch parse` on two threads: this one reads, inflates and scans each file and gathers the wanted
 * records' bytes into batches; a worker thread turns as many batches into lines as it keeps up with, this
 * thread the others; this thread writes every batch's lines in file order. Output, counts and errors are
 * those of the single-threaded path (linesOfBatch).
 */
export class ParseWorker {
  private readonly worker: Worker;
  private readonly batcher = new RawRecordBatcher();
  private ready = false;
  /** Slots of the batches the worker has, in the order it returns them. */
  private readonly withWorker: Slot[] = [];
  private crash: Error | undefined;
  /** Memory of lines the worker sent, written since: it goes back with the next batch, for reuse. */
  private spare: Uint8Array<ArrayBuffer>[] = [];
  private wake: (() => void) | undefined;

  /**
   * Starts the worker at once (the caller chose two threads from the file's sample, core/parse-threads.ts):
   * it loads while this thread opens the file and takes every batch until the worker is ready. With
   * `always` the first batch waits for it instead (TRAILWATCH_PARSE_WORKER=on: the worker takes part in
   * every file, which is what the tests compare).
   */
  constructor(private readonly options: { readonly always?: boolean } = {}) {
    this.worker = this.start();
  }

  private start(): Worker {
    const { script, eval: isEval } = workerScript();
    // A young generation of 8 MB instead of V8's 32: the second heap is most of what two threads add to the
    // peak RSS, and the worker's objects (a batch's records and events) die young anyway.
    const worker = new Worker(script, {
      eval: isEval,
      stdout: false,
      stderr: false,
      resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
    });
    worker.on('message', (message: FromParseWorker) => this.receive(message));
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', (code) => this.fail(new Error(`the parse worker stopped (exit code ${code})`)));
    return worker;
  }

  /**
   * Prints the events of one file and adds its counts to `stats`. Throws LogFileError for a file-level
   * problem, after the lines before it are written, as readFileEvents does.
   */
  async readFile(file: string, stats: LogStats, writer: LineWriter): Promise<void> {
    const run = new FileRun(stats, writer);
    const stream = fs.createReadStream(file);
    const batcher = this.batcher;
    let readError: unknown;
    try {
      for await (const piece of readWatchedRecordBytes(stream, { stats })) {
        const batch = batcher.add(piece.records, piece.counters);
        if (batch) await this.dispatch(batch, run);
        if (run.stopped) break;
      }
    } catch (err) {
      readError = err;
    } finally {
      stream.destroy();
    }
    // The records batched before the end (or before a problem the reader found) are printed, as on one
    // thread; after a bad record or a closed stdout they are dropped. Either way none is left for the next file.
    const last = batcher.take();
    if (last && !run.stopped) await this.dispatch(last, run);
    while (run.waiting.length > 0 && !run.stopped) await this.writeReady(run, true);
    // The file's lines go out before any line about it on stderr.
    await writer.flush();
    if (run.invalid) {
      // The invalid record comes before anything the reader failed on later; the counters are put back to
      // what they were at it, as the single-threaded reader stops there.
      restoreCounters(stats, run.invalid.counters);
      throw new LogFileError(run.invalid.message);
    }
    if (readError !== undefined && !writer.failure) throw readError;
  }

  /** Stops the worker. */
  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }

  private async dispatch(batch: RawRecordBatch, file: FileRun): Promise<void> {
    const worker = this.worker;
    while (!this.ready && this.options.always === true) await this.nextMessage();
    const slot: Slot = {};
    file.waiting.push(slot);
    if (this.ready && this.withWorker.length < WORKER_WINDOW) {
      this.withWorker.push(slot);
      if (this.crash) throw this.crash;
      const spare = this.spare;
      this.spare = [];
      worker.postMessage({ batch, spare } satisfies ToParseWorker, [
        batch.bytes.buffer,
        batch.ends.buffer,
        batch.meta.buffer,
        ...spare.map((s) => s.buffer),
      ]);
    } else {
      // Into memory of lines already written where there is some (the worker gets the rest back).
      slot.lines = lineBytesOfBatch(batch, this.spare.pop()?.buffer);
      this.batcher.recycle(batch.bytes);
    }
    await this.writeReady(file, file.waiting.length > MAX_WAITING);
  }

  /** Writes the lines of the batches at the head that are back; with `wait`, waits for the worker first. */
  private async writeReady(file: FileRun, wait: boolean): Promise<void> {
    if (wait && file.waiting[0]?.lines === undefined) await this.nextMessage();
    while (!file.stopped && file.waiting[0]?.lines !== undefined) {
      const lines = file.waiting.shift()!.lines!;
      await file.write(lines, () => this.spare.push(lines.text));
    }
  }

  private async nextMessage(): Promise<void> {
    if (this.crash) throw this.crash;
    await new Promise<void>((resolve) => (this.wake = resolve));
    if (this.crash) throw this.crash;
  }

  private receive(message: FromParseWorker): void {
    if (message.type === 'ready') this.ready = true;
    else {
      this.withWorker.shift()!.lines = message;
      this.batcher.recycle(message.bytes);
    }
    this.notify();
  }

  private fail(err: Error): void {
    this.crash ??= err;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

/** One file's progress: the batches whose lines are not written yet, and why it stopped, if it did. */
class FileRun {
  readonly waiting: Slot[] = [];
  invalid: BatchLines['invalid'];
  private closed = false;

  constructor(
    readonly stats: LogStats,
    private readonly writer: LineWriter,
  ) {}

  /** A record was not JSON, or stdout stopped taking lines: nothing more of the file is written. */
  get stopped(): boolean {
    return this.invalid !== undefined || this.closed;
  }

  /** Writes one batch's lines and counts them (the counts as a batch is written, so in file order). */
  async write(lines: NonNullable<Slot['lines']>, written: () => void): Promise<void> {
    this.stats.eventsKept += lines.eventsKept;
    for (const reason of Object.keys(lines.skipped)) {
      this.stats.recordsSkipped[reason] = (this.stats.recordsSkipped[reason] ?? 0) + lines.skipped[reason]!;
    }
    if (lines.invalid) this.invalid = lines.invalid;
    // Either thread's lines are UTF-8 in memory that is reused once written: a fresh off-heap copy of each
    // batch's lines made V8 start far more full collections.
    if (!(await this.writer.write(lines.text, written))) this.closed = true;
  }
}

/** The scanner's counters as they stood at a record (RecordsScanner's `raw` counters), back in `stats`. */
function restoreCounters(stats: LogStats, counters: readonly number[]): void {
  stats.recordsRead = counters[RAW_READ]!;
  stats.recordsMatched = counters[RAW_MATCHED]!;
  RAW_SKIP_REASONS.forEach((reason, k) => {
    const n = counters[RAW_SKIPPED + k]!;
    if (n > 0) stats.recordsSkipped[reason] = n;
    else delete stats.recordsSkipped[reason];
  });
}
