import * as z from 'zod';
import { parseAlertRules, type AlertRules } from '../core/alert-rules';
import type { ProcessorConfig } from '../app/processor-config';
import { ConfigError } from '../core/errors';

const positiveInt = (what: string) =>
  z
    .string()
    .regex(/^\d+$/, `expected ${what} as a whole number`)
    .transform(Number)
    .refine((n) => n > 0, `expected ${what} greater than 0`);

const bucketList = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((b) => b.trim())
      .filter((b) => b !== ''),
  )
  .refine((list) => list.length > 0, 'expected at least one bucket name (comma-separated)');

// A comma-separated list of ids, each checked against `pattern`; '' (or unset) is no list.
const idList = (pattern: RegExp, what: string) =>
  z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((id) => id.trim())
        .filter((id) => id !== ''),
    )
    .refine((ids) => ids.every((id) => pattern.test(id)), `expected comma-separated ${what}`);

/** An IAM role ARN, path allowed; no wildcard (a role is assumed by its exact ARN). */
export const READ_ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;

/** The ingest function's environment (set by the CDK stack; documented in docs/lambda.md). */
export const IngestEnvSchema = z.object({
  TABLE_NAME: z.string('required').min(1, 'required'),
  ALERT_STATE_TABLE_NAME: z.string().min(1, 'must not be empty').optional(),
  ALERT_TOPIC_ARN: z
    .string()
    .regex(/^arn:[\w-]+:sns:/, 'expected an SNS topic ARN (arn:aws:sns:...)')
    .optional(),
  /** The chat topic (Slack and Teams through the chat service); absent: alerts go to the alert topic only. */
  CHAT_TOPIC_ARN: z
    .string()
    .regex(/^arn:[\w-]+:sns:/, 'expected an SNS topic ARN (arn:aws:sns:...)')
    .optional(),
  SOURCE_BUCKETS: z.string('required: comma-separated bucket names').pipe(bucketList),
  // Unset: any prefix (the function run some other way, `trailwatch local`); the stack always sets it.
  LOG_PREFIX: z.string().optional(),
  ALLOWED_ACCOUNTS: idList(/^\d{12}$/, '12-digit account ids').default([]),
  ALLOWED_ORGANIZATIONS: idList(/^o-[a-z0-9]{10,32}$/, 'organization ids (o-...)').default([]),
  RETENTION_DAYS: positiveInt('days').default(365),
  PAYLOAD_MAX_BYTES: positiveInt('bytes').default(32768),
  ALERTS_ENABLED: z
    .enum(['true', 'false'], "expected 'true' or 'false'")
    .default('true')
    .transform((v) => v === 'true'),
  ALERT_RULES: z.string().optional(),
  ALERT_WINDOW_MINUTES: positiveInt('minutes').default(60),
  RUNBOOK_URL: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional(),
  // A role in the bucket's account the function assumes to read log objects (the cross-account layout).
  READ_ROLE_ARN: z
    .string()
    .regex(READ_ROLE_ARN, 'expected an IAM role ARN (arn:aws:iam::<account>:role/<name>)')
    .optional(),
});

/**
 * The same variables for the CLI's entry points (ingest, backfill, replay), which build them from
 * flags: SOURCE_BUCKETS may be left out there (local files have no bucket; replay accepts any).
 */
const CliEnvSchema = IngestEnvSchema.extend({
  SOURCE_BUCKETS: IngestEnvSchema.shape.SOURCE_BUCKETS.optional(),
});

/** Options of loadIngestConfig. */
export interface LoadConfigOptions {
  /** Whether SOURCE_BUCKETS is required (true, the Lambda) or may be absent (the CLI: any bucket). */
  readonly requireSourceBuckets?: boolean;
}

/** The validated configuration of the ingest function (the processor's configuration). */
export type IngestConfig = ProcessorConfig;

/**
 * Validates the environment once (at cold start). Throws one ConfigError listing every bad variable,
 * each named with what it expects.
 */
