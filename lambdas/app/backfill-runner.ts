/**
 * The backfill run: plans the day folders of a date range, lists them ahead of processing, and
 * processes every object the checkpoint does not have done yet through the same object processor as
 * the Lambda. It takes its lister, processor, checkpoint store and progress as parameters, so the CLI
 * (or any other caller) only wires them.
 */
import type { ListedObject } from '../adapters/s3-log-lister';
import {
  planBackfill,
  utcDay,
  type BackfillScope,
  type DayPrefix,
  type PrefixLister,
} from '../core/backfill-plan';
import { BackfillCheckpoint, isDaySealed, type CheckpointData } from '../core/checkpoint';
import { describeObject } from '../core/object-ref';
import type { ObjectProcessor } from '../core/ports';
import { addObjectSummary, emptyObjectTotals, type ObjectTotals } from './object-totals';
import type { RunProgress } from './run-progress';
import { forEachLimited, WorkQueue } from './work-queue';

/** Day folders listed at once: listing runs ahead of processing so the total (and the ETA) is known early. */
const LIST_CONCURRENCY = 4;
/**
 * Objects listed ahead of processing at most. Below it (most backfills) the whole range is listed
 * early and the ETA is known; above it the listing pauses so memory stays bounded (~300 bytes each).
 */
const QUEUE_HIGH_WATER = 50_000;
/** Milliseconds between checkpoint saves while objects complete. */
const SAVE_INTERVAL_MS = 2000;

/** What one backfill covers and how. */
export interface BackfillRunOptions {
  readonly bucket: string;
  readonly scope: BackfillScope;
  readonly concurrency: number;
  readonly dryRun: boolean;
}

/** Lists what a backfill reads: child prefixes for discovery and the objects of a day folder. */
export interface BackfillLister extends PrefixLister {
  listObjects(prefix: string): AsyncIterable<ListedObject>;
}

/** Where a backfill's checkpoint is kept between runs (the CLI's is a JSON file). */
export interface BackfillCheckpointStore {
  /** The stored checkpoint, or undefined when there is none. */
  load(): Promise<CheckpointData | undefined>;
  /** Replaces the stored checkpoint. */
  save(data: CheckpointData): Promise<void>;
}

/** Which backfill a checkpoint belongs to. */
export interface BackfillCheckpointIdentity {
  /** Hash of the scope text; a stored checkpoint with another one belongs to another backfill. */
  readonly fingerprint: string;
  /** The arguments the backfill covers, in words (kept in the checkpoint for people). */
  readonly scopeText: string;
  /** Names the stored checkpoint in errors (e.g. its file path). */
  readonly origin: string;
}

/**
 * The checkpoint to resume from: the stored one, or a fresh one when none is stored or `restart`
 * asks to ignore it. Throws CheckpointMismatchError when the stored one belongs to another backfill.
 */
export async function openBackfillCheckpoint(
  store: Pick<BackfillCheckpointStore, 'load'>,
  identity: BackfillCheckpointIdentity,
  options: { readonly restart: boolean; readonly now: Date },
): Promise<BackfillCheckpoint> {
  const stored = options.restart ? undefined : await store.load();
  return stored
    ? BackfillCheckpoint.restore(stored, identity.fingerprint, identity.origin)
    : BackfillCheckpoint.fresh(identity.fingerprint, identity.scopeText, options.now);
}

/** What runBackfill needs; the command wires the real ones, tests may decorate them. */
export interface BackfillDeps {
  readonly lister: BackfillLister;
  /** Absent for a dry run. */
  readonly processor?: ObjectProcessor;
  readonly checkpoint: BackfillCheckpoint;
  /**
   * Persists the checkpoint every few seconds while objects complete (a failed save is a warning)
   * and once at the end of a run that processes (a failed save fails the run). Absent: not persisted.
   */
  readonly checkpointStore?: Pick<BackfillCheckpointStore, 'save'>;
  readonly progress: RunProgress;
  readonly now: () => Date;
  /** Aborting stops taking new objects; objects in flight finish and the checkpoint is saved. */
  readonly signal?: AbortSignal;
  /** Objects listed ahead of processing at most (default 50,000). */
  readonly queueHighWater?: number;
}

/** Per-root counts of a dry run. */
export interface DryRunRoot {
  readonly prefix: string;
  days: number;
  objects: number;
  bytes: number;
}

/** What a backfill did. */
export interface BackfillReport extends ObjectTotals {
  /** Day folders in the plan, and those skipped because the checkpoint has them done. */
  dayFolders: number;
  dayFoldersDone: number;
  /** Objects found that were not done yet, and those skipped because the checkpoint has them done. */
  objectsToDo: number;
  objectsAlreadyDone: number;
  bytesToDo: number;
  failed: number;
  /** Objects that failed and day folders that could not be listed. */
  errors: { where: string; message: string }[];
  interrupted: boolean;
  notes: string[];
  /** Dry run only: what would be processed, per trail root. */
  dryRun?: DryRunRoot[];
}

