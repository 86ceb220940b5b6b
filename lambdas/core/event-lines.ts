import { invalidRecordError, RAW_COUNTER_FIELDS } from './json-records-scanner';
import { normalizeRecord } from './normalize';
import { BATCH_META_FIELDS, type RawRecordBatch } from './raw-record-batch';

/** One batch of wanted records turned into `trailwatch parse`'s JSON lines. */
export interface BatchLines<Text = string> {
  /** The lines, each ending in a newline, in file order. */
  readonly text: Text;
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
  return eachLineOf(batch, new TextLines());
}

/** The size of new memory for a batch's lines (lineBytesOfBatch): most batches' lines fit, so one serves many. */
export const LINE_MEMORY_BYTES = 512 * 1024;

/**
 * linesOfBatch with the lines as UTF-8, written straight into `memory` (a new, larger ArrayBuffer when
 * they do not fit; new memory of LINE_MEMORY_BYTES without it): no string of the batch's lines is built,
 * which would be flattened and scanned again to be encoded. The text is a view of the memory it was
 * written to, from its start; the memory can be reused once the text is written.
 */
export function lineBytesOfBatch(
  batch: RawRecordBatch,
  memory: ArrayBuffer = new ArrayBuffer(LINE_MEMORY_BYTES),
): BatchLines<Uint8Array<ArrayBuffer>> {
  return eachLineOf(batch, new ByteLines(memory));
}

/** Where eachLineOf puts the lines: appended, and cut back to an earlier length. */
interface LineSink<Text> {
  readonly length: number;
  add(line: string): void;
  cut(length: number): void;
  text(): Text;
}

/** The lines as one string. */
class TextLines implements LineSink<string> {
  private lines = '';
  get length(): number {
    return this.lines.length;
  }
  add(line: string): void {
    this.lines += line + '\n';
  }
  cut(length: number): void {
    this.lines = this.lines.slice(0, length);
  }
  text(): string {
    return this.lines;
  }
}

/** The lines as UTF-8 in an ArrayBuffer that grows (by a copy into one twice as large). */
class ByteLines implements LineSink<Uint8Array<ArrayBuffer>> {
  length = 0;
  private bytes: Buffer;
  constructor(memory: ArrayBuffer) {
    this.bytes = Buffer.from(memory);
  }
  add(line: string): void {
    // A UTF-16 unit is at most 3 bytes of UTF-8: the exact length is only counted near the end of the memory.
    let need = this.length + line.length * 3 + 1;
    if (need > this.bytes.length) {
      need = this.length + Buffer.byteLength(line) + 1;
      if (need > this.bytes.length) this.grow(need);
    }
    this.length += this.bytes.write(line, this.length);
    this.bytes[this.length++] = 0x0a;
  }
  cut(length: number): void {
    this.length = length;
  }
  text(): Uint8Array<ArrayBuffer> {
    return new Uint8Array(this.bytes.buffer as ArrayBuffer, 0, this.length);
  }
  private grow(need: number): void {
    const larger = Buffer.from(new ArrayBuffer(Math.max(need, 2 * this.bytes.length)));
    this.bytes.copy(larger, 0, 0, this.length);
    this.bytes = larger;
  }
}

/** The loop of linesOfBatch, into either sink. */
function eachLineOf<Text>(batch: RawRecordBatch, sink: LineSink<Text>): BatchLines<Text> {
  const bytes = Buffer.from(batch.bytes.buffer, batch.bytes.byteOffset, batch.bytes.byteLength);
  const { ends, meta } = batch;
  const lines = new LineMaker(sink);
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
      pieceText = sink.length;
      pieceKept = lines.kept;
      pieceSkipped = lines.skipped && { ...lines.skipped };
    }
    const end = ends[r]!;
    let raw: unknown;
    try {
      raw = JSON.parse(bytes.toString('utf8', start, end));
    } catch (err) {
      const counters = Array.from(meta.subarray(at + 1, at + 1 + RAW_COUNTER_FIELDS));
      sink.cut(pieceText);
      return {
        text: sink.text(),
        eventsKept: pieceKept,
        skipped: pieceSkipped ?? {},
        invalid: { message: invalidRecordError(counters[0]!, err).message, counters },
      };
    }
    start = end;
    lines.add(raw);
  }
  return { text: sink.text(), eventsKept: lines.kept, skipped: lines.skipped ?? {} };
}

/** Records normalized into lines and counted, as readLogEvents counts them. */
class LineMaker<Text> {
  kept = 0;
  skipped: Record<string, number> | undefined;

  constructor(private readonly sink: LineSink<Text>) {}

  add(raw: unknown): void {
    const result = normalizeRecord(raw);
    if (result.ok) {
      this.kept++;
      this.sink.add(JSON.stringify(result.event));
    } else {
      const skipped = (this.skipped ??= {});
      skipped[result.reason] = (skipped[result.reason] ?? 0) + 1;
    }
  }
}
