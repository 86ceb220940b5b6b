import { z } from 'zod';
import type { IConstruct } from 'constructs';
import { ConfigError } from '../lambdas/core/errors';
// The same pure schema the function validates ALERT_RULES with at cold start: a bad rule fails the
// synth instead of deploying a function that fails every invocation.
import { AlertRulesSchema } from '../lambdas/core/alert-rules';

/**
 * The watched services, as the ingest function writes them in the `WatchedService` metric dimension
 * and the SNS `service` message attribute. Kept here (not imported from lambdas/) so the CDK code
 * refers to Lambda code by entry path only; test/infra/config.test.ts fails if the lists drift.
 */
export const WATCHED_SERVICES = ['glue', 'emr', 'athena', 'batch'] as const;

/** CloudWatch Logs retention periods the service accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

// S3's bucket naming rules (general purpose buckets), enough to catch ARNs and s3:// URLs pasted by mistake.
const BUCKET_NAME = /^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;
const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/;
const ACCOUNT_ID = /^\d{12}$/;
// IAM's role name characters and length (no path: trailwatch names both roles of the cross-account layout).
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
/** CloudFormation's stack name rule (bin/ checks it too, before CDK would reject the name first). */
export const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;
// Lambda keeps at least this many executions of the account's concurrency unreserved.
const MIN_UNRESERVED_CONCURRENCY = 10;
// A key prefix like `org/trails`: no leading or trailing slash, no `AWSLogs` (trailwatch appends it),
// no `*` (a wildcard in the EventBridge pattern).
const LOG_PREFIX = /^(?:[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)*)?$/;

const email = z.email({ error: 'expected an email address' });

// The chat service's own patterns (its API reference): Slack team and channel ids, Teams ids, names.
const UUID = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/;
const CHAT_CONFIGURATION_NAME = z
  .string()
  .regex(/^[A-Za-z0-9-_]{1,128}$/, { error: 'expected 1 to 128 letters, digits, - or _' });
const slackChannel = z.strictObject({
  workspaceId: z.string().regex(/^[0-9A-Z]{1,255}$/, {
    error: 'expected the Slack workspace id (like T012ABCDEFG; the chat service console shows it)',
  }),
  channelId: z.string().regex(/^[A-Za-z0-9]{1,255}$/, {
    error: 'expected the Slack channel id (like C0123456789; channel details in Slack), not its name',
  }),
  name: CHAT_CONFIGURATION_NAME.optional(),
});
const teamsChannel = z.strictObject({
  teamId: z.string().regex(UUID, { error: 'expected the team id (a UUID: groupId in the channel link)' }),
  tenantId: z
    .string()
    .regex(UUID, { error: 'expected the tenant id (a UUID: tenantId in the channel link)' }),
  channelId: z.string().regex(/^[A-Za-z0-9-_=+/.,]*%3[aA][A-Za-z0-9-_=+/.,]*%40[A-Za-z0-9-_=+/.,]*$/, {
    error: 'expected the channel id as the channel link has it, URL-encoded (19%3a...%40thread.tacv2)',
  }),
  name: CHAT_CONFIGURATION_NAME.optional(),
});

// A plain address receives every alert; `{ email, services }` subscribes with a filter policy on `service`.
const alertSubscription = z.preprocess(
  (v) => (typeof v === 'string' ? { email: v } : v),
  z.strictObject(
    {
      email,
      services: z
        .array(z.enum(WATCHED_SERVICES, { error: `expected one of ${WATCHED_SERVICES.join(', ')}` }))
        .min(1, { error: 'list at least one service, or give the plain address to receive every alert' })
        .optional(),
    },
    { error: 'expected an email address, or { "email": "...", "services": ["glue", ...] }' },
  ),
);

const int = (min: number, max: number) =>
  z
    .number({ error: `expected a whole number from ${min} to ${max}` })
    .int({ error: `expected a whole number from ${min} to ${max}` })
    .min(min, { error: `expected a whole number from ${min} to ${max}` })
    .max(max, { error: `expected a whole number from ${min} to ${max}` });

const bool = z.boolean({ error: 'expected true or false' });

