import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseCommandLine } from '../flags';
import type { AwsClients } from '../../lambdas/adapters/aws-clients';
import { FileLogSource } from '../../lambdas/adapters/file-log-source';
import { composeProcessor } from '../../lambdas/app/compose';
import type { IngestObserver } from '../../lambdas/app/ingest-observer';
import {
  describeObject,
  LOCAL_FILE_BUCKET,
  ObjectProcessingError,
  type PipelineSummary,
} from '../../lambdas/core/pipeline';
import { SERVICE_NAMES, SERVICES, type ServiceName } from '../../lambdas/core/services';
import type { IngestConfig } from '../../lambdas/ingest/config';
import { PROCESSOR_FLAGS, processorFlagsHelp, processorConfigFrom } from '../processor-flags';
import { createProgress } from '../progress';
import {
  awsFlagsFrom,
  endpointFlagOptions,
  endpointFlagsHelp,
  explainAwsSetupError,
  withAwsClients,
  type AwsFlags,
} from '../aws-options';
import { preflight } from '../preflight';
import { TrailwatchError } from '../../lambdas/core/errors';
import { looksLikeLogFile } from '../log-files';
import { type CliIO, type Command, UsageError } from '../usage';

const HELP = `Usage: trailwatch ingest [options] PATH...

Runs the ingest pipeline (the Lambda's own code) over local CloudTrail log files, without S3:
stores their Glue, EMR, Athena and Batch calls in the event table and alerts on failed calls,
against any table and topic, local (\`trailwatch local --serve\`) or in AWS. PATH is a file (gzip or
plain JSON) or a folder, read recursively in sorted order (only files named *.json.gz, *.json or
*.gz; hidden entries and CloudTrail digest and insight files are skipped). Running it twice over the same files changes nothing and sends no
second alert.

Options:
  --table NAME              event table (default $TRAILWATCH_TABLE; required)
  --alert-state-table NAME  alert state table (default $TRAILWATCH_ALERT_STATE_TABLE; required for alerts)
  --topic-arn ARN           alert topic (default $TRAILWATCH_TOPIC_ARN; required for alerts)
  --no-alerts               store the events, send no alerts
${processorFlagsHelp(28)}
${endpointFlagsHelp(['dynamodb', 'sns'])}
  --region R                AWS region (default the SDK's: $AWS_REGION, profile)
  -h, --help                show this help

Exit status: 0 every file was processed or skipped; 1 some file failed (the others are still
processed) or a PATH does not exist; 2 usage error.
`;

/** The validated command line of `trailwatch ingest`. */
export interface IngestArgs {
  readonly paths: string[];
  /** The processor's configuration, through the Lambda's own schema. */
  readonly config: IngestConfig;
  readonly aws: AwsFlags;
}

/** `trailwatch ingest PATH...`: the Lambda's pipeline over local files against any table and topic. */
export const ingestCommand: Command = {
  async run(argv: string[], io: CliIO): Promise<number> {
    if (argv.includes('--help') || argv.includes('-h')) {
      io.stdout.write(HELP);
      return 0;
    }
    const args = parseIngestArgs(argv, io.env, io.cwd);
    const files = await listFiles(args.paths, io);
    return ingest(args, files, io);
  },
};

