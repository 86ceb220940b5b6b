// The messages between `trailwatch parse`'s main thread (reads, inflates, scans, writes the lines) and
// its worker thread (turns batches of wanted records into lines).
import type { BatchLines } from '../lambdas/core/event-lines';
import type { RawRecordBatch } from '../lambdas/core/raw-record-batch';

/** Main thread to worker: a batch to turn into lines, and memory of lines already written, for reuse. */
export interface ToParseWorker {
  readonly batch: RawRecordBatch;
  readonly spare: readonly Uint8Array<ArrayBuffer>[];
}

/** Worker to main thread: it is ready for batches, or one batch's lines (in the order the batches came). */
export type FromParseWorker =
  | { readonly type: 'ready' }
  | {
      readonly type: 'lines';
      /** The lines as UTF-8 (transferred), written by the worker into memory of its own or a spare. */
      readonly text: Uint8Array<ArrayBuffer>;
      readonly eventsKept: number;
      readonly skipped: BatchLines['skipped'];
      readonly invalid?: BatchLines['invalid'];
      /** The batch's bytes, handed back for reuse. */
      readonly bytes: RawRecordBatch['bytes'];
    };
