/**
 * The replay run: receives the S3 events held in the ingest function's dead-letter queue, processes
 * the objects they name through the same object processor as the Lambda, and deletes each message
 * only once every object it names was processed (or skipped as the Lambda would).
 */
import type { DlqMessage, DlqSource } from '../adapters/dlq-source';
import { describeObject } from '../core/pipeline';
import type { LogObjectRef, ObjectProcessor, ObjectSummary } from '../core/ports';
import { addObjectSummary, emptyObjectTotals, type ObjectTotals } from './object-totals';
import type { RunProgress } from './run-progress';

/** How one replay runs. */
export interface ReplayRunOptions {
  readonly dryRun: boolean;
  /** Stop after this many messages (default: until the queue is empty). */
  readonly maxMessages?: number;
  /** Messages processed at once. */
  readonly concurrency: number;
}

/** The dead-letter queue as a replay uses it. */
export type ReplayQueue = Pick<DlqSource, 'receive' | 'delete' | 'release'>;

/** What a replay did. */
export interface ReplayReport extends ObjectTotals {
  received: number;
  deleted: number;
  /** Messages left in the queue because they cannot be read, with why. */
  invalid: { messageId: string; message: string }[];
  /** Messages left in the queue because an object failed. */
  failedMessages: number;
  /** Announced objects the pipeline does not read (ObjectRemoved events and the like). */
  ignored: number;
  /** Objects that failed to process. */
  failed: number;
  /** Objects that failed, each with the message and the dead-letter message naming it. */
  errors: { messageId: string; object: string; message: string }[];
  interrupted: boolean;
}

/** What runReplay needs. */
export interface ReplayDeps {
  readonly queue: ReplayQueue;
  /** Absent for a dry run. */
  readonly processor?: ObjectProcessor;
  readonly progress: RunProgress;
  /** Lines about each message (the dry-run listing, messages left in the queue). */
  readonly log: (line: string) => void;
  /** Aborting stops receiving; messages in flight finish and the others are released. */
  readonly signal?: AbortSignal;
}

function emptyReport(): ReplayReport {
  return {
    ...emptyObjectTotals(),
    received: 0,
    deleted: 0,
    invalid: [],
    failedMessages: 0,
    ignored: 0,
    failed: 0,
    errors: [],
    interrupted: false,
  };
}

function describeMessage(m: DlqMessage): string {
  const parts = [`message ${m.messageId}`];
  if (m.sentAt) parts.push(`sent ${m.sentAt.toISOString()}`);
  if (m.receiveCount !== undefined) parts.push(`received ${m.receiveCount}x`);
  return parts.join(', ');
}

/**
 * Receives every message, processes its created objects one after the other (messages `concurrency`
 * at a time), deletes it when each object succeeded, and releases the rest (visibility 0) at the end
 * so they are visible again in the queue. The same object named by several messages is read once.
 */
export async function runReplay(options: ReplayRunOptions, deps: ReplayDeps): Promise<ReplayReport> {
  const report = emptyReport();
  const keep: DlqMessage[] = [];
  const done = new Map<string, Promise<ObjectSummary>>();
  const aborted = () => deps.signal?.aborted === true;

  const processOnce = (
    ref: LogObjectRef & { size?: number },
    processor: ObjectProcessor,
  ): Promise<ObjectSummary> => {
    const id = `${ref.bucket}\u0000${ref.key}`;
    let result = done.get(id);
    if (!result) {
      deps.progress.addTotal(1, ref.size ?? 0);
      result = processor.processObject(ref);
      done.set(id, result);
      result.then(
        (summary) => {
          deps.progress.advance(ref.size ?? summary.bytesRead);
          addObjectSummary(report, summary);
        },
        () => deps.progress.advance(ref.size ?? 0),
      );
    }
    return result;
  };

  const handle = async (m: DlqMessage): Promise<void> => {
    report.received += 1;
    if (!m.content.ok) {
      report.invalid.push({ messageId: m.messageId, message: m.content.message });
      deps.log(`${describeMessage(m)}: cannot be read (${m.content.message}); left in the queue`);
      keep.push(m);
      return;
    }
    const created = m.content.objects.filter((o) => o.created);
    report.ignored += m.content.objects.length - created.length;
    if (options.dryRun || !deps.processor) {
      const why = m.content.failure ? ` (failed: ${m.content.failure})` : '';
      const list =
        created.length > 0 ? created.map((o) => describeObject(o)).join(', ') : 'no object to process';
      deps.log(`${describeMessage(m)}${why}: would process ${list}`);
      keep.push(m);
      return;
    }
    let ok = true;
    for (const object of created) {
      const ref = {
        bucket: object.bucket,
        key: object.key,
        ...(object.size !== undefined ? { size: object.size } : {}),
      };
      try {
        await processOnce(ref, deps.processor);
      } catch (err) {
        ok = false;
        report.failed += 1;
        const message = err instanceof Error ? err.message : String(err);
        report.errors.push({ messageId: m.messageId, object: describeObject(ref), message });
      }
    }
    if (!ok) {
      report.failedMessages += 1;
      deps.log(`${describeMessage(m)}: not every object was processed; left in the queue`);
      keep.push(m);
      return;
    }
    await deps.queue.delete(m);
    report.deleted += 1;
  };

  const running = new Set<Promise<void>>();
  try {
    for await (const message of deps.queue.receive({
      ...(options.maxMessages !== undefined ? { maxMessages: options.maxMessages } : {}),
      ...(deps.signal ? { signal: deps.signal } : {}),
    })) {
      const task = handle(message).finally(() => running.delete(task));
      running.add(task);
      if (running.size >= options.concurrency) await Promise.race(running);
      if (aborted()) break;
    }
    await Promise.all(running);
  } finally {
    // Whatever happens, nothing received and not deleted stays hidden for the visibility timeout.
    await Promise.allSettled(running);
    deps.progress.totalKnown();
    if (keep.length > 0) await deps.queue.release(keep);
  }
  report.interrupted = aborted();
  return report;
}
