import { invalidRecordError, RAW_COUNTER_FIELDS } from './json-records-scanner';
import { normalizeRecord } from './normalize';
import { BATCH_META_FIELDS, type RawRecordBatch } from './raw-record-batch';

/** One batch of wanted records turned into `trailwatch parse`'s JSON lines. */
export interface BatchLines {
  /** The lines, each ending in a newline, in file order. */
  readonly text: string;
  /** Records that became an event (and a line). */
  readonly eventsKept: number;
  /** Records normalization skipped, by reason. */
  readonly skipped: Readonly<Record<string, number>>;
  /** The first record that was not JSON: the file's error, and the scanner's counters as they stood at it. */
  readonly invalid?: { readonly message: string; readonly counters: readonly number[] };
}

/**
 * Turns a batch of wanted records into JSON lines, exactly as the single-threaded path does: each record
 * parsed, normalized and printed in file order. A record that is not JSON ends the file and loses the
 * lines and counts of the records of its piece before it, since the single-threaded reader hands a piece
 * on all together or not at all; the batch's earlier pieces stand.
 */
export function linesOfBatch(batch: RawRecordBatch): BatchLines {
  const bytes = Buffer.from(batch.bytes.buffer, batch.bytes.byteOffset, batch.bytes.byteLength);
  const { ends, meta } = batch;
  const lines = new LineMaker();
  // Where the current piece began: what a record that is not JSON takes back.
  let piece = -1;
  let pieceText = 0;
  let pieceKept = 0;
  let pieceSkipped: Record<string, number> | undefined;
  let start = 0;
  for (let r = 0; r < ends.length; r++) {
    const at = r * BATCH_META_FIELDS;
    if (meta[at] !== piece) {
      piece = meta[at]!;
      pieceText = lines.text.length;
      pieceKept = lines.kept;
      pieceSkipped = lines.skipped && { ...lines.skipped };
    }
    const end = ends[r]!;
    let raw: unknown;
    try {
      raw = JSON.parse(bytes.toString('utf8', start, end));
    } catch (err) {
      const counters = Array.from(meta.subarray(at + 1, at + 1 + RAW_COUNTER_FIELDS));
      return {
        text: lines.text.slice(0, pieceText),
        eventsKept: pieceKept,
        skipped: pieceSkipped ?? {},
        invalid: { message: invalidRecordError(counters[0]!, err).message, counters },
      };
    }
    start = end;
    lines.add(raw);
  }
  return { text: lines.text, eventsKept: lines.kept, skipped: lines.skipped ?? {} };
}

/** Records normalized into lines and counted, as readLogEvents counts them. */
class LineMaker {
  text = '';
  kept = 0;
  skipped: Record<string, number> | undefined;

  add(raw: unknown): void {
    const result = normalizeRecord(raw);
    if (result.ok) {
      this.kept++;
      this.text += JSON.stringify(result.event) + '\n';
    } else {
      const skipped = (this.skipped ??= {});
      skipped[result.reason] = (skipped[result.reason] ?? 0) + 1;
    }
  }
}
