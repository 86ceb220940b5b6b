/**
 * The flags that set how the processor behaves (alert rules and window, payload and retention
 * limits), shared by `ingest`, `backfill` and `replay`. They become the Lambda's own environment
 * variables and go through the Lambda's schema (loadIngestConfig), so no command can silently
 * behave differently from the deployed function for the same settings.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { normalizeLogPrefix } from '../lambdas/core/backfill-plan';
import { ConfigError } from '../lambdas/core/errors';
import { loadIngestConfig, READ_ROLE_ARN, type IngestConfig } from '../lambdas/ingest/config';
import { UsageError } from './usage';

/** parseArgs options of the processor flags. */
export const PROCESSOR_FLAGS = {
  'alert-rules': { type: 'string' },
  'alert-window': { type: 'string' },
  'payload-max-bytes': { type: 'string' },
  'retention-days': { type: 'string' },
  'chat-topic-arn': { type: 'string' },
} as const;

const HELP_LINES: ReadonlyArray<readonly [string, string]> = [
  ['--alert-rules FILE', 'alert rules (JSON, docs/alerts.md), as ALERT_RULES in the Lambda'],
  ['--alert-window MINUTES', 'noise-control window in minutes (default 60), as ALERT_WINDOW_MINUTES'],
  ['--payload-max-bytes N', 'request/response payload kept per event (default 32768), as PAYLOAD_MAX_BYTES'],
  ['--retention-days N', 'days an event is kept, from its eventTime (default 365), as RETENTION_DAYS'],
  ['--chat-topic-arn ARN', 'also send each alert to this chat topic (Slack, Teams), as CHAT_TOPIC_ARN'],
];

/**
 * parseArgs options of the read-role flag, for the commands that read a bucket (backfill, replay): the
 * read role of the cross-account layout, as READ_ROLE_ARN in the Lambda.
 */
export const READ_ROLE_FLAGS = { 'read-role-arn': { type: 'string' } } as const;

/** Help line of --read-role-arn, the description starting at `column`. */
export function readRoleFlagHelp(column: number): string {
  return `  ${'--read-role-arn ARN'.padEnd(column - 2)}read the bucket through this role of its account (ReadRoleArn in the
${' '.repeat(column)}bucket-account stack's outputs), as READ_ROLE_ARN in the Lambda`;
}

/** The --read-role-arn value, checked as the Lambda checks READ_ROLE_ARN; undefined when not given. */
export function readRoleArnFlag(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!READ_ROLE_ARN.test(value))
    throw new UsageError(
      `--read-role-arn: expected an IAM role ARN (arn:aws:iam::<account>:role/<name>), got '${value}'`,
    );
  return value;
}

/** Help lines of the processor flags, the descriptions starting at `column` as in the command's own help. */
export function processorFlagsHelp(column: number): string {
  return HELP_LINES.map(([flag, text]) => `  ${flag.padEnd(column - 2)}${text}`).join('\n');
}

/** The values parseArgs read for the processor flags. */
export interface ProcessorFlagValues {
  readonly 'alert-rules'?: string;
  readonly 'alert-window'?: string;
  readonly 'payload-max-bytes'?: string;
  readonly 'retention-days'?: string;
  readonly 'chat-topic-arn'?: string;
}

/** What the command itself knows: the tables, the topic, and which objects it reads. */
export interface ProcessorTargets {
  readonly table: string;
  /** Absent: alerts off. */
  readonly alerts?: { readonly topicArn: string; readonly stateTable: string };
  /** Buckets whose objects are processed; absent: any. */
  readonly sourceBuckets?: readonly string[];
  /** The trail's key prefix before `AWSLogs/`; default any. */
  readonly logPrefix?: string;
  /** The role of the bucket's account that reads the objects (--read-role-arn); default the caller's credentials. */
  readonly readRoleArn?: string;
}

// The Lambda's variables and the flags (or, for the tables and topic, the commands' own flags) that set them.
const FLAG_OF_VARIABLE: Readonly<Record<string, string>> = {
  TABLE_NAME: '--table',
  ALERT_STATE_TABLE_NAME: '--alert-state-table',
  ALERT_TOPIC_ARN: '--topic-arn',
  SOURCE_BUCKETS: '--bucket',
  LOG_PREFIX: '--prefix',
  RETENTION_DAYS: '--retention-days',
  PAYLOAD_MAX_BYTES: '--payload-max-bytes',
  ALERT_WINDOW_MINUTES: '--alert-window',
  CHAT_TOPIC_ARN: '--chat-topic-arn',
  READ_ROLE_ARN: '--read-role-arn',
};

/** The Lambda's environment for these flags and targets (what the CDK stack would set). */
export function processorEnvironment(
  values: ProcessorFlagValues,
  targets: ProcessorTargets,
  cwd: string,
): Record<string, string | undefined> {
  return {
    TABLE_NAME: targets.table,
    ALERTS_ENABLED: targets.alerts ? 'true' : 'false',
    ALERT_TOPIC_ARN: targets.alerts?.topicArn,
    ALERT_STATE_TABLE_NAME: targets.alerts?.stateTable,
    SOURCE_BUCKETS: targets.sourceBuckets?.join(','),
    // As the stack sets it: no slash at either end.
    // Unset (any prefix) unless the command names one: '' would mean keys starting with `AWSLogs/`.
    LOG_PREFIX:
      targets.logPrefix !== undefined ? trailPrefixOf(targets.logPrefix).replace(/\/$/, '') : undefined,
    RETENTION_DAYS: values['retention-days'],
    PAYLOAD_MAX_BYTES: values['payload-max-bytes'],
    ALERT_RULES: values['alert-rules'] !== undefined ? readRules(values['alert-rules'], cwd) : undefined,
    ALERT_WINDOW_MINUTES: values['alert-window'],
    CHAT_TOPIC_ARN: targets.alerts ? values['chat-topic-arn'] : undefined,
    READ_ROLE_ARN: targets.readRoleArn,
  };
}

