/**
 * `trailwatch replay`: processes the S3 events held in the ingest function's dead-letter queue and
 * deletes each message only once every object it names was processed (or skipped as the Lambda would).
 * The run itself is lambdas/app/replay-runner.ts and the processor is lambdas/app/compose.ts; this file parses flags,
 * handles Ctrl-C and prints the summary.
 */
import { isLocalEndpoint } from '../../lambdas/adapters/aws-clients';
import { DlqSource } from '../../lambdas/adapters/dlq-source';
import { runReplay, type ReplayReport, type ReplayRunOptions } from '../../lambdas/app/replay-runner';
import type { ObjectProcessor } from '../../lambdas/core/ports';
import { SERVICE_NAMES } from '../../lambdas/core/services';
import type { IngestConfig } from '../../lambdas/ingest/config';
import {
  historyProcessorConfig,
  historyTargetsFrom,
  PROCESSOR_FLAGS,
  processorFlagsHelp,
  READ_ROLE_FLAGS,
  readRoleFlagHelp,
} from '../processor-flags';
import { formatSeconds } from '../progress';
import { startRunDisplay, type InterruptSeam } from '../interrupt';
import { UsageError, type CliIO, type Command } from '../usage';
import { checkedProcessor } from '../preflight';
import { reportResumedReads } from '../read-resumed';
import {
  awsFlagsFrom,
  endpointFlagOptions,
  endpointFlagsHelp,
  intFlag,
  parseFlags,
  regionOfQueueUrl,
  withAwsClients,
  type AwsFlags,
} from '../aws-options';

const HELP = `Usage: trailwatch replay --queue URL [options]

Processes the failed S3 events in the ingest function's dead-letter queue (Lambda on-failure records,
bare S3 or EventBridge events, or S3 events wrapped by SNS). A message is deleted only after every
object it names was processed; a message that fails or cannot be read stays in the queue, visible again.

Options:
  --queue URL              the dead-letter queue (DeadLetterQueueUrl in the stack outputs; required)
  --dry-run                list the messages and their objects; process and delete nothing
  --max-messages N         stop after N messages (default: until the queue is empty)
  --concurrency N          messages processed at once (default 4)
  --alerts | --no-alerts   alert on failed calls in the replayed files (default: --alerts, as the Lambda would have)
  --table T                the event table (required unless --dry-run)
  --alert-state-table T    the alert state table (required with --alerts)
  --topic-arn ARN          the alert topic (required with --alerts)
  --source-buckets B1,B2   only objects of these buckets, as SOURCE_BUCKETS in the Lambda (default: any)
  --prefix P               only keys under the trail prefix P, as LOG_PREFIX in the Lambda (default: any)
${readRoleFlagHelp(27)}
${processorFlagsHelp(27)}
  --visibility-timeout S   seconds a received message stays hidden while it is worked on (default 300)
${endpointFlagsHelp(['sqs', 's3', 'dynamodb', 'sns'])}
  --region R               AWS region (default AWS_REGION, else the queue URL's region)

Exit code: 0 when every message received was replayed and deleted (dry run: every message readable),
1 otherwise, 2 usage error.`;