export function loadIngestConfig(
  env: Readonly<Record<string, string | undefined>>,
  options: LoadConfigOptions = {},
): IngestConfig {
  const schema = options.requireSourceBuckets === false ? CliEnvSchema : IngestEnvSchema;
  // Empty strings mean "not set" for the optional variables (CloudFormation cannot unset them).
  const cleaned = Object.fromEntries(
    Object.keys(schema.shape).map((name) => [
      name,
      env[name] === '' && name !== 'LOG_PREFIX' ? undefined : env[name],
    ]),
  );
  const parsed = schema.safeParse(cleaned);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      problems.push(`${issue.path.join('.') || 'environment'}: ${issue.message}`);
  }
  const data = parsed.success ? parsed.data : undefined;
  if (data?.ALERTS_ENABLED) {
    if (data.ALERT_TOPIC_ARN === undefined)
      problems.push('ALERT_TOPIC_ARN: required when ALERTS_ENABLED is true');
    if (data.ALERT_STATE_TABLE_NAME === undefined)
      problems.push('ALERT_STATE_TABLE_NAME: required when ALERTS_ENABLED is true');
  }
  let rules: AlertRules | undefined;
  if (data?.ALERT_RULES !== undefined) {
    try {
      rules = parseAlertRules(data.ALERT_RULES, 'ALERT_RULES');
    } catch (err) {
      problems.push(err instanceof Error ? err.message : String(err));
    }
  }
  if (!data || problems.length > 0) {
    throw new ConfigError(`invalid environment: ${problems.join('; ')}`);
  }
  return {
    tableName: data.TABLE_NAME,
    ...(data.SOURCE_BUCKETS !== undefined ? { sourceBuckets: data.SOURCE_BUCKETS } : {}),
    ...(data.LOG_PREFIX !== undefined ? { logPrefix: data.LOG_PREFIX } : {}),
    allowedAccounts: data.ALLOWED_ACCOUNTS,
    allowedOrganizationIds: data.ALLOWED_ORGANIZATIONS,
    retentionDays: data.RETENTION_DAYS,
    payloadMaxBytes: data.PAYLOAD_MAX_BYTES,
    ...(data.READ_ROLE_ARN !== undefined ? { readRoleArn: data.READ_ROLE_ARN } : {}),
    ...(data.ALERTS_ENABLED && data.ALERT_TOPIC_ARN !== undefined && data.ALERT_STATE_TABLE_NAME !== undefined
      ? {
          alerts: {
            topicArn: data.ALERT_TOPIC_ARN,
            stateTableName: data.ALERT_STATE_TABLE_NAME,
            ...(data.CHAT_TOPIC_ARN !== undefined ? { chatTopicArn: data.CHAT_TOPIC_ARN } : {}),
            ...(rules !== undefined ? { rules } : {}),
            windowMinutes: data.ALERT_WINDOW_MINUTES,
            ...(data.RUNBOOK_URL !== undefined ? { runbookUrl: data.RUNBOOK_URL } : {}),
          },
        }
      : {}),
  };
}

/** The backfill function's own variable: whether history alerts (`on`/`off`, default `off`). */
const BackfillAlertsSchema = z.enum(['on', 'off'], "expected 'on' or 'off'").default('off');

/**
 * The backfill function's configuration: the ingest function's environment (same table, filters and
 * alert settings) plus BACKFILL_ALERTS; with it `off` (the default) history raises no alerts, whatever
 * ALERTS_ENABLED says for the live path.
 */
export function loadBackfillConfig(env: Readonly<Record<string, string | undefined>>): IngestConfig {
  const alerts = BackfillAlertsSchema.safeParse(env.BACKFILL_ALERTS || undefined);
  if (!alerts.success) {
    let rest = '';
    try {
      loadIngestConfig(env);
    } catch (err) {
      if (err instanceof ConfigError) rest = `; ${err.message.replace(/^invalid environment: /, '')}`;
    }
    throw new ConfigError(`invalid environment: BACKFILL_ALERTS: ${alerts.error.issues[0]?.message}${rest}`);
  }
  return loadIngestConfig(alerts.data === 'on' ? env : { ...env, ALERTS_ENABLED: 'false' });
}