/** A CloudFormation stack name, `fallback` when not given (each CDK app of the repository has its own). */
export const stackNameSetting = (fallback: string) =>
  z
    .string()
    .regex(STACK_NAME, { error: 'expected a CloudFormation stack name (letters, digits, -)' })
    .default(fallback);

/** An IAM role name that trailwatch gives a role (both parts of the cross-account layout name roles). */
export const roleNameSetting = z
  .string()
  .regex(ROLE_NAME, { error: 'expected an IAM role name (up to 64 letters, digits and +=,.@_-; no ARN)' });

/** An AWS region name. */
export const regionSetting = z
  .string()
  .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { error: 'expected an AWS region name like eu-west-1' });

/** Receives of a backfill message before it moves to the backfill's dead-letter queue. */
export const BACKFILL_MAX_RECEIVES = 5;

// The distributed backfill (docs/operations.md, "Distributed backfill"): off unless enabled, so a stack
// without it has no queue, function or mapping. `backfill: true` is short for `{ "enabled": true }`.
const BACKFILL_KEYS = {
  enabled: bool.default(false),
  // The pacing knob: the event source mapping's maximum concurrency (Lambda accepts 2 to 1000).
  maxConcurrency: int(2, 1000).default(10),
  alerts: bool.default(false),
  memorySize: int(256, 10240).default(1024),
  // A message of 20 keys takes about a minute even of large files (lambdas/core/backfill-batch.ts); the
  // queue's visibility timeout is 6x this, so a crashed invocation's message returns after 30 minutes.
  timeoutSeconds: int(60, 900).default(300),
};
const backfillSettings = z
  .preprocess(
    (v) => (typeof v === 'boolean' ? { enabled: v } : v),
    // Not strict: backfillProblems names an unknown key with the known ones (zod would only say "unrecognized").
    z.object(BACKFILL_KEYS, {
      error: 'expected { "enabled": true, "maxConcurrency": 10 } (or true / false)',
    }),
  )
  .prefault({});

// JSON turns `-c allowedAccounts=[111122223333]` into numbers; an id is text (leading zeros count).
const accountId = z.preprocess(
  (v) => (typeof v === 'number' ? String(v) : v),
  z.string({ error: 'expected a 12-digit account id' }).regex(ACCOUNT_ID, {
    error: 'expected a 12-digit account id (quote it: leading zeros count)',
  }),
);

/** The schema of trailwatch's deployment configuration: one field per cdk.json context key. */
export const TrailwatchConfigSchema = z.object({
  stackName: stackNameSetting('Trailwatch'),
  sourceBucketName: z
    .string()
    .regex(BUCKET_NAME, { error: 'expected an S3 bucket name (not an ARN or s3:// URL)' })
    .optional(),
  sourceBucketKmsKeyArn: z
    .string()
    .regex(KMS_KEY_ARN, { error: 'expected a KMS key ARN: arn:aws:kms:<region>:<account>:key/<key-id>' })
    .optional(),
  logPrefix: z
    .string()
    .regex(LOG_PREFIX, { error: 'expected a key prefix without leading or trailing "/", e.g. "org-trail"' })
    .refine((p) => !/(^|\/)AWSLogs(\/|$)/.test(p), {
      error: 'give the part before AWSLogs/ only; trailwatch appends AWSLogs/',
    })
    .default(''),
  multiRegionTrail: bool.default(true),
  organizationTrail: bool.default(false),
  organizationId: z
    .string()
    .regex(ORGANIZATION_ID, { error: 'expected an AWS Organizations id like o-a1b2c3d4e5' })
    .optional(),
  organizationTrustedAccess: bool.default(false),
  allowedAccounts: z.array(accountId, { error: 'expected a list of 12-digit account ids' }).optional(),
  sourceBucketAccount: accountId.optional(),
  readRoleName: roleNameSetting.optional(),
  ingestRoleName: roleNameSetting.optional(),
  trigger: z
    .enum(['s3-notification', 'eventbridge'], { error: 'expected "s3-notification" or "eventbridge"' })
    .default('s3-notification'),
  alertEmails: z.array(alertSubscription, { error: 'expected a list of email addresses' }).default([]),
  opsEmails: z.array(email, { error: 'expected a list of email addresses' }).default([]),
  alertsEnabled: bool.default(true),
  slackChannels: z.array(slackChannel, { error: 'expected a list of Slack channels' }).default([]),
  teamsChannels: z.array(teamsChannel, { error: 'expected a list of Teams channels' }).default([]),
  alertRules: z
    .record(z.string(), z.unknown(), { error: 'expected a JSON object (the alert rules)' })
    .superRefine((rules, ctx) => {
      // Validated, but passed to the function as written (the function fills in the defaults).
      const checked = AlertRulesSchema.safeParse(rules);
      if (checked.success) return;
      for (const issue of checked.error.issues)
        ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
    })
    .optional(),
  alertWindowMinutes: int(1, 1440).default(60),
  runbookUrl: z
    .url({ protocol: /^https?$/, error: 'expected an http(s) URL (where docs/runbook.md is published)' })
    .optional(),
  retentionDays: int(1, 3650).default(365),
  payloadMaxBytes: int(1024, 358400).default(32768),
  logLevel: z
    .enum(['DEBUG', 'INFO', 'WARN', 'ERROR'], { error: 'expected DEBUG, INFO, WARN or ERROR' })
    .default('INFO'),
  memorySize: int(256, 10240).default(1024),
  timeoutSeconds: int(30, 900).default(300),
  reservedConcurrency: int(1, 1000).optional(),
  accountConcurrencyLimit: int(MIN_UNRESERVED_CONCURRENCY, 1_000_000).default(1000),
  logRetentionDays: z
    .number()
    .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), {
      error: `expected one of CloudWatch Logs' retention periods: ${LOG_RETENTION_DAYS.join(', ')}`,
    })
    .default(90),
  realTimeAlerts: bool.default(false),
  realTimeRegions: z.array(regionSetting, { error: 'expected a list of region names' }).default([]),
  noObjectsAlarmMinutes: int(5, 1440).default(60),
  retainData: bool.default(true),
  backfill: backfillSettings,
  backfillRoleName: roleNameSetting.optional(),
});

