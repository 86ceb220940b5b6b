/**
 * `trailwatch backfill`: processes the CloudTrail log objects already in a bucket for a date range,
 * through the same object processor as the Lambda, with a checkpoint so an interrupted run resumes.
 */
import { relative } from 'node:path';
import { assertTableExists } from '../../lambdas/adapters/table-definitions';
import type { AwsClients } from '../../lambdas/adapters/aws-clients';
import { awsFlagsFrom, clientsFor, intFlag, parseFlags, type AwsFlags } from '../aws-options';
import {
  backfillFingerprint,
  CheckpointFile,
  defaultCheckpointPath,
} from '../../lambdas/adapters/checkpoint-file';
import { DynamoDbEventStore } from '../../lambdas/adapters/event-store';
import { S3LogLister, type ListedObject } from '../../lambdas/adapters/s3-log-lister';
import { S3LogSource } from '../../lambdas/adapters/s3-log-source';
import { SnsAlerter } from '../../lambdas/adapters/sns-alerter';
import {
  isAccountId,
  isRegionName,
  normalizeLogPrefix,
  parseDay,
  planBackfill,
  utcDay,
  type BackfillScope,
  type DayPrefix,
  type PrefixLister,
} from '../../lambdas/core/backfill-plan';
import {
  BackfillCheckpoint,
  backfillScopeText,
  CheckpointMismatchError,
  isDaySealed,
} from '../../lambdas/core/checkpoint';
import type { ObjectProcessor, ObjectSkipReason, ObjectSummary } from '../../lambdas/core/ports';
import { SERVICE_NAMES, type ServiceName } from '../../lambdas/core/services';
import { createObjectProcessor } from '../../lambdas/ingest/app';
import { createProgress, formatMegabytes, formatSeconds, type Progress } from '../progress';
import { UsageError, type CliIO, type Command } from '../usage';

const HELP = `Usage: trailwatch backfill --bucket B [options]

Processes the CloudTrail log objects already in a bucket (S3 notifications only fire for new ones),
walking the date-partitioned layout <prefix>AWSLogs/[<o-id>/]<account>/CloudTrail/<region>/YYYY/MM/DD/.
Safe to run twice: a checkpoint skips what is done and the table write is idempotent.

Options:
  --bucket B               the CloudTrail bucket (required)
  --prefix P               the trail's key prefix before AWSLogs/ (default none)
  --from YYYY-MM-DD        first UTC day (default: the oldest day found)
  --to YYYY-MM-DD          last UTC day, included (default: today)
  --accounts a,b           only these account ids (default: every account found)
  --regions r1,r2          only these regions (default: every region found)
  --concurrency N          objects processed at once (default 8)
  --dry-run                list what would be processed; process nothing
  --alerts | --no-alerts   alert on failed calls found in history (default: --no-alerts)
  --checkpoint FILE        checkpoint file (default .trailwatch/checkpoints/<hash of the arguments>.json)
  --restart                ignore an existing checkpoint and start over
  --table T                the event table (required unless --dry-run)
  --alert-state-table T    the alert state table (with --alerts)
  --topic-arn ARN          the alert topic (with --alerts)
  --retention-days N       days an event is kept, from its eventTime (default 365, as the stack)
  --endpoint-url URL       endpoint of every AWS service (local servers); or AWS_ENDPOINT_URL_S3,
                           AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_SNS, AWS_ENDPOINT_URL
  --region R               AWS region (default AWS_REGION)

Exit code: 0 when every object was processed, 1 when some failed or the run was interrupted, 2 usage error.`;

/** Objects processed at once unless --concurrency says otherwise. */
const DEFAULT_CONCURRENCY = 8;
/** Day folders listed at once: listing runs ahead of processing so the total (and the ETA) is known early. */
const LIST_CONCURRENCY = 4;
/**
 * Objects listed ahead of processing at most. Below it (most backfills) the whole range is listed
 * early and the ETA is known; above it the listing pauses so memory stays bounded (~300 bytes each).
 */
const QUEUE_HIGH_WATER = 50_000;
/** Milliseconds between checkpoint saves while objects complete. */
const SAVE_INTERVAL_MS = 2000;

// ---------------------------------------------------------------------------------------------
// Options

