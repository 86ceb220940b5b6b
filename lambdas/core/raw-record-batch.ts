import { RAW_COUNTER_FIELDS } from './json-records-scanner';

/**
 * Wanted records' bytes gathered for another thread: plain typed arrays, so that posting a batch
 * transfers its memory instead of copying it or cloning objects. A batch holds whole pieces (a piece is
 * the records the scanner handed out for one piece of decompressed data), so that it can be turned into
 * lines on its own, exactly as the single-threaded path would (see linesOfBatch).
 */
export interface RawRecordBatch {
  /** The records' bytes, back to back. */
  readonly bytes: Uint8Array<ArrayBuffer>;
  /** Where each record ends in `bytes` (it starts where the one before it ends). */
  readonly ends: Uint32Array<ArrayBuffer>;
  /** BATCH_META_FIELDS numbers per record: its piece, then the scanner's RAW_COUNTER_FIELDS counters. */
  readonly meta: Float64Array<ArrayBuffer>;
}

/** Numbers per record in RawRecordBatch.meta. */
export const BATCH_META_FIELDS = 1 + RAW_COUNTER_FIELDS;

/**
 * A batch is handed out once it holds about this many bytes: large enough that posting costs little per
 * record (a few hundred messages for 200 MB of records), small enough that the work spreads evenly over
 * two threads and a few batches in flight hold little memory.
 */
export const RAW_BATCH_BYTES = 256 * 1024;

/** Buffers kept for reuse at most. */
const SPARE_BUFFERS = 8;

/**
 * Copies wanted records (views of the reader's buffers, valid only until its next piece) into batches of
 * whole pieces, one `add` per piece.
 */
export class RawRecordBatcher {
  private readonly spare: ArrayBuffer[] = [];
  private bytes = this.freshBytes();
  private used = 0;
  private ends: number[] = [];
  private meta: number[] = [];
  private piece = 0;

  /** Adds one piece's records with their counters; returns a batch when enough are gathered. */
  add(records: readonly Uint8Array[], counters: readonly number[]): RawRecordBatch | undefined {
    const piece = this.piece++;
    let size = this.used;
    for (const record of records) size += record.length;
    if (size > this.bytes.length) {
      const bigger = new Uint8Array(Math.max(size, 2 * this.bytes.length));
      bigger.set(this.bytes.subarray(0, this.used));
      this.bytes = bigger;
    }
    for (let r = 0; r < records.length; r++) {
      const record = records[r]!;
      this.bytes.set(record, this.used);
      this.used += record.length;
      this.ends.push(this.used);
      this.meta.push(piece);
      const at = r * RAW_COUNTER_FIELDS;
      for (let k = 0; k < RAW_COUNTER_FIELDS; k++) this.meta.push(counters[at + k]!);
    }
    return this.used >= RAW_BATCH_BYTES ? this.take() : undefined;
  }

  /** Takes back the memory of a batch that was handled, for a later batch (fewer buffers for the GC to free). */
  recycle(bytes: Uint8Array<ArrayBuffer>): void {
    const buffer = bytes.buffer;
    if (buffer.byteLength === 2 * RAW_BATCH_BYTES && this.spare.length < SPARE_BUFFERS)
      this.spare.push(buffer);
  }

  private freshBytes(): Uint8Array<ArrayBuffer> {
    const spare = this.spare.pop();
    return spare ? new Uint8Array(spare) : new Uint8Array(2 * RAW_BATCH_BYTES);
  }

  /** The records gathered and not yet handed out, if any (at the end of a file). */
  take(): RawRecordBatch | undefined {
    if (this.ends.length === 0) return undefined;
    const batch: RawRecordBatch = {
      bytes: this.bytes.subarray(0, this.used),
      ends: Uint32Array.from(this.ends),
      meta: Float64Array.from(this.meta),
    };
    this.bytes = this.freshBytes();
    this.used = 0;
    this.ends = [];
    this.meta = [];
    return batch;
  }
}