/** Validated trailwatch configuration, every default applied. */
export type TrailwatchConfig = z.infer<typeof TrailwatchConfigSchema>;

/** Configuration as a user writes it (cdk.json context, `-c key=value`, or stack props): every key optional. */
export type TrailwatchConfigInput = z.input<typeof TrailwatchConfigSchema>;

/** Every configuration key, in documentation order. */
export const CONFIG_KEYS = Object.keys(TrailwatchConfigSchema.shape) as (keyof TrailwatchConfig)[];

// `cdk -c key=value` always passes strings; read them the way a user means them.
function fromContextString(key: keyof TrailwatchConfig, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const inner = TrailwatchConfigSchema.shape[key].unwrap();
  if (inner instanceof z.ZodString || inner instanceof z.ZodEnum) return value;
  const trimmed = value.trim();
  if (inner instanceof z.ZodArray && !trimmed.startsWith('[')) {
    return trimmed === '' ? [] : trimmed.split(',').map((s) => s.trim());
  }
  try {
    return JSON.parse(trimmed) as unknown;
  } catch {
    return value;
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (out, part) =>
      typeof part === 'number' ? `${out}[${part}]` : out === '' ? String(part) : `${out}.${String(part)}`,
    '',
  );
}

// Rules between keys; checked on the raw values so they are reported together with per-key problems.
function crossKeyProblems(raw: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const existingBucket = raw.sourceBucketName !== undefined;
  if (raw.sourceBucketKmsKeyArn !== undefined && !existingBucket) {
    problems.push(
      'sourceBucketKmsKeyArn: only applies with sourceBucketName (the bucket trailwatch creates uses S3-managed encryption)',
    );
  }
  if (existingBucket) {
    // organizationId stays meaningful on an existing bucket: the organization whose files are read.
    for (const key of ['multiRegionTrail', 'organizationTrail', 'organizationTrustedAccess'] as const) {
      if (raw[key] !== undefined) {
        problems.push(
          `${key}: only applies when trailwatch creates the trail; remove it or remove sourceBucketName`,
        );
      }
    }
  } else {
    if (raw.organizationTrail === true && raw.organizationId === undefined) {
      problems.push(
        'organizationId: required when organizationTrail is true (the bucket policy names the organization)',
      );
    } else if (raw.organizationId !== undefined && raw.organizationTrail !== true) {
      problems.push('organizationId: only applies with organizationTrail: true or with sourceBucketName');
    }
    if (raw.organizationTrail === true && raw.organizationTrustedAccess !== true) {
      problems.push(
        "organizationTrustedAccess: an organization trail needs CloudTrail's trusted access in AWS Organizations, " +
          'or CreateTrail fails (CloudTrailAccessNotEnabledException) and the stack rolls back; from the management ' +
          'account run `aws organizations enable-aws-service-access --service-principal cloudtrail.amazonaws.com`, ' +
          'then set organizationTrustedAccess: true',
      );
    } else if (raw.organizationTrustedAccess !== undefined && raw.organizationTrail !== true) {
      problems.push('organizationTrustedAccess: only applies with organizationTrail: true');
    }
    if (raw.allowedAccounts !== undefined && raw.organizationTrail !== true) {
      problems.push(
        "allowedAccounts: the trail trailwatch creates logs this account only, and only this account's files are read; " +
          'it applies with organizationTrail: true or with sourceBucketName',
      );
    }
    if (raw.sourceBucketAccount !== undefined) {
      problems.push(
        'sourceBucketAccount: only applies with sourceBucketName (a new bucket is in this account)',
      );
    }
  }
  problems.push(...crossAccountProblems(raw));
  const reserved = raw.reservedConcurrency;
  const limit = typeof raw.accountConcurrencyLimit === 'number' ? raw.accountConcurrencyLimit : 1000;
  if (typeof reserved === 'number' && reserved > limit - MIN_UNRESERVED_CONCURRENCY) {
    problems.push(
      `reservedConcurrency: ${reserved} would leave fewer than ${MIN_UNRESERVED_CONCURRENCY} unreserved executions of the ` +
        `account's ${limit} (Lambda refuses that, and the deployment fails); use at most ${limit - MIN_UNRESERVED_CONCURRENCY}, ` +
        'or set accountConcurrencyLimit to your account\'s limit (Service Quotas, "Concurrent executions")',
    );
  }
  if (Array.isArray(raw.realTimeRegions) && raw.realTimeRegions.length > 0 && raw.realTimeAlerts !== true) {
    problems.push('realTimeRegions: only applies with realTimeAlerts: true');
  }
  if (raw.realTimeAlerts === true && raw.alertsEnabled === false) {
    problems.push('realTimeAlerts: needs alertsEnabled (the real-time path exists to alert sooner)');
  }
  if (
    Array.isArray(raw.realTimeRegions) &&
    new Set(raw.realTimeRegions).size !== raw.realTimeRegions.length
  ) {
    problems.push('realTimeRegions: lists a region twice; list each region once');
  }
  if (Array.isArray(raw.alertEmails)) {
    const seen = new Set<string>();
    raw.alertEmails.forEach((entry, i) => {
      const address = typeof entry === 'string' ? entry : (entry as { email?: unknown } | null)?.email;
      if (typeof address !== 'string') return;
      const normalized = address.toLowerCase();
      if (seen.has(normalized))
        problems.push(`alertEmails[${i}]: ${address} is listed twice; list each address once`);
      seen.add(normalized);
    });
  }
  problems.push(...chatProblems(raw));
  problems.push(...backfillProblems(raw));
  return problems;
}

