/**
 * The backfill checkpoint: which day prefixes and object keys are done, so an interrupted backfill
 * resumes where it stopped and a repeated one neither lists finished days nor re-reads finished objects.
 * Pure model; adapters/checkpoint-file.ts persists it.
 */
import * as z from 'zod';
import { TrailwatchError } from './errors';

/** The checkpoint as stored (JSON). */
export const CheckpointDataSchema = z.object({
  version: z.literal(1),
  /** Identifies the backfill arguments the checkpoint belongs to (see backfillFingerprint). */
  fingerprint: z.string(),
  /** The arguments in words, for a person reading the file. */
  scope: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** Day prefixes whose every object is done and to which no new object can still arrive. */
  doneDays: z.array(z.string()),
  /** For the other day prefixes: the keys done (processed or skipped). */
  doneKeys: z.record(z.string(), z.array(z.string())),
  /** Keys whose last attempt failed, with the error; retried by the next run. */
  failedKeys: z.record(z.string(), z.string()),
});
/** The checkpoint as stored (JSON). */
export type CheckpointData = z.infer<typeof CheckpointDataSchema>;

/** The checkpoint on disk belongs to a different backfill (other bucket, prefix, range or table). */
export class CheckpointMismatchError extends TrailwatchError {}

/**
 * Hours after a day ends before its folder is considered final. CloudTrail keeps delivering files into
 * the folder of the current day, so a day is only sealed once it is safely over; until then its
 * finished keys are remembered one by one and the folder is listed again on the next run.
 */
export const SEAL_AFTER_HOURS = 24;

/** True when no new log file can be expected in the folder of `day` (YYYY-MM-DD) at `now`. */
export function isDaySealed(day: string, now: Date, sealAfterHours = SEAL_AFTER_HOURS): boolean {
  const dayEnd = Date.parse(`${day}T00:00:00Z`) + 86_400_000;
  return now.getTime() >= dayEnd + sealAfterHours * 3_600_000;
}

/**
 * The arguments that make two backfills the same one: their canonical text form. Besides what is
 * read (bucket, prefix, range, accounts, regions), it names everything that changes what a run
 * does with an object: the table, the alerts (off, or the topic and state table) and the retention.
 * So an `--alerts` run after a run without alerts does not find the objects done and skip them.
 */
export function backfillScopeText(args: {
  bucket: string;
  prefix: string;
  from?: string;
  to?: string;
  accounts?: readonly string[];
  regions?: readonly string[];
  table: string;
  /** Where alerts go, or undefined when the run does not alert. */
  alerts?: { readonly topicArn: string; readonly stateTable: string };
  retentionDays: number;
}): string {
  const list = (v?: readonly string[]) => (v ? [...v].sort().join(',') : '*');
  return [
    `s3://${args.bucket}/${args.prefix}`,
    `from=${args.from ?? '*'}`,
    `to=${args.to ?? '*'}`,
    `accounts=${list(args.accounts)}`,
    `regions=${list(args.regions)}`,
    `table=${args.table}`,
    `alerts=${args.alerts ? `${args.alerts.topicArn},${args.alerts.stateTable}` : 'off'}`,
    `retention-days=${args.retentionDays}`,
  ].join(' ');
}

/** Mutable in-memory checkpoint of one backfill; `toData()` gives what to persist. */
export class BackfillCheckpoint {
  private readonly doneDays: Set<string>;
  private readonly doneKeys: Map<string, Set<string>>;
  private readonly failedKeys: Map<string, string>;
  private dirty = false;

  private constructor(private readonly data: CheckpointData) {
    this.doneDays = new Set(data.doneDays);
    this.doneKeys = new Map(Object.entries(data.doneKeys).map(([day, keys]) => [day, new Set(keys)]));
    this.failedKeys = new Map(Object.entries(data.failedKeys));
  }

  /** A checkpoint with nothing done. */
  static fresh(fingerprint: string, scope: string, now: Date): BackfillCheckpoint {
    const at = now.toISOString();
    return new BackfillCheckpoint({
      version: 1,
      fingerprint,
      scope,
      createdAt: at,
      updatedAt: at,
      doneDays: [],
      doneKeys: {},
      failedKeys: {},
    });
  }

  /** Restores a stored checkpoint; throws CheckpointMismatchError when it belongs to other arguments. */
  static restore(data: CheckpointData, fingerprint: string, origin: string): BackfillCheckpoint {
    if (data.fingerprint !== fingerprint) {
      throw new CheckpointMismatchError(
        `${origin}: checkpoint of another backfill (${data.scope}); pass another --checkpoint or --restart`,
      );
    }
    return new BackfillCheckpoint(data);
  }

  /** True when the whole day prefix is done and sealed: it need not even be listed. */
  isDayDone(dayPrefix: string): boolean {
    return this.doneDays.has(dayPrefix);
  }

  /** True when this object was processed (or skipped) by an earlier run or earlier in this one. */
  isKeyDone(dayPrefix: string, key: string): boolean {
    return this.doneDays.has(dayPrefix) || (this.doneKeys.get(dayPrefix)?.has(key) ?? false);
  }

  /** Records an object as done and forgets an earlier failure of it. */
  markKeyDone(dayPrefix: string, key: string): void {
    let keys = this.doneKeys.get(dayPrefix);
    if (!keys) this.doneKeys.set(dayPrefix, (keys = new Set()));
    keys.add(key);
    this.failedKeys.delete(key);
    this.dirty = true;
  }

  /** Records an object's failure; it stays not done, so the next run retries it. */
  markKeyFailed(key: string, message: string): void {
    this.failedKeys.set(key, message);
    this.dirty = true;
  }

  /**
   * Called when a day prefix was listed to the end and each of its objects is done. A sealed day
   * collapses to one entry; an unsealed one keeps its keys so new arrivals are still picked up.
   */
  completeDay(dayPrefix: string, sealed: boolean): void {
    if (!sealed || this.doneDays.has(dayPrefix)) return;
    this.doneDays.add(dayPrefix);
    this.doneKeys.delete(dayPrefix);
    this.dirty = true;
  }

  /** Keys that failed and were not done since, with their last error. */
  failures(): ReadonlyMap<string, string> {
    return this.failedKeys;
  }

  /** True when something changed since the last `toData()`. */
  get changed(): boolean {
    return this.dirty;
  }

  /** The state to persist; clears `changed`. */
  toData(now: Date): CheckpointData {
    this.dirty = false;
    return {
      ...this.data,
      updatedAt: now.toISOString(),
      doneDays: [...this.doneDays].sort(),
      doneKeys: Object.fromEntries([...this.doneKeys].map(([day, keys]) => [day, [...keys].sort()])),
      failedKeys: Object.fromEntries(this.failedKeys),
    };
  }
}
