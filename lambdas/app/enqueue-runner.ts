/**
 * The enqueue run of a distributed backfill: lists the units (day prefixes or inventory files), keeps
 * the keys in scope, and sends them to the backfill queue as batch messages (20 keys each, 10 messages
 * per SendMessageBatch call), recording in the checkpoint after each accepted call how far each unit
 * got, so an interrupted run resumes without sending again what the queue accepted.
 */
import type { ListedObject } from '../adapters/s3-log-lister';
import type { QueueEntry, RejectedEntry } from '../adapters/backfill-queue';
import {
  BACKFILL_BATCH_KIND,
  BACKFILL_BATCH_MAX_KEYS,
  BACKFILL_BATCH_VERSION,
  encodeBackfillBatch,
  SQS_MAX_BODY_BYTES,
} from '../core/backfill-batch';
import type { EnqueueCheckpoint, EnqueueCheckpointData } from '../core/enqueue-checkpoint';
import { TrailwatchError } from '../core/errors';
import type { ListingUnit } from './backfill-listing';
import type { RunProgress } from './run-progress';
import { forEachLimited } from './work-queue';

/** Messages per SendMessageBatch call (SQS's limit). */
const MESSAGES_PER_CALL = 10;
/** Attempts at entries the queue rejected for a reason of its own (throttling, an internal error). */
const SEND_ATTEMPTS = 4;
/** Milliseconds between checkpoint saves while sending. */
const SAVE_INTERVAL_MS = 2000;

/** The queue refused messages for good, or kept refusing them. */
export class EnqueueError extends TrailwatchError {}

/** The queue as the enqueue run uses it. */
export interface BatchSender {
  sendBatch(entries: readonly QueueEntry[]): Promise<RejectedEntry[]>;
}

/** What one enqueue covers and how. */
export interface EnqueueRunOptions {
  readonly bucket: string;
  /** List and count only (the estimate); send nothing. */
  readonly dryRun: boolean;
  /** Units listed and sent at once. */
  readonly concurrency: number;
}