// The distributed backfill: its settings need it enabled, its alerts need alerts, and its concurrency
// must leave the account's unreserved executions to the live path.
function backfillProblems(raw: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const value = typeof raw.backfill === 'boolean' ? { enabled: raw.backfill } : raw.backfill;
  const backfill = value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  const known = Object.keys(BACKFILL_KEYS);
  const unknown = Object.keys(backfill).filter((k) => !known.includes(k));
  for (const key of unknown)
    problems.push(`backfill.${key}: not a backfill setting (known settings: ${known.join(', ')})`);
  const enabled = backfill.enabled === true;
  if (!enabled) {
    for (const key of Object.keys(backfill).filter((k) => k !== 'enabled' && known.includes(k)))
      problems.push(`backfill.${key}: only applies with backfill.enabled: true`);
    if (raw.backfillRoleName !== undefined)
      problems.push('backfillRoleName: only applies with backfill.enabled: true');
    return problems;
  }
  if (raw.backfillRoleName !== undefined && raw.readRoleName === undefined)
    problems.push(
      'backfillRoleName: only applies with readRoleName (the cross-account layout names the backfill role)',
    );
  if (backfill.alerts === true && raw.alertsEnabled === false)
    problems.push('backfill.alerts: needs alertsEnabled (the backfill would alert through the same topic)');
  const maxConcurrency = typeof backfill.maxConcurrency === 'number' ? backfill.maxConcurrency : 10;
  const limit = typeof raw.accountConcurrencyLimit === 'number' ? raw.accountConcurrencyLimit : 1000;
  const reserved = typeof raw.reservedConcurrency === 'number' ? raw.reservedConcurrency : 0;
  const unreserved = limit - reserved - MIN_UNRESERVED_CONCURRENCY;
  if (maxConcurrency > unreserved)
    problems.push(
      `backfill.maxConcurrency: ${maxConcurrency} would take every unreserved execution of the account's ${limit} ` +
        `(${reserved} reserved, ${MIN_UNRESERVED_CONCURRENCY} kept free) and throttle the live path; use at most ` +
        `${Math.max(unreserved, 2)}, or set accountConcurrencyLimit to your account's limit`,
    );
  return problems;
}

