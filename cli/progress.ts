/**
 * Progress of a long CLI run over many log objects (backfill, replay, ingest): a live bar on a
 * terminal, plain lines at an interval otherwise (CI logs, pipes).
 *
 * Usage: `const p = createProgress({ label: 'backfill', stream: io.stderr });` then `p.addTotal(n, bytes)`
 * as objects are found (call `p.totalKnown()` once the listing is complete, so an ETA can be shown),
 * `p.advance(bytes)` as each object finishes, `p.log(line)` for messages, and `p.stop()` at the end.
 */
import { MultiBar, type SingleBar } from 'cli-progress';

/** A progress display for a run over objects. */
export interface Progress {
  /** More objects (and their bytes) to do were found. */
  addTotal(objects: number, bytes: number): void;
  /** No more objects will be added: from now on the ETA is shown. */
  totalKnown(): void;
  /** One object is done (processed, skipped or failed); `bytes` is its size. */
  advance(bytes: number): void;
  /** Prints a line without breaking the bar. */
  log(line: string): void;
  /** Final render; the progress display ends. Safe to call twice. */
  stop(): void;
}

/** Options of createProgress. */
export interface ProgressOptions {
  /** Prefix of every line, e.g. `backfill`. */
  readonly label: string;
  /** Where progress goes (stderr, so stdout stays for results). */
  readonly stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Force the bar (true) or plain lines (false); default: the bar when the stream is a terminal. */
  readonly tty?: boolean;
  /** Plain mode: milliseconds between progress lines. Default 5000. */
  readonly intervalMs?: number;
  /** Milliseconds clock; default Date.now. */
  readonly now?: () => number;
}

/** Counters and derived rates shown by either display. */
export interface ProgressSnapshot {
  readonly objectsDone: number;
  readonly objectsTotal: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly elapsedMs: number;
  /** Objects per second since the start. */
  readonly objectsPerSecond: number;
  /** Bytes per second since the start. */
  readonly bytesPerSecond: number;
  /** Seconds left, undefined while the total is still growing or the rate is not yet reliable. */
  readonly etaSeconds: number | undefined;
  /** False while objects are still being found (the total can grow). */
  readonly totalKnown: boolean;
}

/** How long the rate is measured before an ETA is shown: the first objects (warm-up) mislead. */
export const ETA_AFTER_MS = 3000;

/** Creates the progress display that suits the stream. */
export function createProgress(options: ProgressOptions): Progress {
  const tty = options.tty ?? options.stream.isTTY === true;
  const tracker = new ProgressTracker(options.now ?? Date.now);
  return tty ? new BarProgress(options, tracker) : new LineProgress(options, tracker);
}

/** A display that shows nothing (for --quiet, tests, or a run with nothing to do). */
export function silentProgress(): Progress {
  return { addTotal() {}, totalKnown() {}, advance() {}, log() {}, stop() {} };
}

/** Counts and rates; shared by both displays. */
export class ProgressTracker {
  private objectsDone = 0;
  private objectsTotal = 0;
  private bytesDone = 0;
  private bytesTotal = 0;
  private known = false;
  private readonly started: number;

  constructor(private readonly now: () => number) {
    this.started = now();
  }

  /** More objects to do. */
  addTotal(objects: number, bytes: number): void {
    this.objectsTotal += objects;
    this.bytesTotal += bytes;
  }

  /** The total is final. */
  totalKnown(): void {
    this.known = true;
  }

  /** One object done. */
  advance(bytes: number): void {
    this.objectsDone += 1;
    this.bytesDone += bytes;
  }

  /** The counters and rates now. */
  snapshot(): ProgressSnapshot {
    const elapsedMs = Math.max(0, this.now() - this.started);
    const seconds = elapsedMs / 1000;
    const objectsPerSecond = seconds > 0 ? this.objectsDone / seconds : 0;
    const bytesPerSecond = seconds > 0 ? this.bytesDone / seconds : 0;
    let etaSeconds: number | undefined;
    if (this.known && this.objectsDone >= this.objectsTotal) etaSeconds = 0;
    else if (this.known && elapsedMs >= ETA_AFTER_MS && this.objectsDone > 0) {
      // Bytes predict the time better than object counts (files differ in size); objects when sizes are unknown.
      if (this.bytesTotal > 0 && bytesPerSecond > 0)
        etaSeconds = (this.bytesTotal - this.bytesDone) / bytesPerSecond;
      else if (objectsPerSecond > 0) etaSeconds = (this.objectsTotal - this.objectsDone) / objectsPerSecond;
      else if (this.objectsDone >= this.objectsTotal) etaSeconds = 0;
    }
    return {
      objectsDone: this.objectsDone,
      objectsTotal: this.objectsTotal,
      bytesDone: this.bytesDone,
      bytesTotal: this.bytesTotal,
      elapsedMs,
      objectsPerSecond,
      bytesPerSecond,
      etaSeconds: etaSeconds === undefined ? undefined : Math.max(0, etaSeconds),
      totalKnown: this.known,
    };
  }
}

/** Megabytes with one decimal. */
export function formatMegabytes(bytes: number): string {
  return (bytes / 1_000_000).toFixed(1);
}