/** Validates the command line (UsageError naming the flag). */
export function parseIngestArgs(argv: string[], env: NodeJS.ProcessEnv, cwd: string): IngestArgs {
  const parsed = parseCommandLine(
    argv,
    {
      table: { type: 'string' },
      'alert-state-table': { type: 'string' },
      'topic-arn': { type: 'string' },
      'no-alerts': { type: 'boolean', default: false },
      ...PROCESSOR_FLAGS,
      ...endpointFlagOptions(['dynamodb', 'sns']),
      region: { type: 'string' },
    },
    true,
  );
  const v = parsed.values;
  const aws = awsFlagsFrom(v, env, ['dynamodb', 'sns']);
  if (parsed.positionals.length === 0)
    throw new UsageError('give at least one PATH (a log file or a folder)');
  const table = v.table ?? env.TRAILWATCH_TABLE;
  if (!table) throw new UsageError('--table: required (the event table to write to)');
  let alerts: { readonly stateTable: string; readonly topicArn: string } | undefined;
  if (v['no-alerts'] !== true) {
    const stateTable = v['alert-state-table'] ?? env.TRAILWATCH_ALERT_STATE_TABLE;
    const topicArn = v['topic-arn'] ?? env.TRAILWATCH_TOPIC_ARN;
    if (!stateTable || !topicArn) {
      throw new UsageError(
        `${!topicArn ? '--topic-arn' : '--alert-state-table'}: required to send alerts (or pass --no-alerts to store events only)`,
      );
    }
    if (!/^arn:[\w-]+:sns:/.test(topicArn))
      throw new UsageError(`--topic-arn: expected an SNS topic ARN (arn:aws:sns:...), got '${topicArn}'`);
    alerts = { stateTable, topicArn };
  } else if (v['alert-rules'] !== undefined || v['topic-arn'] !== undefined) {
    throw new UsageError('--no-alerts cannot be combined with --topic-arn or --alert-rules');
  }
  return {
    paths: parsed.positionals,
    // Local files are named freely: no source bucket or prefix filter.
    config: processorConfigFrom(v, { table, ...(alerts ? { alerts } : {}) }, cwd),
    aws,
  };
}

interface FileEntry {
  readonly display: string;
  readonly file: string;
  readonly size: number;
  readonly mtime: Date;
}

// Sorted depth-first walk; hidden entries and, inside folders, files not named like log files are
// skipped. A path that cannot be read fails the run (exit 1, as in `parse`) before anything is
// written, so the user can fix the command and run it again.
async function listFiles(paths: readonly string[], io: CliIO): Promise<FileEntry[]> {
  const out: FileEntry[] = [];
  const seen = new Set<string>();
  const visit = async (display: string, absolute: string, given: boolean): Promise<void> => {
    let stat: fs.Stats;
    try {
      stat = await fs.promises.stat(absolute);
    } catch (err) {
      throw new TrailwatchError(`${display}: no such file or folder`, { cause: err });
    }
    if (stat.isFile()) {
      if (given || looksLikeLogFile(absolute))
        out.push({ display, file: absolute, size: stat.size, mtime: stat.mtime });
      return;
    }
    if (!stat.isDirectory()) throw new TrailwatchError(`${display}: not a regular file or folder`);
    const real = await fs.promises.realpath(absolute);
    if (seen.has(real)) return;
    seen.add(real);
    const names = (await fs.promises.readdir(absolute)).filter((n) => !n.startsWith('.')).sort();
    for (const name of names) await visit(path.join(display, name), path.join(absolute, name), false);
  };
  for (const p of paths) await visit(p, path.resolve(io.cwd, p), true);
  return out;
}

async function ingest(args: IngestArgs, files: readonly FileEntry[], io: CliIO): Promise<number> {
  const { config } = args;
  return withAwsClients(args.aws, io.env, async (clients) => {
    await preflight(clients, args.aws, {
      tables: [
        { name: config.tableName, flag: '--table' },
        ...(config.alerts ? [{ name: config.alerts.stateTableName, flag: '--alert-state-table' }] : []),
      ],
      ...(config.alerts ? { topic: { arn: config.alerts.topicArn, flag: '--topic-arn' } } : {}),
    });
    return ingestWith(args, files, io, clients);
  });
}

