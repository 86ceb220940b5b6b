/**
 * Checks run before a command processes anything: each table and topic exists at the endpoint it was
 * given for. A wrong endpoint or name then fails the run in one line naming the flag, instead of
 * failing every file with the SDK's own message.
 */
import type { AwsClients } from '../lambdas/adapters/aws-clients';
import { tableStatus, topicStatus } from '../lambdas/adapters/resource-checks';
import { composeProcessor } from '../lambdas/app/compose';
import { SILENT_OBSERVER, type IngestObserver } from '../lambdas/app/ingest-observer';
import type { LogObjectProcessor } from '../lambdas/app/object-processor';
import type { ProcessorConfig } from '../lambdas/app/processor-config';
import { TrailwatchError } from '../lambdas/core/errors';
import { explainAwsSetupError, type AwsFlags } from './aws-options';

/** What to check: each table with the flag that named it, and the topic. */
export interface PreflightTargets {
  readonly tables: ReadonlyArray<{ readonly name: string; readonly flag: string }>;
  readonly topic?: { readonly arn: string; readonly flag: string };
}

/**
 * Throws a one-line TrailwatchError when a table or the topic does not exist, or when its endpoint is
 * not that service's server. Other errors (no permission to describe, ...) are left to the run itself,
 * which reports them per file: the checks are a courtesy, not a requirement of the permissions.
 */
export async function preflight(
  clients: AwsClients,
  aws: AwsFlags,
  targets: PreflightTargets,
): Promise<void> {
  const where = (service: 'dynamodb' | 'sns'): string =>
    aws.endpoints[service] !== undefined
      ? `at ${aws.endpoints[service]}`
      : `in ${aws.region ?? 'the default region'}`;
  for (const table of targets.tables) {
    let status: 'exists' | 'missing' | undefined;
    try {
      status = await tableStatus(clients.dynamodb, table.name);
    } catch (err) {
      const setup = explainAwsSetupError(err, aws.endpoints, 'dynamodb', aws.sources);
      if (setup) throw setup;
    }
    if (status === 'missing')
      throw new TrailwatchError(
        `${table.flag} ${table.name}: no such DynamoDB table ${where('dynamodb')} (check the name, --region and the endpoint)`,
      );
  }
  if (targets.topic) {
    let status: 'exists' | 'missing' | undefined;
    try {
      status = await topicStatus(clients.sns, targets.topic.arn);
    } catch (err) {
      const setup = explainAwsSetupError(err, aws.endpoints, 'sns', aws.sources);
      if (setup) throw setup;
    }
    if (status === 'missing')
      throw new TrailwatchError(
        `${targets.topic.flag} ${targets.topic.arn}: no such SNS topic ${where('sns')} (check the ARN and the endpoint)`,
      );
  }
}

/**
 * The processor of a command that processes log objects (backfill, replay): checks the event table,
 * and with alerts the state table and topic, named by their flags, then composes the processor from
 * the configuration (lambdas/app/compose.ts, the one composition); `reports` are what the command
 * prints while it reads (an S3 read that broke off and was resumed).
 */
export async function checkedProcessor(
  clients: AwsClients,
  aws: AwsFlags,
  config: ProcessorConfig,
  alerts: { readonly topicArn: string; readonly stateTable: string } | undefined,
  reports: Pick<IngestObserver, 'readResumed'> = {},
): Promise<LogObjectProcessor> {
  await preflight(clients, aws, {
    tables: [
      { name: config.tableName, flag: '--table' },
      ...(alerts ? [{ name: alerts.stateTable, flag: '--alert-state-table' }] : []),
    ],
    ...(alerts ? { topic: { arn: alerts.topicArn, flag: '--topic-arn' } } : {}),
  });
  return composeProcessor(config, clients, { observer: { ...SILENT_OBSERVER, ...reports } });
}