/** A duration in seconds as `42s`, `3m05s` or `2h04m`; `?` when unknown. */
export function formatSeconds(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * One plain progress line: `backfill: 120/1000 objects, 3.2/25.0 MB, 40.1 objects/s, 1.1 MB/s, ETA 22s`.
 * While objects are still being found the total is marked `(still listing)`; the ETA appears once the
 * total is known and the rate has been measured for a few seconds.
 */
export function formatProgressLine(label: string, s: ProgressSnapshot): string {
  return (
    `${label}: ${s.objectsDone}/${s.objectsTotal} objects${s.totalKnown ? '' : ' (still listing)'}, ` +
    `${formatMegabytes(s.bytesDone)}/${formatMegabytes(s.bytesTotal)} MB, ` +
    `${s.objectsPerSecond.toFixed(1)} objects/s, ${formatMegabytes(s.bytesPerSecond)} MB/s` +
    (s.etaSeconds !== undefined ? `, ETA ${formatSeconds(s.etaSeconds)}` : '')
  );
}

/**
 * The bar line for a terminal `columns` wide, never wider than columns - 1 (a full-width line
 * wraps on some terminals): the bar shrinks first, then the wording gets shorter, then the MB figures
 * go; the count, the rate and the ETA stay.
 */
export function formatBarLine(label: string, s: ProgressSnapshot, columns: number): string {
  const total = Math.max(s.objectsTotal, 1);
  const fraction = Math.min(1, s.objectsDone / total);
  const pct = `${Math.floor(fraction * 100)}%`;
  const count = `${s.objectsDone}/${s.objectsTotal}${s.totalKnown ? '' : '+'}`;
  const mb = `${formatMegabytes(s.bytesDone)}/${formatMegabytes(s.bytesTotal)} MB`;
  const rate = s.objectsPerSecond.toFixed(1);
  const mbRate = `${formatMegabytes(s.bytesPerSecond)} MB/s`;
  const eta =
    s.etaSeconds !== undefined ? `ETA ${formatSeconds(s.etaSeconds)}` : s.totalKnown ? '' : 'listing';
  const end = eta ? `, ${eta}` : '';
  const tails = [
    `${count} objects | ${mb} | ${rate} objects/s, ${mbRate}${eta ? ` | ${eta}` : ''}`,
    `${count} obj, ${mb}, ${rate} obj/s, ${mbRate}${end}`,
    `${count} obj, ${mb}, ${rate} obj/s${end}`,
    `${count} obj, ${rate} obj/s${end}`,
  ];
  const width = Math.max(20, columns - 1);
  for (const tail of tails) {
    const fixed = `${label} [] ${pct} ${tail}`.length;
    const barSize = Math.min(24, width - fixed);
    if (barSize >= 8) {
      const filled = Math.round(fraction * barSize);
      return `${label} [${'='.repeat(filled)}${'-'.repeat(barSize - filled)}] ${pct} ${tail}`;
    }
  }
  return `${label} ${pct} ${tails[3]}`.slice(0, width);
}

class LineProgress implements Progress {
  private lastLine: number;
  private stopped = false;
  private readonly interval: number;

  constructor(
    private readonly options: ProgressOptions,
    private readonly tracker: ProgressTracker,
  ) {
    this.interval = options.intervalMs ?? 5000;
    this.lastLine = (options.now ?? Date.now)();
  }

  addTotal(objects: number, bytes: number): void {
    this.tracker.addTotal(objects, bytes);
  }

  totalKnown(): void {
    this.tracker.totalKnown();
  }

  advance(bytes: number): void {
    this.tracker.advance(bytes);
    // Printed on progress rather than on a timer: a stalled run prints nothing new, and no timer keeps the process alive.
    const now = (this.options.now ?? Date.now)();
    if (now - this.lastLine >= this.interval) {
      this.lastLine = now;
      this.write();
    }
  }

  log(line: string): void {
    this.options.stream.write(line.endsWith('\n') ? line : `${line}\n`);
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    // A run that found nothing to do has no progress to report.
    if (this.tracker.snapshot().objectsTotal > 0) this.write();
  }

  private write(): void {
    this.options.stream.write(formatProgressLine(this.options.label, this.tracker.snapshot()) + '\n');
  }
}

class BarProgress implements Progress {
  private readonly multi: MultiBar;
  private readonly bar: SingleBar;
  private stopped = false;

  constructor(
    private readonly options: ProgressOptions,
    private readonly tracker: ProgressTracker,
  ) {
    this.multi = new MultiBar({
      stream: options.stream,
      // The whole line is composed here, to fit the terminal's width (formatBarLine).
      format: '{line}',
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      // The bar is drawn only on a terminal; cli-progress would otherwise print nothing at all.
      noTTYOutput: true,
      fps: 5,
    });
    this.bar = this.multi.create(0, 0, this.payload());
  }

  addTotal(objects: number, bytes: number): void {
    this.tracker.addTotal(objects, bytes);
    this.render();
  }

  totalKnown(): void {
    this.tracker.totalKnown();
    this.render();
  }

  advance(bytes: number): void {
    this.tracker.advance(bytes);
    this.render();
  }

  log(line: string): void {
    this.multi.log(line.endsWith('\n') ? line : `${line}\n`);
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.render();
    // cli-progress writes logged lines on its next redraw, and stop() does not redraw: flush them first.
    this.multi.update();
    this.multi.stop();
  }

  private render(): void {
    const s = this.tracker.snapshot();
    // A total of 0 would render as NaN%; the bar shows 0/1 until something is found.
    this.bar.setTotal(Math.max(s.objectsTotal, 1));
    this.bar.update(s.objectsDone, this.payload());
  }

  private payload(): Record<string, string> {
    const columns = this.options.stream.columns ?? 80;
    return { line: formatBarLine(this.options.label, this.tracker.snapshot(), columns) };
  }
}
