/**
 * `trailwatch backfill`: processes the CloudTrail log objects already in a bucket for a date range,
 * through the same object processor as the Lambda, with a checkpoint so an interrupted run resumes.
 * The run itself is lambdas/app/backfill-runner.ts and the processor is lambdas/app/compose.ts; this file parses flags,
 * handles Ctrl-C and prints the summary.
 */
import { relative } from 'node:path';
import {
  ENGINE_HELP,
  ENGINE_SUBCOMMANDS,
  parseEngineOptions,
  runEngine,
  type EngineOverrides,
} from '../backfill-engine';
import { ON_AWS_HELP, parseOnAwsOptions, runOnAws, type OnAwsOverrides } from '../backfill-on-aws';
import { parseScopeFlags, SCOPE_FLAGS } from '../backfill-scope-flags';
import { checkedProcessor } from '../preflight';
import { reportResumedReads } from '../read-resumed';
import type { AwsClients } from '../../lambdas/adapters/aws-clients';
import {
  awsFlagsFrom,
  endpointFlagOptions,
  endpointFlagsHelp,
  explainAwsSetupError,
  intFlag,
  parseFlags,
  withAwsClients,
  type AwsFlags,
} from '../aws-options';
import {
  backfillFingerprint,
  CheckpointFile,
  defaultCheckpointPath,
} from '../../lambdas/adapters/checkpoint-file';
import { S3LogLister } from '../../lambdas/adapters/s3-log-lister';
import { logReadClient } from '../../lambdas/app/compose';
import {
  backfillScopeText,
  type BackfillCheckpoint,
  CheckpointMismatchError,
} from '../../lambdas/core/checkpoint';
import type { ObjectProcessor } from '../../lambdas/core/ports';
import { SERVICE_NAMES, type ServiceName } from '../../lambdas/core/services';
import type { IngestConfig } from '../../lambdas/ingest/config';
import {
  openBackfillCheckpoint,
  runBackfill,
  type BackfillReport,
  type BackfillRunOptions,
} from '../../lambdas/app/backfill-runner';
import {
  historyProcessorConfig,
  historyTargetsFrom,
  PROCESSOR_FLAGS,
  processorFlagsHelp,
  READ_ROLE_FLAGS,
  readRoleFlagHelp,
} from '../processor-flags';
import { interruptOnCtrlC, type InterruptSeam } from '../interrupt';
import { createProgress, formatMegabytes, formatSeconds, silentProgress } from '../progress';
import { UsageError, type CliIO, type Command } from '../usage';

const HELP = `Usage: trailwatch backfill --bucket B [options]

Processes the CloudTrail log objects already in a bucket (S3 notifications only fire for new ones),
walking the date-partitioned layout <prefix>AWSLogs/[<o-id>/]<account>/CloudTrail/<region>/YYYY/MM/DD/.
Safe to run twice: a checkpoint skips what is done and the table write is idempotent. For more than
a few days of an organization, run it on AWS: trailwatch backfill --on-aws --help.

Options:
  --bucket B               the CloudTrail bucket (required)
  --prefix P               the trail's key prefix before AWSLogs/ (default none); the stack output
                           LogKeyPrefix (which ends in AWSLogs/) is accepted as it is
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
${readRoleFlagHelp(27)}
${processorFlagsHelp(27)}
${endpointFlagsHelp(['s3', 'dynamodb', 'sns'])}
  --region R               AWS region (default AWS_REGION)

Exit code: 0 when every object was processed, 1 when some failed, none was found (a real run) or the
run was interrupted, 2 usage error.`;

/** Objects processed at once unless --concurrency says otherwise. */
const DEFAULT_CONCURRENCY = 8;

// ---------------------------------------------------------------------------------------------
// Options

