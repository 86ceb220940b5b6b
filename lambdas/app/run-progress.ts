/**
 * The progress callbacks an operations run (backfill, replay) reports to. The run knows nothing of
 * terminals: the CLI passes its progress display, any other caller its own (or no-op) callbacks.
 */

/** Progress callbacks of a run over log objects. */
export interface RunProgress {
  /** More objects (and their bytes) to do were found. */
  addTotal(objects: number, bytes: number): void;
  /** No more objects will be added. */
  totalKnown(): void;
  /** One object is done (processed, skipped or failed); `bytes` is its size. */
  advance(bytes: number): void;
  /** A line for the operator (a warning, a message left in a queue). */
  log(line: string): void;
}