/** What runEnqueue needs; the command wires the real ones, tests may decorate them. */
export interface EnqueueDeps {
  readonly units: readonly ListingUnit[];
  /** Whether a listed key belongs to the backfill (prefix, accounts, regions, days). */
  readonly inScope: (key: string) => boolean;
  /** Absent for a dry run. */
  readonly queue?: BatchSender;
  readonly checkpoint: EnqueueCheckpoint;
  /** Persists the checkpoint every few seconds and at the end; absent: not persisted (dry run). */
  readonly checkpointStore?: { save(data: EnqueueCheckpointData): Promise<void> };
  readonly progress: RunProgress;
  readonly now: () => Date;
  /** Aborting stops after the calls in flight; the checkpoint is saved. */
  readonly signal?: AbortSignal;
  /** Waits between attempts (tests pass a fast one). */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** What an enqueue did (or, in a dry run, would do). */
export interface EnqueueReport {
  units: number;
  /** Units the checkpoint has fully sent: not listed again. */
  unitsAlreadyDone: number;
  /** Keys in scope found now and not sent before, and their bytes: the estimate's listing. */
  keys: number;
  bytes: number;
  /** Keys in scope the checkpoint says were sent by an earlier run (skipped). */
  keysAlreadySent: number;
  /** Listed objects left out: not a log file in scope, or empty. */
  keysOutOfScope: number;
  keysSent: number;
  messagesSent: number;
  calls: number;
  errors: { where: string; message: string }[];
  interrupted: boolean;
}

interface Pending {
  readonly object: ListedObject;
}

/**
 * Lists every unit not done (`concurrency` at a time) and sends its keys in scope, in listing order,
 * one SendMessageBatch call at a time per unit. A unit becomes done once every key was sent and it is
 * sealed. The first error stops the run (the checkpoint keeps what was accepted).
 */
export async function runEnqueue(options: EnqueueRunOptions, deps: EnqueueDeps): Promise<EnqueueReport> {
  const report: EnqueueReport = {
    units: deps.units.length,
    unitsAlreadyDone: 0,
    keys: 0,
    bytes: 0,
    keysAlreadySent: 0,
    keysOutOfScope: 0,
    keysSent: 0,
    messagesSent: 0,
    calls: 0,
    errors: [],
    interrupted: false,
  };
  const { checkpoint, progress } = deps;
  const stop = new AbortController();
  const stopped = () => stop.signal.aborted || deps.signal?.aborted === true;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let batchNumber = 0;

  const send = async (unit: ListingUnit, keys: readonly Pending[], sentBefore: number): Promise<number> => {
    const messages: { id: string; body: string; keys: number; bytes: number }[] = [];
    for (let i = 0; i < keys.length; i += BACKFILL_BATCH_MAX_KEYS) {
      const chunk = keys.slice(i, i + BACKFILL_BATCH_MAX_KEYS);
      const body = encodeBackfillBatch({
        kind: BACKFILL_BATCH_KIND,
        version: BACKFILL_BATCH_VERSION,
        runId: checkpoint.runId,
        bucket: options.bucket,
        keys: chunk.map((p) => p.object.key),
      });
      batchNumber += 1;
      messages.push({
        id: `m${batchNumber}`,
        body,
        keys: chunk.length,
        bytes: chunk.reduce((sum, p) => sum + p.object.size, 0),
      });
    }
    // Calls of at most 10 messages and SQS's 256 KB for the sum of their bodies.
    let sent = sentBefore;
    for (let i = 0; i < messages.length;) {
      const call: typeof messages = [];
      let size = 0;
      while (i < messages.length && call.length < MESSAGES_PER_CALL) {
        const next = messages[i] as (typeof messages)[number];
        const bodyBytes = Buffer.byteLength(next.body);
        if (call.length > 0 && size + bodyBytes > SQS_MAX_BODY_BYTES) break;
        call.push(next);
        size += bodyBytes;
        i += 1;
      }
      await sendCall(unit, call);
      const keysInCall = call.reduce((sum, m) => sum + m.keys, 0);
      const bytesInCall = call.reduce((sum, m) => sum + m.bytes, 0);
      sent += keysInCall;
      checkpoint.recordSent(unit.id, sent, keysInCall, bytesInCall, call.length);
      report.keysSent += keysInCall;
      report.messagesSent += call.length;
      for (const m of call) progress.advance(m.bytes);
    }
    return sent;
  };

  const sendCall = async (unit: ListingUnit, call: readonly QueueEntry[]): Promise<void> => {
    const queue = deps.queue as BatchSender;
    let pending = call;
    for (let attempt = 1; ; attempt += 1) {
      report.calls += 1;
      const rejected = await queue.sendBatch(pending);
      if (rejected.length === 0) return;
      const final = rejected.find((r) => r.senderFault);
      if (final || attempt >= SEND_ATTEMPTS) {
        const r = final ?? (rejected[0] as RejectedEntry);
        throw new EnqueueError(
          `${unit.id}: the queue refused ${rejected.length} of ${pending.length} messages (${r.code}: ${r.message})` +
            (final ? '' : ` after ${attempt} attempts`),
        );
      }
      const again = new Set(rejected.map((r) => r.id));
      pending = pending.filter((e) => again.has(e.id));
      await sleep(200 * 2 ** attempt);
    }
  };

  const runUnit = async (unit: ListingUnit): Promise<void> => {
    if (stopped()) return;
    if (checkpoint.isUnitDone(unit.id)) {
      report.unitsAlreadyDone += 1;
      return;
    }
    const skip = checkpoint.keysSent(unit.id, unit.sealed);
    let index = 0;
    let sent = skip;
    let buffer: Pending[] = [];
    const perCall = BACKFILL_BATCH_MAX_KEYS * MESSAGES_PER_CALL;
    try {
      for await (const object of unit.list()) {
        if (stopped()) return;
        if (object.size === 0 || !deps.inScope(object.key)) {
          report.keysOutOfScope += 1;
          continue;
        }
        index += 1;
        if (index <= skip) {
          report.keysAlreadySent += 1;
          continue;
        }
        report.keys += 1;
        report.bytes += object.size;
        progress.addTotal(1, object.size);
        if (options.dryRun) continue;
        buffer.push({ object });
        if (buffer.length >= perCall) {
          sent = await send(unit, buffer, sent);
          buffer = [];
        }
      }
      if (options.dryRun || stopped()) return;
      if (buffer.length > 0) sent = await send(unit, buffer, sent);
      checkpoint.completeUnit(unit.id, unit.sealed);
    } catch (err) {
      report.errors.push({ where: unit.id, message: err instanceof Error ? err.message : String(err) });
      stop.abort();
    }
  };

  const store = options.dryRun ? undefined : deps.checkpointStore;
  let saving: Promise<void> = Promise.resolve();
  const save = (): Promise<void> => {
    if (!store || !checkpoint.changed) return saving;
    saving = saving
      .then(() => store.save(checkpoint.toData(deps.now())))
      .catch((err: unknown) => progress.log(`warning: ${err instanceof Error ? err.message : String(err)}`));
    return saving;
  };
  const timer = setInterval(() => void save(), SAVE_INTERVAL_MS);
  timer.unref();
  try {
    await forEachLimited(deps.units, options.concurrency, runUnit);
  } finally {
    clearInterval(timer);
    progress.totalKnown();
    await saving;
  }
  // The last save must succeed: a resume would otherwise send again what this run sent.
  if (store) await store.save(checkpoint.toData(deps.now()));
  report.interrupted = deps.signal?.aborted === true;
  return report;
}