const FLAGS = {
  bucket: { type: 'string' },
  ...SCOPE_FLAGS,
  concurrency: { type: 'string' },
  'dry-run': { type: 'boolean' },
  alerts: { type: 'boolean' },
  'no-alerts': { type: 'boolean' },
  checkpoint: { type: 'string' },
  restart: { type: 'boolean' },
  table: { type: 'string' },
  'alert-state-table': { type: 'string' },
  'topic-arn': { type: 'string' },
  ...READ_ROLE_FLAGS,
  ...PROCESSOR_FLAGS,
  ...endpointFlagOptions(['s3', 'dynamodb', 'sns']),
  region: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The validated options of one backfill. */
export interface BackfillOptions extends BackfillRunOptions {
  readonly alerts?: { readonly topicArn: string; readonly stateTable: string };
  readonly checkpointPath?: string;
  readonly restart: boolean;
  /** Required unless dryRun. */
  readonly table?: string;
  /** The processor's configuration (the Lambda's schema); absent on a dry run. */
  readonly config?: IngestConfig;
  /** The bucket account's read role that lists and reads the bucket (a dry run lists with it too). */
  readonly readRoleArn?: string;
  readonly aws: AwsFlags;
}

/** Validates the command line (UsageError naming the flag); `undefined` means --help was asked for. */
export function parseBackfillOptions(
  argv: string[],
  env: NodeJS.ProcessEnv,
  cwd: string = process.cwd(),
): BackfillOptions | undefined {
  const v = parseFlags(argv, FLAGS);
  if (v.help) return undefined;
  if (!v.bucket) throw new UsageError('--bucket is required (the bucket CloudTrail delivers to)');
  const scope = parseScopeFlags(v);
  const targets = historyTargetsFrom(
    v,
    v.alerts === true,
    '--alerts needs --topic-arn and --alert-state-table (AlertTopicArn, AlertStateTableName in the stack outputs)',
  );
  const { dryRun, alerts, readRoleArn } = targets;
  // As the Lambda of a trail delivering to this bucket and prefix would be configured.
  const config = historyProcessorConfig(
    v,
    targets,
    { sourceBuckets: [v.bucket], logPrefix: scope.prefix },
    cwd,
  );
  return {
    bucket: v.bucket,
    scope,
    concurrency: intFlag('concurrency', v.concurrency, DEFAULT_CONCURRENCY, 1, 256),
    dryRun,
    ...(alerts ? { alerts } : {}),
    ...(v.checkpoint ? { checkpointPath: v.checkpoint } : {}),
    restart: v.restart === true,
    ...(v.table ? { table: v.table } : {}),
    ...(config ? { config } : {}),
    ...(readRoleArn !== undefined ? { readRoleArn } : {}),
    aws: awsFlagsFrom(v, env, ['s3', 'dynamodb', 'sns']),
  };
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

/** The days a backfill covers, in words: "from 2024-01-01 to today", "on every day found". */
function rangeText(scope: BackfillOptions['scope']): string {
  if (scope.from !== undefined && scope.from === scope.to) return `on ${scope.from}`;
  if (scope.from === undefined && scope.to === undefined) return 'on every day found';
  return `from ${scope.from ?? 'the oldest day found'} to ${scope.to ?? 'today'}`;
}

/**
 * No log object under the walked prefixes, and none done by an earlier run: almost always a wrong
 * --bucket, --prefix or --accounts, which must not look like success.
 */
function foundNothing(report: BackfillReport): boolean {
  return (
    report.errors.length === 0 &&
    report.objectsToDo === 0 &&
    report.objectsAlreadyDone === 0 &&
    report.dayFoldersDone === 0
  );
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
  const walked = `s3://${options.bucket}/${s.prefix}AWSLogs/`;
  const lines: string[] = [];
  lines.push(`backfill of ${walked} ${rangeText(s)}${options.dryRun ? ' (dry run)' : ''}`);
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
  } else if (foundNothing(report)) {
    lines.push(
      `result: no log object found under ${walked} ${rangeText(s)}; nothing ${options.dryRun ? 'would be' : 'was'} ` +
        'backfilled (check --bucket, --prefix, --accounts, --regions and the dates)',
    );
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
export interface BackfillCommandOverrides extends InterruptSeam {
  /** Wraps the object processor (e.g. to interrupt after N objects). */
  readonly decorateProcessor?: (processor: ObjectProcessor) => ObjectProcessor;
  readonly now?: () => Date;
  /** Seams of `backfill --on-aws` (the signal and clock above apply to it too). */
  readonly onAws?: Pick<OnAwsOverrides, 'decorateQueue'>;
  /** Seams of `backfill status|stop|resume`. */
  readonly engine?: EngineOverrides;
}

/** Builds the backfill command; `backfillCommand` is the real one. */
export function createBackfillCommand(overrides: BackfillCommandOverrides = {}): Command {
  return {
    async run(argv: string[], io: CliIO): Promise<number> {
      const sub = ENGINE_SUBCOMMANDS.find((s) => s === argv[0]);
      if (sub !== undefined) {
        const engine = parseEngineOptions(sub, argv.slice(1), io.env);
        if (!engine) {
          io.stdout.write(ENGINE_HELP + '\n');
          return 0;
        }
        return runEngine(engine, io, overrides.engine);
      }
      if (argv.includes('--on-aws')) {
        const onAws = parseOnAwsOptions(argv, io.env);
        if (!onAws) {
          io.stdout.write(ON_AWS_HELP + '\n');
          return 0;
        }
        return runOnAws(onAws, io, {
          ...(overrides.signal ? { signal: overrides.signal } : {}),
          ...(overrides.now ? { now: overrides.now } : {}),
          ...(overrides.onAws?.decorateQueue ? { decorateQueue: overrides.onAws.decorateQueue } : {}),
        });
      }
      const options = parseBackfillOptions(argv, io.env, io.cwd);
      if (!options) {
        io.stdout.write(HELP + '\n');
        return 0;
      }
      const started = Date.now();
      const now = overrides.now ?? (() => new Date());
      return withAwsClients(options.aws, io.env, (clients) =>
        execute(options, clients, io, now, overrides, started),
      );
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
    ...(options.alerts ? { alerts: options.alerts } : {}),
    retentionDays: options.config?.retentionDays ?? 365,
  });
  const fingerprint = backfillFingerprint(scopeText);
  const file = new CheckpointFile(options.checkpointPath ?? defaultCheckpointPath(io.cwd, fingerprint));
  const shownPath = relative(io.cwd, file.path).startsWith('..') ? file.path : relative(io.cwd, file.path);

  let checkpoint: BackfillCheckpoint;
  try {
    checkpoint = await openBackfillCheckpoint(
      file,
      { fingerprint, scopeText, origin: shownPath },
      { restart: options.restart, now: now() },
    );
  } catch (err) {
    if (err instanceof CheckpointMismatchError) throw new UsageError(err.message);
    throw err;
  }

  const lister = new S3LogLister({
    bucket: options.bucket,
    client:
      logReadClient(options.readRoleArn !== undefined ? { readRoleArn: options.readRoleArn } : {}, clients) ??
      clients.s3,
  });
  let processor: ObjectProcessor | undefined;
  // Lines printed while objects are read go through the progress display once it exists.
  let say = (line: string): void => void io.stderr.write(`${line}\n`);
  if (!options.dryRun && options.config !== undefined) {
    const reports = reportResumedReads(() => say);
    processor = await checkedProcessor(clients, options.aws, options.config, options.alerts, reports);
    if (overrides.decorateProcessor) processor = overrides.decorateProcessor(processor);
  }

  const progress = options.dryRun ? undefined : createProgress({ label: 'backfill', stream: io.stderr });
  if (progress) say = (line) => progress.log(line);
  const interruption = interruptOnCtrlC(
    (line) => (progress ? progress.log(line) : io.stderr.write(`${line}\n`)),
    'interrupted: finishing the objects in flight and saving the checkpoint',
    overrides.signal,
  );
  const signal = interruption.signal;

  let report: BackfillReport;
  try {
    // Listing the bucket is the run's first S3 call (objects are read later, each failure kept).
    report = await runBackfill(options, {
      lister,
      ...(processor ? { processor } : {}),
      checkpoint,
      ...(options.dryRun ? {} : { checkpointStore: file }),
      progress: progress ?? silentProgress(),
      now,
      signal,
    });
  } catch (err) {
    throw explainAwsSetupError(err, options.aws.endpoints, 's3', options.aws.sources) ?? err;
  } finally {
    progress?.stop();
    interruption.dispose();
  }

  io.stdout.write(
    formatBackfillSummary(options, report, {
      ...(options.dryRun ? {} : { checkpointPath: shownPath }),
      elapsedMs: Date.now() - started,
    }),
  );
  if (report.interrupted || report.errors.length > 0) return 1;
  return foundNothing(report) && !options.dryRun ? 1 : 0;
}

/** `trailwatch backfill`. */
export const backfillCommand: Command = createBackfillCommand();