// Chat channels: each once, names unique (the chat service requires it per account), alerts on.
function chatProblems(raw: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const names = new Map<string, string>();
  const channels = new Set<string>();
  let any = false;
  for (const key of ['slackChannels', 'teamsChannels'] as const) {
    const list = raw[key];
    if (!Array.isArray(list)) continue;
    list.forEach((entry: unknown, i) => {
      if (entry === null || typeof entry !== 'object') return;
      any = true;
      const e = entry as { channelId?: unknown; name?: unknown; workspaceId?: unknown; teamId?: unknown };
      const where = `${key}[${i}]`;
      const channel = `${key}:${String(e.workspaceId ?? e.teamId)}:${String(e.channelId)}`;
      if (channels.has(channel)) problems.push(`${where}: this channel is listed twice; list it once`);
      channels.add(channel);
      if (typeof e.name === 'string') {
        const first = names.get(e.name);
        if (first !== undefined)
          problems.push(`${where}.name: ${e.name} is also the name of ${first}; names must be unique`);
        else names.set(e.name, where);
      }
    });
  }
  if (any && raw.alertsEnabled === false)
    problems.push('slackChannels/teamsChannels: alertsEnabled is false, so no alert would reach them');
  return problems;
}

// The cross-account layout (README, "A bucket in another account"): the bucket-account stack forwards
// S3's EventBridge events and lends a read role, so the trigger is EventBridge and the bucket is named.
function crossAccountProblems(raw: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (raw.readRoleName === undefined) {
    if (raw.ingestRoleName !== undefined)
      problems.push(
        'ingestRoleName: only applies with readRoleName (the cross-account layout names the function role)',
      );
    return problems;
  }
  for (const key of ['sourceBucketName', 'sourceBucketAccount'] as const) {
    if (raw[key] === undefined)
      problems.push(
        `${key}: required with readRoleName (the bucket-account stack's bucket and account; README, "A bucket in another account")`,
      );
  }
  if (raw.trigger !== 'eventbridge')
    problems.push(
      "trigger: must be eventbridge with readRoleName: the bucket-account stack forwards the bucket's S3 events " +
        "to this account's default event bus (an S3 notification cannot reach a function in another account)",
    );
  return problems;
}

/** The name the ingest function's role gets in the cross-account layout, unless ingestRoleName says otherwise. */
export const DEFAULT_INGEST_ROLE_NAME = 'trailwatch-ingest';

/** The name the backfill function's role gets in the cross-account layout, unless backfillRoleName says otherwise. */
export const DEFAULT_BACKFILL_ROLE_NAME = 'trailwatch-backfill';

/**
 * Validates trailwatch's configuration and applies defaults; throws one ConfigError listing every
 * problem, each naming its context key, so a user fixes them all in one go.
 */