interface DayState {
  readonly day: DayPrefix;
  pending: number;
  listed: boolean;
  failed: boolean;
}

function emptyReport(): BackfillReport {
  return {
    ...emptyObjectTotals(),
    dayFolders: 0,
    dayFoldersDone: 0,
    objectsToDo: 0,
    objectsAlreadyDone: 0,
    bytesToDo: 0,
    failed: 0,
    errors: [],
    interrupted: false,
    notes: [],
  };
}

/**
 * Plans the day folders, lists them (a few at a time, ahead of processing), and processes every
 * object not already done with at most `concurrency` in flight. A day folder becomes done in the
 * checkpoint once it was listed to the end, all its objects succeeded, and the day is over (sealed).
 */
export async function runBackfill(options: BackfillRunOptions, deps: BackfillDeps): Promise<BackfillReport> {
  const report = emptyReport();
  const { checkpoint, progress, signal } = deps;
  const aborted = () => signal?.aborted === true;

  const plan = await planBackfill(options.scope, deps.lister, utcDay(deps.now()));
  report.notes.push(...plan.notes);
  report.dayFolders = plan.days.length;
  const todo = plan.days.filter((d) => !checkpoint.isDayDone(d.prefix));
  report.dayFoldersDone = plan.days.length - todo.length;

  const dryRunRoots = new Map<string, DryRunRoot>();
  const queue = new WorkQueue<{ state: DayState; object: ListedObject }>(
    deps.queueHighWater ?? QUEUE_HIGH_WATER,
  );
  // An interrupt must also free a listing that waits for room in the queue.
  signal?.addEventListener('abort', () => queue.close(), { once: true });

  const completeIfDone = (state: DayState): void => {
    if (state.listed && state.pending === 0 && !state.failed) {
      checkpoint.completeDay(state.day.prefix, isDaySealed(state.day.day, deps.now()));
    }
  };

  const listDay = async (day: DayPrefix): Promise<void> => {
    if (aborted()) return;
    const state: DayState = { day, pending: 0, listed: false, failed: false };
    let root: DryRunRoot | undefined;
    if (options.dryRun) {
      root = dryRunRoots.get(day.root.prefix);
      if (!root)
        dryRunRoots.set(day.root.prefix, (root = { prefix: day.root.prefix, days: 0, objects: 0, bytes: 0 }));
      root.days += 1;
    }
    try {
      for await (const object of deps.lister.listObjects(day.prefix)) {
        if (aborted()) return;
        if (checkpoint.isKeyDone(day.prefix, object.key)) {
          report.objectsAlreadyDone += 1;
          continue;
        }
        report.objectsToDo += 1;
        report.bytesToDo += object.size;
        if (root) {
          root.objects += 1;
          root.bytes += object.size;
          continue;
        }
        state.pending += 1;
        progress.addTotal(1, object.size);
        await queue.push({ state, object });
      }
    } catch (err) {
      report.errors.push({ where: `s3://${options.bucket}/${day.prefix}`, message: messageOf(err) });
      return;
    }
    state.listed = true;
    if (!options.dryRun) completeIfDone(state);
  };

  const work = async (processor: ObjectProcessor): Promise<void> => {
    for (let item = await queue.take(); item !== undefined && !aborted(); item = await queue.take()) {
      const { state, object } = item;
      try {
        const summary = await processor.processObject({
          bucket: options.bucket,
          key: object.key,
          size: object.size,
        });
        addObjectSummary(report, summary);
        checkpoint.markKeyDone(state.day.prefix, object.key);
      } catch (err) {
        const message = messageOf(err);
        report.failed += 1;
        report.errors.push({ where: describeObject({ bucket: options.bucket, key: object.key }), message });
        checkpoint.markKeyFailed(object.key, message);
        state.failed = true;
      } finally {
        state.pending -= 1;
        progress.advance(object.size);
        completeIfDone(state);
      }
    }
  };

  const listing = forEachLimited(todo, LIST_CONCURRENCY, listDay).finally(() => {
    queue.close();
    progress.totalKnown();
  });

  if (options.dryRun || !deps.processor) {
    await listing;
    report.dryRun = [...dryRunRoots.values()];
    report.interrupted = aborted();
    return report;
  }

  const processor = deps.processor;
  const store = deps.checkpointStore;
  let saving: Promise<void> = Promise.resolve();
  const save = (): Promise<void> => {
    if (!store || !checkpoint.changed) return saving;
    saving = saving
      .then(() => store.save(checkpoint.toData(deps.now())))
      .catch((err: unknown) => progress.log(`warning: ${messageOf(err)}`));
    return saving;
  };
  const timer = setInterval(() => void save(), SAVE_INTERVAL_MS);
  timer.unref();
  try {
    await Promise.all([listing, ...Array.from({ length: options.concurrency }, () => work(processor))]);
  } finally {
    clearInterval(timer);
    await saving;
  }
  if (store) await store.save(checkpoint.toData(deps.now()));
  report.interrupted = aborted();
  return report;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