async function ingestWith(
  args: IngestArgs,
  files: readonly FileEntry[],
  io: CliIO,
  clients: AwsClients,
): Promise<number> {
  const progress = createProgress({ label: 'ingest', stream: io.stderr });
  progress.addTotal(
    files.length,
    files.reduce((n, f) => n + f.size, 0),
  );
  progress.totalKnown();
  const tally = {
    processed: 0,
    skipped: new Map<string, number>(),
    failed: 0,
    failedCalls: 0,
    alerts: 0,
    alreadyAlerted: 0,
    suppressed: 0,
    alertsNotSent: 0,
  };
  const events = new Map<ServiceName, number>();
  const observer: IngestObserver = {
    objectProcessed(summary: PipelineSummary) {
      tally.processed += 1;
      tally.failedCalls += summary.failedCalls;
      tally.alerts += summary.alerts?.messagesPublished ?? 0;
      tally.alreadyAlerted += summary.alerts?.eventsAlreadyAlerted ?? 0;
      tally.suppressed += summary.alerts?.eventsSuppressed ?? 0;
      for (const s of SERVICE_NAMES) events.set(s, (events.get(s) ?? 0) + (summary.eventsStored[s] ?? 0));
    },
    objectSkipped(ref, reason, message) {
      tally.skipped.set(reason, (tally.skipped.get(reason) ?? 0) + 1);
      progress.log(`${describeObject(ref)}: skipped: ${message}`);
    },
    objectFailed(_ref, error) {
      tally.failed += 1;
      // Alerts are sent after every event of the file is stored: those events are in the table.
      if (error instanceof ObjectProcessingError && error.done) {
        tally.failedCalls += error.done.failedCalls;
        tally.alertsNotSent += 1;
        for (const s of SERVICE_NAMES)
          events.set(s, (events.get(s) ?? 0) + (error.done.eventsStored[s] ?? 0));
      }
      const service =
        error instanceof ObjectProcessingError
          ? ({ read: undefined, store: 'dynamodb', alert: 'sns' } as const)[error.stage]
          : undefined;
      const setup = explainAwsSetupError(error, args.aws.endpoints, service, args.aws.sources);
      progress.log(setup ? setup.message : error.message);
    },
    eventIgnored: () => undefined,
  };
  const processor = composeProcessor(args.config, clients, {
    source: new FileLogSource(),
    keyLayout: 'any',
    observer,
  });

  const started = Date.now();
  try {
    for (const file of files) {
      try {
        await processor.processObject({
          bucket: LOCAL_FILE_BUCKET,
          key: file.file,
          size: file.size,
          deliveredAt: file.mtime,
        });
      } catch {
        // Reported by the observer; the next files are still processed.
      }
      progress.advance(file.size);
    }
  } finally {
    progress.stop();
  }

  const skipped = [...tally.skipped].map(([r, n]) => `${n} ${r}`).join(', ');
  const total = [...events.values()].reduce((a, b) => a + b, 0);
  const notes = [
    tally.alreadyAlerted > 0
      ? `${tally.alreadyAlerted} failed ${tally.alreadyAlerted === 1 ? 'call' : 'calls'} already alerted earlier`
      : '',
    tally.suppressed > 0 ? `${tally.suppressed} repeats counted, not sent` : '',
    tally.alertsNotSent > 0
      ? `the alerts of ${tally.alertsNotSent} ${tally.alertsNotSent === 1 ? 'file' : 'files'} could not be sent; their events are stored; run the same command again to send them`
      : '',
  ].filter((s) => s !== '');
  io.stdout.write(
    [
      `Files: ${tally.processed} processed, ${[...tally.skipped.values()].reduce((a, b) => a + b, 0)} skipped${skipped ? ` (${skipped})` : ''}, ${tally.failed} failed (in ${((Date.now() - started) / 1000).toFixed(1)} s)`,
      `Events stored in ${args.config.tableName}: ${total} (${SERVICE_NAMES.map((s) => `${SERVICES[s].displayName} ${events.get(s) ?? 0}`).join(', ')})`,
      `Failed calls: ${tally.failedCalls}`,
      args.config.alerts
        ? `Alerts sent to ${args.config.alerts.topicArn}: ${tally.alerts}${notes.length ? ` (${notes.join('; ')})` : ''}`
        : 'Alerts: off (--no-alerts)',
      '',
    ].join('\n'),
  );
  return tally.failed > 0 ? 1 : 0;
}