const FLAGS = {
  bucket: { type: 'string' },
  prefix: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  accounts: { type: 'string' },
  regions: { type: 'string' },
  concurrency: { type: 'string' },
  'dry-run': { type: 'boolean' },
  alerts: { type: 'boolean' },
  'no-alerts': { type: 'boolean' },
  checkpoint: { type: 'string' },
  restart: { type: 'boolean' },
  table: { type: 'string' },
  'alert-state-table': { type: 'string' },
  'topic-arn': { type: 'string' },
  'retention-days': { type: 'string' },
  'endpoint-url': { type: 'string' },
  region: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The validated options of one backfill. */
export interface BackfillOptions {
  readonly bucket: string;
  readonly scope: BackfillScope;
  readonly concurrency: number;
  readonly dryRun: boolean;
  readonly alerts?: { readonly topicArn: string; readonly stateTable: string };
  readonly checkpointPath?: string;
  readonly restart: boolean;
  /** Required unless dryRun. */
  readonly table?: string;
  readonly retentionDays: number;
  readonly aws: AwsFlags;
}

function listFlag(
  name: string,
  value: string | undefined,
  valid: (v: string) => boolean,
  what: string,
): string[] | undefined {
  if (value === undefined) return undefined;
  const items = [
    ...new Set(
      value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    ),
  ];
  if (items.length === 0) throw new UsageError(`--${name}: expected a comma-separated list of ${what}s`);
  const bad = items.find((v) => !valid(v));
  if (bad !== undefined)
    throw new UsageError(`--${name}: '${bad}' is not ${/^[aeiou]/.test(what) ? 'an' : 'a'} ${what}`);
  return items;
}

function dayFlag(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const day = parseDay(value);
  if (day === undefined) throw new UsageError(`--${name}: expected a UTC day YYYY-MM-DD, got '${value}'`);
  return day;
}

/** Validates the command line (UsageError naming the flag); `undefined` means --help was asked for. */
export function parseBackfillOptions(argv: string[], env: NodeJS.ProcessEnv): BackfillOptions | undefined {
  const v = parseFlags(argv, FLAGS);
  if (v.help) return undefined;
  if (!v.bucket) throw new UsageError('--bucket is required (the bucket CloudTrail delivers to)');
  const from = dayFlag('from', v.from);
  const to = dayFlag('to', v.to);
  if (from !== undefined && to !== undefined && from > to)
    throw new UsageError(`--from ${from} is after --to ${to}`);
  if (v.alerts && v['no-alerts']) throw new UsageError('--alerts and --no-alerts exclude each other');
  const dryRun = v['dry-run'] === true;
  if (!dryRun && !v.table)
    throw new UsageError('--table is required (the event table, EventTableName in the stack outputs)');
  let alerts: BackfillOptions['alerts'];
  if (v.alerts) {
    if (!v['topic-arn'] || !v['alert-state-table']) {
      throw new UsageError(
        '--alerts needs --topic-arn and --alert-state-table (AlertTopicArn, AlertStateTableName in the stack outputs)',
      );
    }
    alerts = { topicArn: v['topic-arn'], stateTable: v['alert-state-table'] };
  }
  const accounts = listFlag('accounts', v.accounts, isAccountId, '12-digit account id');
  const regions = listFlag('regions', v.regions, isRegionName, 'AWS region');
  return {
    bucket: v.bucket,
    scope: {
      prefix: normalizeLogPrefix(v.prefix ?? ''),
      ...(from !== undefined ? { from } : {}),
      ...(to !== undefined ? { to } : {}),
      ...(accounts ? { accounts } : {}),
      ...(regions ? { regions } : {}),
    },
    concurrency: intFlag('concurrency', v.concurrency, DEFAULT_CONCURRENCY, 1, 256),
    dryRun,
    ...(alerts ? { alerts } : {}),
    ...(v.checkpoint ? { checkpointPath: v.checkpoint } : {}),
    restart: v.restart === true,
    ...(v.table ? { table: v.table } : {}),
    retentionDays: intFlag('retention-days', v['retention-days'], 365, 1, 36500),
    aws: awsFlagsFrom(v, env),
  };
}

// ---------------------------------------------------------------------------------------------
// The run

/** Lists what a backfill reads: child prefixes for discovery and the objects of a day folder. */
export interface BackfillLister extends PrefixLister {
  listObjects(prefix: string): AsyncIterable<ListedObject>;
}

/** What runBackfill needs; the command wires the real ones, tests may decorate them. */
export interface BackfillDeps {
  readonly lister: BackfillLister;
  /** Absent for a dry run. */
  readonly processor?: ObjectProcessor;
  readonly checkpoint: BackfillCheckpoint;
  /** Persists the checkpoint (absent: not persisted). */
  readonly saveCheckpoint?: (checkpoint: BackfillCheckpoint) => Promise<void>;
  readonly progress: Progress;
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
export interface BackfillReport {
  /** Day folders in the plan, and those skipped because the checkpoint has them done. */
  dayFolders: number;
  dayFoldersDone: number;
  /** Objects found that were not done yet, and those skipped because the checkpoint has them done. */
  objectsToDo: number;
  objectsAlreadyDone: number;
  bytesToDo: number;
  processed: number;
  skipped: Partial<Record<ObjectSkipReason, number>>;
  failed: number;
  bytesRead: number;
  eventsStored: Partial<Record<ServiceName, number>>;
  failedCalls: number;
  alertsSent: number;
  alertsSuppressed: number;
  /** Objects that failed and day folders that could not be listed. */
  errors: { where: string; message: string }[];
  interrupted: boolean;
  notes: string[];
  /** Dry run only: what would be processed, per trail root. */
  dryRun?: DryRunRoot[];
}

/**
 * A queue of work that workers wait on; closed once the listing is complete. Pushing waits while
 * `highWater` items are queued, so the listing of a huge range cannot hold every key in memory.
 */
class WorkQueue<T> {
  private items: T[] = [];
  private head = 0;
  private readonly takers: ((item: T | undefined) => void)[] = [];
  private readonly pushers: (() => void)[] = [];
  private closed = false;

  constructor(private readonly highWater: number) {}

  /** Adds an item; resolves once there is room (or the queue was closed, dropping the item). */
  async push(item: T): Promise<void> {
    while (!this.closed && this.size >= this.highWater) {
      await new Promise<void>((resolve) => this.pushers.push(resolve));
    }
    if (this.closed) return;
    const taker = this.takers.shift();
    if (taker) taker(item);
    else this.items.push(item);
  }

  /** No more items will come: waiting takers get undefined, waiting pushers return. */
  close(): void {
    this.closed = true;
    for (const taker of this.takers.splice(0)) taker(undefined);
    for (const pusher of this.pushers.splice(0)) pusher();
  }

  /** The next item, or undefined once closed and empty. */
  take(): Promise<T | undefined> {
    if (this.size > 0) {
      const item = this.items[this.head] as T;
      this.head += 1;
      // Compact now and then instead of shift(), which copies the whole array each time.
      if (this.head >= 1024 && this.head * 2 >= this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      this.pushers.shift()?.();
      return Promise.resolve(item);
    }
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => this.takers.push(resolve));
  }

  private get size(): number {
    return this.items.length - this.head;
  }
}

interface DayState {
  readonly day: DayPrefix;
  pending: number;
  listed: boolean;
  failed: boolean;
}

function emptyReport(): BackfillReport {
  return {
    dayFolders: 0,
    dayFoldersDone: 0,
    objectsToDo: 0,
    objectsAlreadyDone: 0,
    bytesToDo: 0,
    processed: 0,
    skipped: {},
    failed: 0,
    bytesRead: 0,
    eventsStored: {},
    failedCalls: 0,
    alertsSent: 0,
    alertsSuppressed: 0,
    errors: [],
    interrupted: false,
    notes: [],
  };
}

function addSummary(report: BackfillReport, summary: ObjectSummary): void {
  if (summary.status === 'skipped') {
    const reason = summary.skipReason ?? 'not-a-log-key';
    report.skipped[reason] = (report.skipped[reason] ?? 0) + 1;
    return;
  }
  report.processed += 1;
  report.bytesRead += summary.bytesRead;
  for (const service of SERVICE_NAMES) {
    const n = summary.eventsStored[service];
    if (n) report.eventsStored[service] = (report.eventsStored[service] ?? 0) + n;
  }
  report.failedCalls += summary.failedCalls;
  report.alertsSent += summary.alerts?.messagesPublished ?? 0;
  report.alertsSuppressed += summary.alerts?.eventsSuppressed ?? 0;
}

/** Runs `fn` over items with at most `limit` at once, in order of start. */
async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, () => worker()));
}