/**
 * Validates the flags with the Lambda's schema. Throws one UsageError naming each bad flag (not the
 * variable behind it).
 */
export function processorConfigFrom(
  values: ProcessorFlagValues,
  targets: ProcessorTargets,
  cwd: string,
): IngestConfig {
  if (targets.alerts === undefined && values['alert-rules'] !== undefined)
    throw new UsageError('--alert-rules: alerts are off (give the topic and alert state table, or drop it)');
  if (targets.alerts === undefined && values['chat-topic-arn'] !== undefined)
    throw new UsageError(
      '--chat-topic-arn: alerts are off (give the topic and alert state table, or drop it)',
    );
  try {
    return loadIngestConfig(processorEnvironment(values, targets, cwd), { requireSourceBuckets: false });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // Rules are named by their file (with the path of the field inside it), the rest by their flag.
    const rulesFile = values['alert-rules'] ?? '--alert-rules';
    const message = err.message
      .replace(/^invalid environment: /, '')
      .replace(/\bALERT_RULES\b/g, rulesFile)
      .replace(/\b[A-Z][A-Z_]+(?=:)/g, (name) => FLAG_OF_VARIABLE[name] ?? name);
    throw new UsageError(message);
  }
}

function readRules(file: string, cwd: string): string {
  try {
    return fs.readFileSync(path.resolve(cwd, file), 'utf8');
  } catch {
    throw new UsageError(`--alert-rules: cannot read ${file}`);
  }
}

/**
 * The trail's key prefix before `AWSLogs/`. The stack output LogKeyPrefix (and the S3 console) shows
 * the prefix up to and including `AWSLogs/` (`AWSLogs/`, `org-trail/AWSLogs/`), so a value ending in
 * `AWSLogs/` is read as that: the part before it.
 */
export function trailPrefixOf(given: string): string {
  return normalizeLogPrefix(normalizeLogPrefix(given).replace(/(^|\/)AWSLogs\/$/, '$1'));
}

/** The values parseArgs read for the flags of a command that processes history (backfill, replay). */
export interface HistoryFlagValues extends ProcessorFlagValues {
  readonly table?: string;
  readonly 'topic-arn'?: string;
  readonly 'alert-state-table'?: string;
  readonly 'read-role-arn'?: string;
  readonly alerts?: boolean;
  readonly 'no-alerts'?: boolean;
  readonly 'dry-run'?: boolean;
}

/** Where a history command writes and how it reads: checked from its flags, before anything runs. */
export interface HistoryTargets {
  readonly dryRun: boolean;
  readonly table?: string;
  /** Absent: alerts off. */
  readonly alerts?: { readonly topicArn: string; readonly stateTable: string };
  readonly readRoleArn?: string;
}

/**
 * Checks the table, alert and read-role flags of backfill and replay. `alertsOn` is the command's own
 * default applied to the flags; `alertsMissing` says what to give when alerts are on without a topic.
 */
export function historyTargetsFrom(
  values: HistoryFlagValues,
  alertsOn: boolean,
  alertsMissing: string,
): HistoryTargets {
  if (values.alerts && values['no-alerts'])
    throw new UsageError('--alerts and --no-alerts exclude each other');
  const dryRun = values['dry-run'] === true;
  if (!dryRun && !values.table)
    throw new UsageError('--table is required (the event table, EventTableName in the stack outputs)');
  let alerts: HistoryTargets['alerts'];
  if (alertsOn) {
    if (!values['topic-arn'] || !values['alert-state-table']) throw new UsageError(alertsMissing);
    alerts = { topicArn: values['topic-arn'], stateTable: values['alert-state-table'] };
  }
  const readRoleArn = readRoleArnFlag(values['read-role-arn']);
  return {
    dryRun,
    ...(values.table ? { table: values.table } : {}),
    ...(alerts ? { alerts } : {}),
    ...(readRoleArn !== undefined ? { readRoleArn } : {}),
  };
}

/**
 * The Lambda's configuration for a history command's targets and the objects it reads (undefined for
 * a dry run, which processes nothing).
 */
export function historyProcessorConfig(
  values: HistoryFlagValues,
  targets: HistoryTargets,
  objects: Pick<ProcessorTargets, 'sourceBuckets' | 'logPrefix'>,
  cwd: string,
): IngestConfig | undefined {
  if (targets.dryRun || targets.table === undefined) return undefined;
  return processorConfigFrom(
    values,
    {
      table: targets.table,
      ...(targets.alerts ? { alerts: targets.alerts } : {}),
      ...objects,
      ...(targets.readRoleArn !== undefined ? { readRoleArn: targets.readRoleArn } : {}),
    },
    cwd,
  );
}
