/**
 * `trailwatch backfill --on-aws`: lists what a backfill covers (the date-partitioned prefix walk, or
 * an S3 Inventory manifest) and enqueues it as batch messages on the stack's backfill queue, which the
 * backfill function consumes; `--dry-run` prints the cost and time estimate and sends nothing. The run
 * is lambdas/app/enqueue-runner.ts; this file parses flags, opens the checkpoint and prints.
 */
import { relative } from 'node:path';
import { BackfillQueue } from '../lambdas/adapters/backfill-queue';
import { backfillFingerprint, CheckpointFile } from '../lambdas/adapters/checkpoint-file';
import { S3LogLister } from '../lambdas/adapters/s3-log-lister';
import { LogObjectReadError } from '../lambdas/adapters/s3-log-source';
import { inventoryUnits, prefixWalkUnits, type ListingUnit } from '../lambdas/app/backfill-listing';
import { logReadClient, s3LogObjectSource } from '../lambdas/app/compose';
import { runEnqueue, type BatchSender, type EnqueueReport } from '../lambdas/app/enqueue-runner';
import type { BackfillScope } from '../lambdas/core/backfill-plan';
import {
  DEFAULT_MAX_CONCURRENCY,
  DEFAULT_TARGET_SHARE,
  estimateBackfill,
  type ListingSummary,
} from '../lambdas/core/backfill-estimate';
import {
  EnqueueCheckpoint,
  EnqueueCheckpointDataSchema,
  EnqueueCheckpointMismatchError,
  type EnqueueCheckpointData,
} from '../lambdas/core/enqueue-checkpoint';
import { TrailwatchError } from '../lambdas/core/errors';
import { isKeyInScope, parseInventoryManifest } from '../lambdas/core/inventory-manifest';
import type { LogObjectSource } from '../lambdas/core/pipeline';
import {
  awsFlagsFrom,
  endpointFlagOptions,
  endpointFlagsHelp,
  explainAwsSetupError,
  intFlag,
  parseFlags,
  withAwsClients,
  type AwsFlags,
} from './aws-options';
import { formatBackfillEstimate } from './backfill-estimate-text';
import { parseScopeFlags, SCOPE_FLAGS } from './backfill-scope-flags';
import { startRunDisplay } from './interrupt';
import { READ_ROLE_FLAGS, readRoleArnFlag, readRoleFlagHelp } from './processor-flags';
import { formatMegabytes, formatSeconds } from './progress';
import { UsageError, type CliIO } from './usage';

/** The help of `backfill --on-aws`. */
export const ON_AWS_HELP = `Usage: trailwatch backfill --on-aws --bucket B --queue-url Q [options]
       trailwatch backfill --on-aws --manifest s3://.../manifest.json --queue-url Q [options]
       trailwatch backfill status|stop|resume ...   (see trailwatch backfill status --help)

Enqueues the log objects of a date range on the stack's backfill queue (stack output BackfillQueueUrl),
20 keys a message; the stack's backfill function processes them with a bounded concurrency (the event
source mapping's maximum concurrency), alerts off unless the stack enables them. An interrupted enqueue
resumes from its checkpoint, under the same run id, without sending again what the queue accepted.

Options:
  --bucket B               the CloudTrail bucket (with --manifest: default the inventoried bucket)
  --manifest S3URL         list from an S3 Inventory report (CSV): s3://bucket/.../manifest.json; without
                           it the date-partitioned folders are walked (ListObjectsV2)
  --prefix P               the trail's key prefix before AWSLogs/ (default none)
  --from YYYY-MM-DD        first UTC day (default: the oldest day found)
  --to YYYY-MM-DD          last UTC day, included (default: today)
  --accounts a,b           only these account ids
  --regions r1,r2          only these regions
  --queue-url Q            the backfill queue (required unless --dry-run)
  --dry-run                list and print the cost and time estimate; send nothing
  --checkpoint FILE        checkpoint file (default .trailwatch/checkpoints/enqueue-<hash>.json)
  --restart                ignore an existing checkpoint (a new run id; keys are sent again)
  --concurrency N          listing units (day folders, inventory files) enqueued at once (default 8)
  --max-concurrency N      the estimate's concurrency: the stack's backfill.maxConcurrency (default ${DEFAULT_MAX_CONCURRENCY})
  --target-share F         the estimate's share of records from Glue, EMR, Athena, Batch (default ${DEFAULT_TARGET_SHARE})
  --memory-mb N            the estimate's function memory (default 1024, the stack's default)
${readRoleFlagHelp(27)}
${endpointFlagsHelp(['s3', 'sqs', 'sts'])}
  --region R               AWS region (default AWS_REGION)

Exit code: 0 when every key in scope was enqueued (or, with --dry-run, listed), 1 when some were not
(an error, an interruption) or none was found, 2 usage error.`;