export function parseTrailwatchConfig(input: Readonly<Record<string, unknown>>): TrailwatchConfig {
  const raw: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    if (!(CONFIG_KEYS as string[]).includes(key)) {
      problems.push(`${key}: not a trailwatch setting (known settings: ${CONFIG_KEYS.join(', ')})`);
      continue;
    }
    raw[key] = fromContextString(key as keyof TrailwatchConfig, value);
  }
  const parsed = TrailwatchConfigSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const received = issue.path.length > 0 ? valueAt(raw, issue.path) : undefined;
      const shown = received === undefined ? '' : ` (got ${JSON.stringify(received)})`;
      problems.push(`${formatPath(issue.path) || '(configuration)'}: ${issue.message}${shown}`);
    }
  }
  problems.push(...crossKeyProblems(raw));
  if (problems.length > 0 || !parsed.success) {
    throw new ConfigError(
      `Invalid trailwatch configuration (cdk.json "context" or cdk -c key=value), ${problems.length} problem(s):\n` +
        problems.map((p) => `  - ${p}`).join('\n'),
    );
  }
  return parsed.data;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current = root;
  for (const part of path) {
    // A plain-string subscription stands for `{ email }`.
    if (typeof current === 'string' && part === 'email') continue;
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[part];
  }
  return current;
}

/**
 * Collects trailwatch's settings from the CDK context (cdk.json `context` and `-c key=value`).
 * Context keys that look like ours (plain camelCase) but are unknown are passed on, so a typo is
 * reported instead of silently ignored; CDK's own keys (with `:`, `@` or `/`) are left alone.
 */
export function configFromContext(scope: IConstruct): Record<string, unknown> {
  const context = scope.node.getAllContext() as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(context)) {
    if (/^[a-z][A-Za-z0-9]*$/.test(key)) out[key] = value;
  }
  return out;
}

/** The S3 key prefix under which the trail writes: `AWSLogs/` or `<logPrefix>/AWSLogs/`. */
export function logKeyPrefix(config: Pick<TrailwatchConfig, 'logPrefix'>): string {
  return config.logPrefix === '' ? 'AWSLogs/' : `${config.logPrefix}/AWSLogs/`;
}

/**
 * Problems that depend on the account the stack deploys to (`undefined` when the CLI does not know it:
 * the stack then asserts the same in a CloudFormation rule), each naming its context key.
 */
export function deployTargetProblems(config: TrailwatchConfig, stackAccount: string | undefined): string[] {
  const bucketAccount = config.sourceBucketAccount;
  if (bucketAccount === undefined || stackAccount === undefined) return [];
  if (config.readRoleName !== undefined && bucketAccount === stackAccount) {
    return [
      `readRoleName: the bucket is in this account (${stackAccount}); the cross-account layout is for a bucket ` +
        'in another account: remove readRoleName (and the bucket-account stack) and let the function read the bucket directly',
    ];
  }
  if (bucketAccount === stackAccount) return [];
  if (config.trigger === 's3-notification') {
    return [
      `sourceBucketAccount: the bucket is in account ${bucketAccount} and the stack deploys to ${stackAccount}; ` +
        "only the bucket's owner can set its event notifications, so trigger s3-notification cannot work: deploy " +
        "trailwatch in the bucket's account, or use the cross-account layout: deploy the bucket-account stack in " +
        `${bucketAccount}, then set trigger eventbridge and readRoleName (README, "A bucket in another account")`,
    ];
  }
  return [];
}

/** The accounts and organizations whose log files the function reads; empty lists accept any. */
export interface KeyAllowList {
  readonly accounts: readonly string[];
  readonly organizationIds: readonly string[];
}

/**
 * The key allow-list for the function (ALLOWED_ACCOUNTS / ALLOWED_ORGANIZATIONS): the trail trailwatch
 * creates writes this account's folder, or the organization's; an existing bucket holds whatever the
 * configuration lists.
 */
export function keyAllowList(config: TrailwatchConfig, stackAccount: string): KeyAllowList {
  if (config.sourceBucketName === undefined) {
    return config.organizationTrail && config.organizationId !== undefined
      ? { accounts: config.allowedAccounts ?? [], organizationIds: [config.organizationId] }
      : { accounts: [stackAccount], organizationIds: [] };
  }
  return {
    accounts: config.allowedAccounts ?? [],
    organizationIds: config.organizationId === undefined ? [] : [config.organizationId],
  };
}