/**
 * Plans the day folders, lists them (a few at a time, ahead of processing), and processes every
 * object not already done with at most `concurrency` in flight. A day folder becomes done in the
 * checkpoint once it was listed to the end, all its objects succeeded, and the day is over (sealed).
 */
export async function runBackfill(
  options: Pick<BackfillOptions, 'bucket' | 'scope' | 'concurrency' | 'dryRun'>,
  deps: BackfillDeps,
): Promise<BackfillReport> {
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
  // Ctrl-C must also free a listing that waits for room in the queue.
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
        addSummary(report, summary);
        checkpoint.markKeyDone(state.day.prefix, object.key);
      } catch (err) {
        const message = messageOf(err);
        report.failed += 1;
        report.errors.push({ where: `s3://${options.bucket}/${object.key}`, message });
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
  let saving: Promise<void> = Promise.resolve();
  const save = (): Promise<void> => {
    if (!deps.saveCheckpoint || !checkpoint.changed) return saving;
    saving = saving
      .then(() => deps.saveCheckpoint?.(checkpoint))
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
  report.interrupted = aborted();
  return report;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// ---------------------------------------------------------------------------------------------
// Output

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function serviceLine(counts: Partial<Record<ServiceName, number>>): string {
  const total = SERVICE_NAMES.reduce((sum, s) => sum + (counts[s] ?? 0), 0);
  return `${SERVICE_NAMES.map((s) => `${s} ${counts[s] ?? 0}`).join(', ')} (${total} in all)`;
}

/** The errors printed in the summary; the checkpoint file keeps every failed key. */
const MAX_ERRORS_SHOWN = 50;

/** The end-of-run summary (stdout). */
export function formatBackfillSummary(
  options: Pick<BackfillOptions, 'bucket' | 'scope' | 'dryRun' | 'alerts'>,
  report: BackfillReport,
  extra: { checkpointPath?: string; elapsedMs: number },
): string {
  const s = options.scope;
  const range = `${s.from ?? 'oldest'} .. ${s.to ?? (s.from ? 'today' : 'newest')}`;
  const lines: string[] = [];
  lines.push(
    `backfill of s3://${options.bucket}/${s.prefix}AWSLogs/ for ${range}${options.dryRun ? ' (dry run)' : ''}`,
  );
  lines.push(
    `  day folders:   ${report.dayFolders} (${report.dayFoldersDone} already done per the checkpoint)`,
  );
  if (options.dryRun) {
    for (const root of report.dryRun ?? []) {
      lines.push(
        `    ${root.prefix}  ${plural(root.days, 'day')}, ${plural(root.objects, 'object')}, ${formatMegabytes(root.bytes)} MB`,
      );
    }
    lines.push(
      `  would process: ${report.objectsToDo} objects, ${formatMegabytes(report.bytesToDo)} MB (${report.objectsAlreadyDone} already done per the checkpoint)`,
    );
  } else {
    const skipped = Object.values(report.skipped).reduce((a, b) => a + (b ?? 0), 0);
    const notDone = report.objectsToDo - report.processed - skipped - report.failed;
    lines.push(
      `  objects:       ${report.processed} processed, ${skipped} skipped, ${report.failed} failed` +
        `${notDone > 0 ? `, ${notDone} not started` : ''} (${report.objectsAlreadyDone} already done per the checkpoint)`,
    );
    if (skipped > 0) {
      lines.push(
        `  skipped:       ${Object.entries(report.skipped)
          .map(([reason, n]) => `${reason} ${n}`)
          .join(', ')}`,
      );
    }
    lines.push(`  read:          ${formatMegabytes(report.bytesRead)} MB`);
    lines.push(`  events stored: ${serviceLine(report.eventsStored)}`);
    lines.push(`  failed calls:  ${report.failedCalls}`);
    lines.push(
      options.alerts
        ? `  alerts:        ${report.alertsSent} sent, ${report.alertsSuppressed} failed calls suppressed`
        : '  alerts:        off (--no-alerts is the default for history)',
    );
  }
  if (extra.checkpointPath) lines.push(`  checkpoint:    ${extra.checkpointPath}`);
  lines.push(`  time:          ${formatSeconds(extra.elapsedMs / 1000)}`);
  for (const note of report.notes) lines.push(`  note: ${note}`);
  if (report.errors.length > 0) {
    lines.push(`errors (${report.errors.length}):`);
    for (const e of report.errors.slice(0, MAX_ERRORS_SHOWN)) {
      lines.push(`  ${e.message.startsWith(e.where) ? e.message : `${e.where}: ${e.message}`}`);
    }
    if (report.errors.length > MAX_ERRORS_SHOWN) {
      lines.push(
        `  ... and ${report.errors.length - MAX_ERRORS_SHOWN} more (every failed key is in the checkpoint file)`,
      );
    }
  }
  if (report.interrupted) {
    lines.push('result: interrupted; run the same command again to resume from the checkpoint');
  } else if (report.errors.length > 0) {
    lines.push(
      'result: NOT every object was processed; fix the cause and run the same command again to retry the failed ones',
    );
  } else if (!options.dryRun) {
    lines.push('result: every object was processed');
  }
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// The command

/** Test seams of the backfill command. */
export interface BackfillCommandOverrides {
  /** Replaces Ctrl-C handling: aborting it interrupts the run as Ctrl-C would. */
  readonly signal?: AbortSignal;
  /** Wraps the object processor (e.g. to interrupt after N objects). */
  readonly decorateProcessor?: (processor: ObjectProcessor) => ObjectProcessor;
  readonly now?: () => Date;
}

/** Builds the backfill command; `backfillCommand` is the real one. */
export function createBackfillCommand(overrides: BackfillCommandOverrides = {}): Command {
  return {
    name: 'backfill',
    summary: 'Process the log objects already in the bucket for a date range',
    async run(argv: string[], io: CliIO): Promise<number> {
      const options = parseBackfillOptions(argv, io.env);
      if (!options) {
        io.stdout.write(HELP + '\n');
        return 0;
      }
      const started = Date.now();
      const now = overrides.now ?? (() => new Date());
      const clients = clientsFor(options.aws, io.env);
      try {
        return await execute(options, clients, io, now, overrides, started);
      } finally {
        clients.s3.destroy();
        clients.dynamodb.destroy();
        clients.sns.destroy();
        clients.sqs.destroy();
      }
    },
  };
}

async function execute(
  options: BackfillOptions,
  clients: AwsClients,
  io: CliIO,
  now: () => Date,
  overrides: BackfillCommandOverrides,
  started: number,
): Promise<number> {
  const scopeText = backfillScopeText({
    bucket: options.bucket,
    ...options.scope,
    table: options.table ?? '-',
  });
  const fingerprint = backfillFingerprint(scopeText);
  const file = new CheckpointFile(options.checkpointPath ?? defaultCheckpointPath(io.cwd, fingerprint));
  const shownPath = relative(io.cwd, file.path).startsWith('..') ? file.path : relative(io.cwd, file.path);

  let checkpoint: BackfillCheckpoint;
  const stored = options.restart ? undefined : await file.load();
  try {
    checkpoint = stored
      ? BackfillCheckpoint.restore(stored, fingerprint, shownPath)
      : BackfillCheckpoint.fresh(fingerprint, scopeText, now());
  } catch (err) {
    if (err instanceof CheckpointMismatchError) throw new UsageError(err.message);
    throw err;
  }

  const lister = new S3LogLister({ bucket: options.bucket, client: clients.s3 });
  let processor: ObjectProcessor | undefined;
  if (!options.dryRun && options.table !== undefined) {
    await assertTableExists(clients.dynamodb, options.table, '--table');
    const sink = new DynamoDbEventStore({
      tableName: options.table,
      client: clients.dynamodb,
      retentionDays: options.retentionDays,
    });
    const alerts = options.alerts
      ? new SnsAlerter({
          topicArn: options.alerts.topicArn,
          stateTableName: options.alerts.stateTable,
          sns: clients.sns,
          dynamodb: clients.dynamodb,
        })
      : undefined;
    processor = createObjectProcessor({
      source: new S3LogSource(clients.s3),
      sink,
      ...(alerts ? { alerts } : {}),
      sourceBuckets: [options.bucket],
    });
    if (overrides.decorateProcessor) processor = overrides.decorateProcessor(processor);
  }

  const progress = options.dryRun ? undefined : createProgress({ label: 'backfill', stream: io.stderr });
  const controller = new AbortController();
  const signal = overrides.signal ?? controller.signal;
  let interrupts = 0;
  const onSigint = (): void => {
    interrupts += 1;
    if (interrupts > 1) process.exit(130);
    progress?.log(
      'interrupted: finishing the objects in flight and saving the checkpoint (Ctrl-C again to quit now)',
    );
    controller.abort();
  };
  if (!overrides.signal) process.on('SIGINT', onSigint);

  let report: BackfillReport;
  try {
    report = await runBackfill(options, {
      lister,
      ...(processor ? { processor } : {}),
      checkpoint,
      ...(options.dryRun ? {} : { saveCheckpoint: (c) => file.save(c.toData(now())) }),
      progress: progress ?? { addTotal() {}, totalKnown() {}, advance() {}, log() {}, stop() {} },
      now,
      signal,
    });
  } finally {
    progress?.stop();
    if (!overrides.signal) process.off('SIGINT', onSigint);
  }
  if (!options.dryRun) await file.save(checkpoint.toData(now()));

  io.stdout.write(
    formatBackfillSummary(options, report, {
      ...(options.dryRun ? {} : { checkpointPath: shownPath }),
      elapsedMs: Date.now() - started,
    }),
  );
  return report.interrupted || report.errors.length > 0 ? 1 : 0;
}

/** `trailwatch backfill`. */
export const backfillCommand: Command = createBackfillCommand();