const FLAGS = {
  queue: { type: 'string' },
  'dry-run': { type: 'boolean' },
  'max-messages': { type: 'string' },
  concurrency: { type: 'string' },
  alerts: { type: 'boolean' },
  'no-alerts': { type: 'boolean' },
  table: { type: 'string' },
  'alert-state-table': { type: 'string' },
  'topic-arn': { type: 'string' },
  'source-buckets': { type: 'string' },
  prefix: { type: 'string' },
  ...READ_ROLE_FLAGS,
  ...PROCESSOR_FLAGS,
  'visibility-timeout': { type: 'string' },
  ...endpointFlagOptions(['sqs', 's3', 'dynamodb', 'sns']),
  region: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The validated options of one replay. */
export interface ReplayOptions extends ReplayRunOptions {
  readonly queueUrl: string;
  readonly alerts?: { readonly topicArn: string; readonly stateTable: string };
  readonly table?: string;
  /** The processor's configuration (the Lambda's schema); absent on a dry run. */
  readonly config?: IngestConfig;
  readonly visibilityTimeout: number;
  readonly aws: AwsFlags;
}

/** Validates the command line (UsageError naming the flag); `undefined` means --help was asked for. */
export function parseReplayOptions(
  argv: string[],
  env: NodeJS.ProcessEnv,
  cwd: string = process.cwd(),
): ReplayOptions | undefined {
  const v = parseFlags(argv, FLAGS);
  if (v.help) return undefined;
  if (!v.queue)
    throw new UsageError(
      '--queue is required (the dead-letter queue URL, DeadLetterQueueUrl in the stack outputs)',
    );
  if (!/^https?:\/\/\S+\/\S+/.test(v.queue))
    throw new UsageError(
      `--queue: expected a queue URL (https://sqs.<region>.amazonaws.com/<account>/<name>), got '${v.queue}'`,
    );
  const targets = historyTargetsFrom(
    v,
    v['dry-run'] !== true && v['no-alerts'] !== true,
    'alerts need --topic-arn and --alert-state-table (AlertTopicArn, AlertStateTableName in the stack outputs), or pass --no-alerts',
  );
  const { dryRun, alerts } = targets;
  const sourceBuckets = v['source-buckets']
    ?.split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
  // As the Lambda whose dead-letter queue this is: the same rules, window and limits.
  const config = historyProcessorConfig(
    v,
    targets,
    {
      ...(sourceBuckets && sourceBuckets.length > 0 ? { sourceBuckets } : {}),
      ...(v.prefix !== undefined ? { logPrefix: v.prefix } : {}),
    },
    cwd,
  );
  const maxMessages =
    v['max-messages'] !== undefined ? intFlag('max-messages', v['max-messages'], 0, 1, 1_000_000) : undefined;
  return {
    queueUrl: v.queue,
    dryRun,
    ...(maxMessages !== undefined ? { maxMessages } : {}),
    concurrency: intFlag('concurrency', v.concurrency, 4, 1, 64),
    ...(alerts ? { alerts } : {}),
    ...(v.table ? { table: v.table } : {}),
    ...(config ? { config } : {}),
    visibilityTimeout: intFlag('visibility-timeout', v['visibility-timeout'], 300, 1, 43200),
    aws: queueConnection(awsFlagsFrom(v, env, ['sqs', 's3', 'dynamodb', 'sns']), v.queue),
  };
}

/**
 * Completes the connection from the queue URL: the region of an AWS queue URL when none is given,
 * and a local queue URL's own host as the SQS endpoint when none is given (the SDK would otherwise
 * send to the regional endpoint's host, warning that the QueueUrl differs, or need a region first).
 */
export function queueConnection(flags: AwsFlags, queueUrl: string): AwsFlags {
  const localQueue = isLocalEndpoint(queueUrl);
  const endpoints =
    flags.endpoints.sqs === undefined && localQueue
      ? { ...flags.endpoints, sqs: new URL(queueUrl).origin }
      : flags.endpoints;
  const region = flags.region ?? regionOfQueueUrl(queueUrl) ?? (localQueue ? 'us-east-1' : undefined);
  const sources =
    flags.endpoints.sqs === undefined && localQueue ? { ...flags.sources, sqs: '--queue' } : flags.sources;
  return { ...(region !== undefined ? { region } : {}), endpoints, ...(sources ? { sources } : {}) };
}

/** The end-of-run summary (stdout). */
export function formatReplaySummary(
  options: Pick<ReplayOptions, 'queueUrl' | 'dryRun' | 'alerts'>,
  report: ReplayReport,
  elapsedMs: number,
): string {
  const lines: string[] = [];
  const left = report.received - report.deleted;
  lines.push(
    `replay of ${options.queueUrl}${options.dryRun ? ' (dry run: nothing processed, nothing deleted)' : ''}`,
  );
  lines.push(
    `  messages:      ${report.received} received, ${report.deleted} deleted, ${left} left in the queue` +
      (report.invalid.length > 0 ? ` (${report.invalid.length} unreadable)` : ''),
  );
  if (!options.dryRun) {
    const skipped = Object.values(report.skipped).reduce((a, b) => a + (b ?? 0), 0);
    lines.push(
      `  objects:       ${report.processed} processed, ${skipped} skipped, ${report.errors.length} failed` +
        (report.ignored > 0 ? `, ${report.ignored} not object-created events (ignored)` : ''),
    );
    if (skipped > 0)
      lines.push(
        `  skipped:       ${Object.entries(report.skipped)
          .map(([r, n]) => `${r} ${n}`)
          .join(', ')}`,
      );
    const total = SERVICE_NAMES.reduce((sum, s) => sum + (report.eventsStored[s] ?? 0), 0);
    lines.push(
      `  events stored: ${SERVICE_NAMES.map((s) => `${s} ${report.eventsStored[s] ?? 0}`).join(', ')} (${total} in all)`,
    );
    lines.push(`  failed calls:  ${report.failedCalls}`);
    lines.push(
      options.alerts
        ? `  alerts:        ${report.alertsSent} sent, ${report.alertsSuppressed} failed calls suppressed`
        : '  alerts:        off (--no-alerts)',
    );
  }
  lines.push(`  time:          ${formatSeconds(elapsedMs / 1000)}`);
  if (report.errors.length > 0 || report.invalid.length > 0) {
    lines.push(`errors (${report.errors.length + report.invalid.length}):`);
    for (const e of report.errors)
      lines.push(
        `  ${e.message.startsWith(e.object) ? e.message : `${e.object}: ${e.message}`} (message ${e.messageId})`,
      );
    for (const i of report.invalid) lines.push(`  message ${i.messageId}: cannot be read: ${i.message}`);
  }
  if (report.interrupted)
    lines.push(
      'result: interrupted; the messages not deleted are back in the queue; run the same command again',
    );
  else if (!options.dryRun && left > 0)
    lines.push('result: NOT every message was replayed; the ones left are visible in the queue again');
  else if (!options.dryRun) lines.push('result: every message received was replayed and deleted');
  return lines.join('\n') + '\n';
}

/** Test seams of the replay command. */
export interface ReplayCommandOverrides extends InterruptSeam {
  /** Seconds each receive waits for messages (default 1). */
  readonly waitTimeSeconds?: number;
}

/** Builds the replay command; `replayCommand` is the real one. */
export function createReplayCommand(overrides: ReplayCommandOverrides = {}): Command {
  return {
    async run(argv: string[], io: CliIO): Promise<number> {
      const options = parseReplayOptions(argv, io.env, io.cwd);
      if (!options) {
        io.stdout.write(HELP + '\n');
        return 0;
      }
      const started = Date.now();
      return withAwsClients(options.aws, io.env, async (clients) => {
        const queue = new DlqSource({
          queueUrl: options.queueUrl,
          client: clients.sqs,
          visibilityTimeoutSeconds: options.visibilityTimeout,
          ...(overrides.waitTimeSeconds !== undefined ? { waitTimeSeconds: overrides.waitTimeSeconds } : {}),
        });
        let processor: ObjectProcessor | undefined;
        // Lines printed while objects are read go through the progress display once it exists.
        let say = (line: string): void => void io.stderr.write(`${line}\n`);
        if (!options.dryRun && options.config !== undefined) {
          const reports = reportResumedReads(() => say);
          processor = await checkedProcessor(clients, options.aws, options.config, options.alerts, reports);
        }
        const before = await queue.approximateCount();
        io.stderr.write(
          `replay: ${before.visible} messages visible in the queue, ${before.inFlight} in flight\n`,
        );

        const display = startRunDisplay({
          label: 'replay',
          quiet: options.dryRun,
          stream: io.stderr,
          message: 'interrupted: finishing the messages in flight; the others go back to the queue',
          ...(overrides.signal ? { signal: overrides.signal } : {}),
        });
        const progress = display.progress;
        say = (line) => progress.log(line);
        let report: ReplayReport;
        try {
          report = await runReplay(options, {
            queue,
            ...(processor ? { processor } : {}),
            progress,
            log: options.dryRun ? (line) => io.stdout.write(`${line}\n`) : (line) => progress.log(line),
            signal: display.signal,
          });
        } finally {
          display.end();
        }
        io.stdout.write(formatReplaySummary(options, report, Date.now() - started));
        if (options.dryRun) return report.invalid.length > 0 ? 1 : 0;
        return report.interrupted || report.deleted < report.received ? 1 : 0;
      });
    },
  };
}

/** `trailwatch replay`. */
export const replayCommand: Command = createReplayCommand();
