import * as z from 'zod';
import { parseAlertRules, type AlertRules } from '../core/alert-rules';
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

/** The ingest function's environment (set by the CDK stack; documented in docs/lambda.md). */
export const IngestEnvSchema = z.object({
  TABLE_NAME: z.string('required').min(1, 'required'),
  ALERT_STATE_TABLE_NAME: z.string().min(1, 'must not be empty').optional(),
  ALERT_TOPIC_ARN: z
    .string()
    .regex(/^arn:[\w-]+:sns:/, 'expected an SNS topic ARN (arn:aws:sns:...)')
    .optional(),
  SOURCE_BUCKETS: z.string('required: comma-separated bucket names').pipe(bucketList),
  LOG_PREFIX: z.string().default(''),
  RETENTION_DAYS: positiveInt('days').default(365),
  PAYLOAD_MAX_BYTES: positiveInt('bytes').default(32768),
  ALERTS_ENABLED: z
    .enum(['true', 'false'], "expected 'true' or 'false'")
    .default('true')
    .transform((v) => v === 'true'),
  ALERT_RULES: z.string().optional(),
  ALERT_WINDOW_MINUTES: positiveInt('minutes').default(60),
});

/** The validated configuration of the ingest function. */
export interface IngestConfig {
  readonly tableName: string;
  readonly sourceBuckets: readonly string[];
  /** Required key prefix before `AWSLogs/`; '' accepts any. */
  readonly logPrefix: string;
  readonly retentionDays: number;
  readonly payloadMaxBytes: number;
  /** Absent when ALERTS_ENABLED=false. */
  readonly alerts?: {
    readonly topicArn: string;
    readonly stateTableName: string;
    readonly rules?: AlertRules;
    readonly windowMinutes: number;
  };
}

/**
 * Validates the environment once (at cold start). Throws one ConfigError listing every bad variable,
 * each named with what it expects.
 */
export function loadIngestConfig(env: Readonly<Record<string, string | undefined>>): IngestConfig {
  // Empty strings mean "not set" for the optional variables (CloudFormation cannot unset them).
  const cleaned = Object.fromEntries(
    Object.keys(IngestEnvSchema.shape).map((name) => [
      name,
      env[name] === '' && name !== 'LOG_PREFIX' ? undefined : env[name],
    ]),
  );
  const parsed = IngestEnvSchema.safeParse(cleaned);
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
    sourceBuckets: data.SOURCE_BUCKETS,
    logPrefix: data.LOG_PREFIX,
    retentionDays: data.RETENTION_DAYS,
    payloadMaxBytes: data.PAYLOAD_MAX_BYTES,
    ...(data.ALERTS_ENABLED && data.ALERT_TOPIC_ARN !== undefined && data.ALERT_STATE_TABLE_NAME !== undefined
      ? {
          alerts: {
            topicArn: data.ALERT_TOPIC_ARN,
            stateTableName: data.ALERT_STATE_TABLE_NAME,
            ...(rules !== undefined ? { rules } : {}),
            windowMinutes: data.ALERT_WINDOW_MINUTES,
          },
        }
      : {}),
  };
}
