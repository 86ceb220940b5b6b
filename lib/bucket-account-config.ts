import { z } from 'zod';
import { ConfigError } from '../lambdas/core/errors';
import {
  CONFIG_KEYS,
  DEFAULT_INGEST_ROLE_NAME,
  regionSetting,
  roleNameSetting,
  stackNameSetting,
  TrailwatchConfigSchema,
} from './config';

// An exact role ARN (path allowed, no wildcard): the read role's trust names principals one by one.
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;

const shape = TrailwatchConfigSchema.shape;

/**
 * The bucket-account part's settings (README, "A bucket in another account"). Where a key means the
 * same as in the trailwatch stack (bucket, prefix, key, role names), it has the same name, so one
 * cdk.json can serve both parts.
 */
export const BucketAccountConfigSchema = z.object({
  stackName: stackNameSetting('TrailwatchBucketAccount'),
  sourceBucketName: shape.sourceBucketName.unwrap(),
  logPrefix: shape.logPrefix,
  sourceBucketKmsKeyArn: shape.sourceBucketKmsKeyArn,
  readRoleName: roleNameSetting.default('trailwatch-log-reader'),
  trailwatchAccount: shape.sourceBucketAccount.unwrap(),
  trailwatchRegion: regionSetting.optional(),
  ingestRoleName: roleNameSetting.default(DEFAULT_INGEST_ROLE_NAME),
  // The trailwatch stack's distributed backfill function role (its default name is trailwatch-backfill);
  // trusted only when named, so a stack without the backfill trusts no extra role.
  backfillRoleName: roleNameSetting.optional(),
  operatorRoleArns: z
    .array(
      z.string().regex(ROLE_ARN, {
        error: 'expected an IAM role ARN (arn:aws:iam::<account>:role/<name>), no wildcard',
      }),
      { error: 'expected a list of IAM role ARNs' },
    )
    .default([]),
});

/** The validated bucket-account configuration, every default applied. */
export type BucketAccountConfig = z.infer<typeof BucketAccountConfigSchema>;

const KEYS = Object.keys(BucketAccountConfigSchema.shape);

/**
 * Validates the bucket-account part's settings; throws one ConfigError listing every problem by key.
 * The trailwatch stack's own keys (in the same cdk.json) are ignored here, any other unknown key is an error.
 */
export function parseBucketAccountConfig(input: Readonly<Record<string, unknown>>): BucketAccountConfig {
  const raw: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    if (KEYS.includes(key)) {
      raw[key] = key === 'operatorRoleArns' ? listOf(value) : value;
    } else if (!(CONFIG_KEYS as string[]).includes(key)) {
      problems.push(`${key}: not a bucket-account setting (known settings: ${KEYS.join(', ')})`);
    }
  }
  const parsed = BucketAccountConfigSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = issue.path.map(String).join('.') || '(configuration)';
      const missing = issue.path.length === 1 && raw[String(issue.path[0])] === undefined;
      problems.push(missing ? `${key}: required (${describe(key)})` : `${key}: ${issue.message}`);
    }
  }
  if (problems.length > 0 || !parsed.success) {
    throw new ConfigError(
      `Invalid trailwatch bucket-account configuration (cdk.json "context" or cdk -c key=value), ${problems.length} problem(s):\n` +
        problems.map((p) => `  - ${p}`).join('\n'),
    );
  }
  return parsed.data;
}

function describe(key: string): string {
  return key === 'trailwatchAccount'
    ? 'the 12-digit account trailwatch is deployed to'
    : key === 'sourceBucketName'
      ? 'the CloudTrail bucket of this account'
      : 'see the README';
}

// `cdk -c operatorRoleArns=a,b` gives a string; JSON lists pass as they are.
function listOf(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const trimmed = value.trim();
  if (trimmed.startsWith('[')) {
    try {
      return JSON.parse(trimmed) as unknown;
    } catch {
      return value;
    }
  }
  return trimmed === '' ? [] : trimmed.split(',').map((s) => s.trim());
}