/** Listing units enqueued at once unless --concurrency says otherwise. */
const DEFAULT_UNITS_AT_ONCE = 8;

/** The flags of `backfill --on-aws`. */
const FLAGS = {
  'on-aws': { type: 'boolean' },
  bucket: { type: 'string' },
  manifest: { type: 'string' },
  ...SCOPE_FLAGS,
  'queue-url': { type: 'string' },
  'dry-run': { type: 'boolean' },
  checkpoint: { type: 'string' },
  restart: { type: 'boolean' },
  concurrency: { type: 'string' },
  'max-concurrency': { type: 'string' },
  'target-share': { type: 'string' },
  'memory-mb': { type: 'string' },
  ...READ_ROLE_FLAGS,
  ...endpointFlagOptions(['s3', 'sqs', 'sts']),
  region: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The validated options of one `backfill --on-aws`. */
export interface OnAwsOptions {
  /** Absent with --manifest until the manifest names it. */
  readonly bucket?: string;
  readonly manifest?: { readonly bucket: string; readonly key: string };
  readonly scope: BackfillScope;
  readonly queueUrl?: string;
  readonly dryRun: boolean;
  readonly checkpointPath?: string;
  readonly restart: boolean;
  readonly concurrency: number;
  readonly maxConcurrency: number;
  readonly targetShare: number;
  readonly memoryGb: number;
  readonly readRoleArn?: string;
  readonly aws: AwsFlags;
}

/** `s3://bucket/key` → its parts; UsageError naming the flag otherwise. */
function s3UrlFlag(name: string, value: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(value);
  if (!m) throw new UsageError(`--${name}: expected s3://bucket/key, got '${value}'`);
  return { bucket: m[1] as string, key: m[2] as string };
}

/** Validates `backfill --on-aws` (UsageError naming the flag); `undefined` means --help. */
export function parseOnAwsOptions(argv: string[], env: NodeJS.ProcessEnv): OnAwsOptions | undefined {
  const v = parseFlags(argv, FLAGS);
  if (v.help) return undefined;
  const manifest = v.manifest !== undefined ? s3UrlFlag('manifest', v.manifest) : undefined;
  if (!v.bucket && !manifest)
    throw new UsageError('--bucket is required (the bucket CloudTrail delivers to), or give --manifest');
  const scope = parseScopeFlags(v);
  const dryRun = v['dry-run'] === true;
  if (!dryRun && !v['queue-url'])
    throw new UsageError(
      '--queue-url is required (the backfill queue, BackfillQueueUrl in the stack outputs)',
    );
  if (v['queue-url'] !== undefined && !/^https?:\/\/\S+$/.test(v['queue-url']))
    throw new UsageError(
      `--queue-url: expected the queue's URL (https://sqs.<region>.amazonaws.com/...), got '${v['queue-url']}'`,
    );
  let targetShare = DEFAULT_TARGET_SHARE;
  if (v['target-share'] !== undefined) {
    targetShare = Number(v['target-share']);
    if (!/^\d*\.?\d+$/.test(v['target-share']) || targetShare <= 0 || targetShare > 1)
      throw new UsageError(
        `--target-share: expected a fraction above 0 and at most 1, got '${v['target-share']}'`,
      );
  }
  const readRoleArn = readRoleArnFlag(v['read-role-arn']);
  return {
    ...(v.bucket ? { bucket: v.bucket } : {}),
    ...(manifest ? { manifest } : {}),
    scope,
    ...(v['queue-url'] ? { queueUrl: v['queue-url'] } : {}),
    dryRun,
    ...(v.checkpoint ? { checkpointPath: v.checkpoint } : {}),
    restart: v.restart === true,
    concurrency: intFlag('concurrency', v.concurrency, DEFAULT_UNITS_AT_ONCE, 1, 64),
    maxConcurrency: intFlag('max-concurrency', v['max-concurrency'], DEFAULT_MAX_CONCURRENCY, 1, 10_000),
    targetShare,
    memoryGb: intFlag('memory-mb', v['memory-mb'], 1024, 128, 10_240) / 1024,
    ...(readRoleArn !== undefined ? { readRoleArn } : {}),
    aws: awsFlagsFrom(v, env, ['s3', 'sqs', 'sts']),
  };
}

/** Test seams of `backfill --on-aws`. */
export interface OnAwsOverrides {
  /** Replaces Ctrl-C handling: aborting it interrupts the enqueue as Ctrl-C would. */
  readonly signal?: AbortSignal;
  /** Wraps the queue (e.g. to interrupt after N calls). */
  readonly decorateQueue?: (queue: BatchSender) => BatchSender;
  readonly now?: () => Date;
}

/** The arguments that make two enqueues the same one (the checkpoint's fingerprint is their hash). */
function scopeText(bucket: string, options: OnAwsOptions): string {
  return JSON.stringify({
    bucket,
    listing: options.manifest ? `s3://${options.manifest.bucket}/${options.manifest.key}` : 'prefix-walk',
    scope: options.scope,
    queue: options.queueUrl ?? null,
  });
}

/** The manifest's text; a read failure is one line naming --manifest and the object. */
async function readManifest(source: LogObjectSource, ref: { bucket: string; key: string }): Promise<string> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of await source.open(ref)) chunks.push(Buffer.from(chunk));
  } catch (err) {
    if (!(err instanceof LogObjectReadError)) throw err;
    throw new TrailwatchError(`--manifest s3://${ref.bucket}/${ref.key}: ${err.message}`, { cause: err });
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Runs `backfill --on-aws` with its parsed options. */
export async function runOnAws(
  options: OnAwsOptions,
  io: CliIO,
  overrides: OnAwsOverrides = {},
): Promise<number> {
  const started = Date.now();
  const now = overrides.now ?? (() => new Date());
  return withAwsClients(options.aws, io.env, async (clients) => {
    const readClient =
      logReadClient(options.readRoleArn !== undefined ? { readRoleArn: options.readRoleArn } : {}, clients) ??
      clients.s3;
    let bucket = options.bucket;
    let units: ListingUnit[];
    const notes: string[] = [];
    try {
      if (options.manifest) {
        const source = s3LogObjectSource(readClient);
        const where = `s3://${options.manifest.bucket}/${options.manifest.key}`;
        const manifest = parseInventoryManifest(
          await readManifest(source, options.manifest),
          `--manifest ${where}`,
        );
        if (bucket !== undefined && bucket !== manifest.sourceBucket)
          throw new UsageError(
            `--manifest ${where} lists bucket '${manifest.sourceBucket}', not --bucket '${bucket}'`,
          );
        bucket = manifest.sourceBucket;
        units = inventoryUnits(manifest, source);
      } else {
        const lister = new S3LogLister({ bucket: bucket as string, client: readClient });
        const walk = await prefixWalkUnits(options.scope, lister, now());
        units = walk.units;
        notes.push(...walk.notes);
      }
    } catch (err) {
      throw explainAwsSetupError(err, options.aws.endpoints, 's3', options.aws.sources) ?? err;
    }
    const target = bucket as string;

    const text = scopeText(target, options);
    const fingerprint = backfillFingerprint(text);
    const file = new CheckpointFile<EnqueueCheckpointData>(
      options.checkpointPath ?? `${io.cwd}/.trailwatch/checkpoints/enqueue-${fingerprint}.json`,
      EnqueueCheckpointDataSchema,
    );
    const shownPath = relative(io.cwd, file.path).startsWith('..') ? file.path : relative(io.cwd, file.path);
    let checkpoint: EnqueueCheckpoint;
    const stored = options.restart ? undefined : await file.load();
    try {
      checkpoint = stored
        ? EnqueueCheckpoint.restore(stored, fingerprint, shownPath)
        : EnqueueCheckpoint.fresh(fingerprint, text, now());
    } catch (err) {
      if (err instanceof EnqueueCheckpointMismatchError) throw new UsageError(err.message);
      throw err;
    }

    let queue: BatchSender | undefined;
    if (!options.dryRun && options.queueUrl) {
      queue = new BackfillQueue(options.queueUrl, clients.sqs);
      if (overrides.decorateQueue) queue = overrides.decorateQueue(queue);
    }
    const display = startRunDisplay({
      label: 'enqueue',
      quiet: options.dryRun,
      stream: io.stderr,
      message: 'interrupted: finishing the calls in flight and saving the checkpoint',
      ...(overrides.signal ? { signal: overrides.signal } : {}),
    });
    let report: EnqueueReport;
    try {
      report = await runEnqueue(
        { bucket: target, dryRun: options.dryRun, concurrency: options.concurrency },
        {
          units,
          inScope: (key) => isKeyInScope(key, options.scope),
          ...(queue ? { queue } : {}),
          checkpoint,
          ...(options.dryRun ? {} : { checkpointStore: file }),
          progress: display.progress,
          now,
          signal: display.signal,
        },
      );
    } catch (err) {
      throw explainAwsSetupError(err, options.aws.endpoints, 'sqs', options.aws.sources) ?? err;
    } finally {
      display.end();
    }
    const listing: ListingSummary = {
      objects: report.keys,
      bytes: report.bytes,
      source: options.manifest ? 'inventory' : 'prefix-walk',
    };
    io.stdout.write(
      formatOnAwsSummary(options, target, report, {
        runId: checkpoint.runId,
        totals: checkpoint.totals,
        notes,
        estimate: formatBackfillEstimate(
          estimateBackfill(listing, {
            maxConcurrency: options.maxConcurrency,
            targetShare: options.targetShare,
            memoryGb: options.memoryGb,
          }),
        ),
        ...(options.dryRun ? {} : { checkpointPath: shownPath }),
        elapsedMs: Date.now() - started,
      }),
    );
    if (report.errors.length > 0 || report.interrupted) return 1;
    const foundNothing = report.keys === 0 && report.keysAlreadySent === 0 && report.unitsAlreadyDone === 0;
    return foundNothing ? 1 : 0;
  });
}

/** The end-of-run summary of `backfill --on-aws` (stdout). */
export function formatOnAwsSummary(
  options: Pick<OnAwsOptions, 'dryRun' | 'queueUrl' | 'manifest' | 'scope'>,
  bucket: string,
  report: EnqueueReport,
  extra: {
    runId: string;
    totals: { keys: number; messages: number };
    notes: readonly string[];
    estimate: readonly string[];
    checkpointPath?: string;
    elapsedMs: number;
  },
): string {
  const listing = options.manifest
    ? `the inventory s3://${options.manifest.bucket}/${options.manifest.key}`
    : `s3://${bucket}/${options.scope.prefix}AWSLogs/`;
  const lines: string[] = [];
  lines.push(`backfill on AWS of ${listing}${options.dryRun ? ' (dry run)' : ''}, run ${extra.runId}`);
  lines.push(
    `  listed:        ${report.units} ${options.manifest ? 'inventory files' : 'day folders'} (${report.unitsAlreadyDone} already enqueued per the checkpoint), ` +
      `${report.keys} objects to enqueue, ${formatMegabytes(report.bytes)} MB (${report.keysAlreadySent} already sent, ${report.keysOutOfScope} out of scope or empty)`,
  );
  lines.push(options.dryRun ? 'estimate (what this would cost and take):' : 'estimate:');
  lines.push(...extra.estimate);
  if (!options.dryRun) {
    lines.push(
      `  enqueued:      ${report.keysSent} objects in ${report.messagesSent} messages (${report.calls} SendMessageBatch calls); ` +
        `this backfill so far: ${extra.totals.keys} objects, ${extra.totals.messages} messages`,
    );
  }
  if (extra.checkpointPath) lines.push(`  checkpoint:    ${extra.checkpointPath}`);
  lines.push(`  time:          ${formatSeconds(extra.elapsedMs / 1000)}`);
  for (const note of extra.notes) lines.push(`  note: ${note}`);
  for (const e of report.errors)
    lines.push(`error: ${e.message.startsWith(e.where) ? e.message : `${e.where}: ${e.message}`}`);
  if (report.interrupted) {
    lines.push('result: interrupted; run the same command again to enqueue the rest (same run id)');
  } else if (report.errors.length > 0) {
    lines.push('result: NOT every object was enqueued; fix the cause and run the same command again');
  } else if (report.keys === 0 && report.keysAlreadySent === 0 && report.unitsAlreadyDone === 0) {
    lines.push(
      `result: no log object found in ${listing} in scope; nothing ${options.dryRun ? 'would be' : 'was'} enqueued (check --bucket, --prefix, --accounts, --regions and the dates)`,
    );
  } else if (!options.dryRun) {
    lines.push(
      `result: every object in scope is enqueued; follow it with trailwatch backfill status --queue-url ${options.queueUrl ?? 'Q'} --checkpoint ${extra.checkpointPath ?? 'FILE'}`,
    );
  }
  return lines.join('\n') + '\n';
}
