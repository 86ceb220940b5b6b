/**
 * The checkpoint of `trailwatch backfill --on-aws`: which listing units (day prefixes of a prefix
 * walk, data files of an inventory) are fully enqueued and how many keys of the others were sent, so
 * an interrupted enqueue resumes without sending again what was sent, under the same run id.
 * Pure model; the CLI persists it as a JSON file.
 */
import * as z from 'zod';
import { TrailwatchError } from './errors';

/** The checkpoint as stored (JSON). */
export const EnqueueCheckpointDataSchema = z.object({
  kind: z.literal('trailwatch.backfill-enqueue'),
  version: z.literal(1),
  /** The run id every message of this backfill carries; kept across resumes. */
  runId: z.string(),
  fingerprint: z.string(),
  /** The arguments in words, for a person reading the file. */
  scope: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** Units whose every key in scope was sent and that cannot change any more. */
  doneUnits: z.array(z.string()),
  /** For the other units: how many of their keys in scope (in listing order) were sent. */
  sentKeys: z.record(z.string(), z.number().int().nonnegative()),
  /** Totals over every run of this backfill. */
  totals: z.object({ keys: z.number(), bytes: z.number(), messages: z.number() }),
});
/** The checkpoint as stored (JSON). */
export type EnqueueCheckpointData = z.infer<typeof EnqueueCheckpointDataSchema>;

/** The checkpoint on disk belongs to another backfill (other bucket, scope, listing or queue). */
export class EnqueueCheckpointMismatchError extends TrailwatchError {}

/** A run id from the fingerprint and the start time: `bf-<yyyymmddhhmmss>-<fingerprint 8>`. */
export function newRunId(fingerprint: string, now: Date): string {
  const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `bf-${stamp}-${fingerprint.slice(0, 8)}`;
}

/** The enqueue checkpoint in memory. */
export class EnqueueCheckpoint {
  private readonly done: Set<string>;
  private readonly sent: Map<string, number>;
  private changedSinceSave = false;

  private constructor(private readonly data: EnqueueCheckpointData) {
    this.done = new Set(data.doneUnits);
    this.sent = new Map(Object.entries(data.sentKeys));
  }

  /** A new checkpoint with a new run id. */
  static fresh(fingerprint: string, scope: string, now: Date): EnqueueCheckpoint {
    return new EnqueueCheckpoint({
      kind: 'trailwatch.backfill-enqueue',
      version: 1,
      runId: newRunId(fingerprint, now),
      fingerprint,
      scope,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      doneUnits: [],
      sentKeys: {},
      totals: { keys: 0, bytes: 0, messages: 0 },
    });
  }

  /** The stored checkpoint; throws EnqueueCheckpointMismatchError when it is another backfill's. */
  static restore(data: EnqueueCheckpointData, fingerprint: string, origin: string): EnqueueCheckpoint {
    if (data.fingerprint !== fingerprint) {
      throw new EnqueueCheckpointMismatchError(
        `${origin} is the checkpoint of another backfill (${data.scope}); pass --restart to start over, or --checkpoint FILE`,
      );
    }
    return new EnqueueCheckpoint(data);
  }

  get runId(): string {
    return this.data.runId;
  }

  /** Totals over every run of this backfill, this one included. */
  get totals(): Readonly<EnqueueCheckpointData['totals']> {
    return this.data.totals;
  }

  /** True when something changed since the last toData. */
  get changed(): boolean {
    return this.changedSinceSave;
  }

  isUnitDone(unit: string): boolean {
    return this.done.has(unit);
  }

  /** Keys of a unit already sent, to skip when it is listed again (0 for a unit that may have changed). */
  keysSent(unit: string, sealed: boolean): number {
    return sealed ? (this.sent.get(unit) ?? 0) : 0;
  }

  /** A group of messages of a unit was accepted by the queue. */
  recordSent(unit: string, sentInUnit: number, keys: number, bytes: number, messages: number): void {
    this.sent.set(unit, sentInUnit);
    this.data.totals.keys += keys;
    this.data.totals.bytes += bytes;
    this.data.totals.messages += messages;
    this.changedSinceSave = true;
  }

  /** Every key of the unit was sent; a sealed unit is never listed again. */
  completeUnit(unit: string, sealed: boolean): void {
    if (!sealed) return;
    this.done.add(unit);
    this.sent.delete(unit);
    this.changedSinceSave = true;
  }

  /** The data to store. */
  toData(now: Date): EnqueueCheckpointData {
    this.changedSinceSave = false;
    return {
      ...this.data,
      updatedAt: now.toISOString(),
      doneUnits: [...this.done],
      sentKeys: Object.fromEntries(this.sent),
      totals: { ...this.data.totals },
    };
  }
}
