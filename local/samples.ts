import * as fs from 'node:fs';
import * as path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { seedRecords } from './seed-records';
import { seededRandom, seedOfText } from './seeded-random';

/** One sample log object: where CloudTrail would put it, and its gzipped body. */
export interface SampleObject {
  readonly key: string;
  readonly body: Buffer;
  /** `seed` (one of the seed examples), `day` (the generated day) or `digest`. */
  readonly kind: 'seed' | 'day' | 'digest';
  /** Records in the file (0 for a digest). */
  readonly records: number;
}

/**
 * The day of the generated sample logs in `samples/`: fixed, so the README's examples (and their
 * test) find the same calls on every machine and every day.
 */
export const SAMPLE_DAY = '2024-05-01';

/** The folder of the bundled sample logs (`samples/` at the repository root, written by samples/generate.ts). */
export const SAMPLES_DIR = path.join(__dirname, '..', 'samples');

/** The generated day's accounts: one account trail, one organization trail member. */
export const SAMPLE_ACCOUNTS = [
  { accountId: '111122223333', orgId: undefined },
  { accountId: '444455556666', orgId: 'o-exampleorg1' },
] as const;

/** The generated day's regions. */
export const SAMPLE_REGIONS = ['us-east-1', 'eu-west-1'] as const;

/** Account of the seed examples that name none (the EMR example). */
const DEFAULT_SEED_ACCOUNT = '123456789012';

/**
 * The bundled samples: each seed example in its own log file, plus a generated day (`day`,
 * `YYYY-MM-DD`) of hourly log files for two accounts in two regions, mostly other services' calls,
 * with some failed Glue, EMR, Athena and Batch calls, and the hourly digest files CloudTrail also
 * writes. Deterministic for a given day, so uploading the same day twice adds nothing.
 */
export function generateSamples(day: string): SampleObject[] {
  return [...seedSamples(), ...generatedDay(day)];
}

/**
 * The sample log files in `dir` (`samples/`), keyed by their path below it (which is CloudTrail's
 * key layout), plus the day's digest files, which are not log files and so are not kept on disk.
 */
export function loadSamples(dir: string = SAMPLES_DIR, day: string = SAMPLE_DAY): SampleObject[] {
  const files: SampleObject[] = [];
  const walk = (folder: string): void => {
    for (const entry of fs
      .readdirSync(folder, { withFileTypes: true })
      .sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.json.gz')) {
        const body = fs.readFileSync(full);
        const records = (JSON.parse(gunzipSync(body).toString('utf8')) as { Records: unknown[] }).Records
          .length;
        const key = path.relative(dir, full).split(path.sep).join('/');
        files.push({ key, body, kind: /_SEED\d+\.json\.gz$/.test(key) ? 'seed' : 'day', records });
      }
    }
  };
  walk(path.join(dir, 'AWSLogs'));
  return [...files, ...sampleDigests(day)];
}

/** The digest files CloudTrail writes beside a day's logs (one per account and region). */
export function sampleDigests(day: string): SampleObject[] {
  return generateSamples(day).filter((s) => s.kind === 'digest');
}

/** The seed examples, one log file each, under the key CloudTrail would give them. */
export function seedSamples(): SampleObject[] {
  return seedRecords().map((seed, n) => {
    const record = seed.record;
    const accountId =
      stringField(record, 'recipientAccountId') ?? accountOfIdentity(record) ?? DEFAULT_SEED_ACCOUNT;
    const region = stringField(record, 'awsRegion') ?? 'us-east-1';
    const time = new Date(stringField(record, 'eventTime') ?? '2017-01-01T00:00:00Z');
    return {
      key: logKey({ accountId, region, time, suffix: `SEED${String(n).padStart(12, '0')}` }),
      body: gzipSync(JSON.stringify({ Records: [record] })),
      kind: 'seed',
      records: 1,
    };
  });
}

/** A CloudTrail log key: `[prefix]AWSLogs/[o-id/]<account>/CloudTrail/<region>/YYYY/MM/DD/<file>.json.gz`. */
export function logKey(args: {
  accountId: string;
  region: string;
  time: Date;
  suffix: string;
  orgId?: string;
  prefix?: string;
}): string {
  const iso = args.time.toISOString();
  const [y, m, d] = [iso.slice(0, 4), iso.slice(5, 7), iso.slice(8, 10)];
  const stamp = `${y}${m}${d}T${iso.slice(11, 13)}${iso.slice(14, 16)}Z`;
  const org = args.orgId ? `${args.orgId}/` : '';
  return `${args.prefix ?? ''}AWSLogs/${org}${args.accountId}/CloudTrail/${args.region}/${y}/${m}/${d}/${args.accountId}_CloudTrail_${args.region}_${stamp}_${args.suffix}.json.gz`;
}

function generatedDay(day: string): SampleObject[] {
  // Same day, same samples.
  const random = seededRandom(seedOfText(day));
  const out: SampleObject[] = [];
  const failures = plannedFailures(day);
  for (const account of SAMPLE_ACCOUNTS) {
    for (const region of SAMPLE_REGIONS) {
      for (let hour = 0; hour < 24; hour++) {
        const hourStart = Date.parse(`${day}T${String(hour).padStart(2, '0')}:00:00Z`);
        const ctx: RecordContext = { random, accountId: account.accountId, region };
        const records: Record<string, unknown>[] = [];
        // Busier in working hours, as real accounts are.
        const count = 20 + Math.floor(random() * (hour >= 8 && hour <= 18 ? 40 : 12));
        for (let i = 0; i < count; i++) {
          const time = new Date(hourStart + Math.floor(random() * 3_600_000));
          records.push(random() < 0.3 ? watchedCall(ctx, time) : otherServiceCall(ctx, time));
        }
        for (const failure of failures) {
          const { at } = failure;
          if (at.accountId === account.accountId && at.region === region && at.hour === hour) {
            records.push(failedCall(ctx, failure, new Date(hourStart + at.minute * 60_000 + 17_000)));
          }
        }
        records.sort((a, b) => String(a.eventTime).localeCompare(String(b.eventTime)));
        // CloudTrail delivers a file a few minutes after the hour it covers.
        const delivered = new Date(hourStart + 3_600_000 + 5 * 60_000);
        out.push({
          key: logKey({
            accountId: account.accountId,
            region,
            time: delivered,
            suffix: randomSuffix(random),
            ...(account.orgId ? { orgId: account.orgId } : {}),
          }),
          body: gzipSync(JSON.stringify({ Records: records })),
          kind: 'day',
          records: records.length,
        });
      }
      out.push(digestSample(account, region, day, random));
    }
  }
  return out;
}

interface RecordContext {
  readonly random: () => number;
  readonly accountId: string;
  readonly region: string;
}

// A failed call of the generated day: when and where, who called, what was asked and the error.
interface PlannedFailure {
  readonly at: {
    readonly accountId: string;
    readonly region: string;
    readonly hour: number;
    readonly minute: number;
  };
  readonly call: {
    readonly service: keyof typeof EVENT_SOURCES;
    readonly eventName: string;
    readonly caller: { readonly role: string } | { readonly user: string };
  };
  readonly request: unknown;
  readonly error: [code: string, message: string];
}

// A handful of failures a data team would want to hear about, spread over the day.
function plannedFailures(day: string): PlannedFailure[] {
  return [
    {
      at: { accountId: '111122223333', region: 'us-east-1', hour: 2, minute: 14 },
      call: { service: 'glue', eventName: 'StartJobRun', caller: { role: 'glue-scheduler' } },
      request: { jobName: 'nightly-orders-etl', arguments: { '--day': day } },
      error: ['ConcurrentRunsExceededException', 'Concurrent runs exceeded for nightly-orders-etl'],
    },
    {
      at: { accountId: '111122223333', region: 'us-east-1', hour: 9, minute: 41 },
      call: { service: 'athena', eventName: 'StartQueryExecution', caller: { user: 'maria' } },
      request: {
        queryString: 'SELECT order_id, total FROM sales.orders WHERE day = current_date',
        workGroup: 'analysts',
        queryExecutionContext: { database: 'sales' },
      },
      error: ['InvalidRequestException', 'Unable to verify/create output bucket athena-results-111122223333'],
    },
    {
      at: { accountId: '444455556666', region: 'eu-west-1', hour: 11, minute: 3 },
      call: { service: 'emr', eventName: 'RunJobFlow', caller: { role: 'data-platform-deployer' } },
      request: {
        name: 'spark-feature-build',
        releaseLabel: 'emr-7.2.0',
        instances: { instanceCount: 5, keepJobFlowAliveWhenNoSteps: false },
      },
      error: ['ValidationException', 'Specified instance type m5.12xlarge is not supported in eu-west-1c'],
    },
    {
      at: { accountId: '444455556666', region: 'us-east-1', hour: 15, minute: 27 },
      call: { service: 'batch', eventName: 'SubmitJob', caller: { role: 'scheduler-lambda' } },
      request: { jobName: 'reindex-catalog', jobQueue: 'batch-high-priority', jobDefinition: 'reindex:7' },
      error: ['ClientException', 'JobQueue batch-high-priority not found.'],
    },
    {
      at: { accountId: '444455556666', region: 'us-east-1', hour: 16, minute: 50 },
      call: { service: 'glue', eventName: 'GetTable', caller: { user: 'sam' } },
      request: { databaseName: 'finance', name: 'ledger_2024' },
      error: [
        'AccessDeniedException',
        'User: arn:aws:iam::444455556666:user/sam is not authorized to perform: glue:GetTable on resource: arn:aws:glue:us-east-1:444455556666:table/finance/ledger_2024',
      ],
    },
  ];
}

function failedCall(ctx: RecordContext, failure: PlannedFailure, time: Date): Record<string, unknown> {
  const { service, eventName, caller } = failure.call;
  const who = 'role' in caller ? roleIdentity(ctx, caller.role) : userIdentity(ctx, caller.user);
  return call(ctx, time, service, eventName, who, { request: failure.request, error: failure.error });
}

const JOBS = ['nightly-orders-etl', 'customer-dedupe', 'clickstream-compact', 'inventory-snapshot'];
const CRAWLERS = ['raw-orders-crawler', 'clickstream-crawler'];
const DATABASES = ['sales', 'marketing', 'finance'];
const TABLES = ['orders', 'customers', 'events', 'ledger'];
const WORKGROUPS = ['primary', 'analysts', 'dashboards'];
const QUEUES = ['batch-default', 'batch-spot'];
const JOB_DEFINITIONS = ['render-report:3', 'train-model:12', 'export-csv:5'];
const USERS = ['maria', 'sam', 'lee', 'dashboard-bot'];
const ROLES = ['glue-scheduler', 'airflow-worker', 'data-platform-deployer', 'scheduler-lambda'];

function watchedCall(ctx: RecordContext, time: Date): Record<string, unknown> {
  const { random } = ctx;
  const who =
    random() < 0.6 ? roleIdentity(ctx, pick(random, ROLES)) : userIdentity(ctx, pick(random, USERS));
  const roll = random();
  if (roll < 0.35) {
    const job = pick(random, JOBS);
    const kind = random();
    if (kind < 0.4)
      return call(ctx, time, 'glue', 'StartJobRun', who, {
        request: { jobName: job },
        response: { jobRunId: `jr_${hex(random, 64)}` },
      });
    if (kind < 0.7)
      return call(ctx, time, 'glue', 'GetJobRun', who, {
        request: { jobName: job, runId: `jr_${hex(random, 64)}` },
        readOnly: true,
      });
    if (kind < 0.85)
      return call(ctx, time, 'glue', 'StartCrawler', who, { request: { name: pick(random, CRAWLERS) } });
    return call(ctx, time, 'glue', 'GetTable', who, {
      request: { databaseName: pick(random, DATABASES), name: pick(random, TABLES) },
      readOnly: true,
    });
  }
  if (roll < 0.7) {
    const kind = random();
    const id = uuid(random);
    if (kind < 0.5) {
      return call(ctx, time, 'athena', 'StartQueryExecution', who, {
        request: {
          queryString: `SELECT count(*) FROM ${pick(random, DATABASES)}.${pick(random, TABLES)}`,
          workGroup: pick(random, WORKGROUPS),
        },
        response: { queryExecutionId: id },
      });
    }
    return call(ctx, time, 'athena', 'GetQueryExecution', who, {
      request: { queryExecutionId: id },
      readOnly: true,
    });
  }
  if (roll < 0.85) {
    const cluster = `j-${alnum(random, 13).toUpperCase()}`;
    const kind = random();
    if (kind < 0.4)
      return call(ctx, time, 'emr', 'DescribeCluster', who, {
        request: { clusterId: cluster },
        readOnly: true,
      });
    if (kind < 0.8) {
      return call(ctx, time, 'emr', 'AddJobFlowSteps', who, {
        request: { jobFlowId: cluster, steps: [{ name: 'spark-step', actionOnFailure: 'CONTINUE' }] },
        response: { stepIds: [`s-${alnum(random, 13).toUpperCase()}`] },
      });
    }
    return call(ctx, time, 'emr', 'ListSteps', who, { request: { clusterId: cluster }, readOnly: true });
  }
  const kind = random();
  if (kind < 0.6) {
    const jobId = uuid(random);
    return call(ctx, time, 'batch', 'SubmitJob', who, {
      request: {
        jobName: 'nightly-report',
        jobQueue: pick(random, QUEUES),
        jobDefinition: pick(random, JOB_DEFINITIONS),
      },
      response: {
        jobName: 'nightly-report',
        jobId,
        jobArn: `arn:aws:batch:${ctx.region}:${ctx.accountId}:job/${jobId}`,
      },
    });
  }
  return call(ctx, time, 'batch', 'DescribeJobs', who, { request: { jobs: [uuid(random)] }, readOnly: true });
}

const OTHER_CALLS: ReadonlyArray<[string, string, boolean]> = [
  ['s3.amazonaws.com', 'ListBuckets', true],
  ['s3.amazonaws.com', 'GetBucketLocation', true],
  ['sts.amazonaws.com', 'AssumeRole', false],
  ['kms.amazonaws.com', 'Decrypt', true],
  ['kms.amazonaws.com', 'GenerateDataKey', true],
  ['ec2.amazonaws.com', 'DescribeInstances', true],
  ['logs.amazonaws.com', 'CreateLogStream', false],
  ['iam.amazonaws.com', 'GetRole', true],
  ['lambda.amazonaws.com', 'Invoke', false],
  ['dynamodb.amazonaws.com', 'DescribeTable', true],
];

function otherServiceCall(ctx: RecordContext, time: Date): Record<string, unknown> {
  const { random } = ctx;
  const [eventSource, eventName, readOnly] = pick(random, OTHER_CALLS);
  const who =
    random() < 0.7 ? roleIdentity(ctx, pick(random, ROLES)) : userIdentity(ctx, pick(random, USERS));
  return baseRecord(ctx, time, eventSource, eventName, who, {
    readOnly,
    requestParameters: random() < 0.5 ? null : { requestId: hex(random, 16) },
    responseElements: null,
  });
}

const EVENT_SOURCES = {
  glue: 'glue.amazonaws.com',
  athena: 'athena.amazonaws.com',
  emr: 'elasticmapreduce.amazonaws.com',
  batch: 'batch.amazonaws.com',
} as const;

function call(
  ctx: RecordContext,
  time: Date,
  service: keyof typeof EVENT_SOURCES,
  eventName: string,
  who: Record<string, unknown>,
  details: { request?: unknown; response?: unknown; error?: [string, string]; readOnly?: boolean },
): Record<string, unknown> {
  return baseRecord(ctx, time, EVENT_SOURCES[service], eventName, who, {
    readOnly: details.readOnly ?? false,
    requestParameters: details.request ?? null,
    responseElements: details.error ? null : (details.response ?? null),
    ...(details.error ? { errorCode: details.error[0], errorMessage: details.error[1] } : {}),
  });
}

function baseRecord(
  ctx: RecordContext,
  time: Date,
  eventSource: string,
  eventName: string,
  who: Record<string, unknown>,
  rest: Record<string, unknown>,
): Record<string, unknown> {
  const { random } = ctx;
  return {
    eventVersion: '1.09',
    userIdentity: who,
    eventTime: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    eventSource,
    eventName,
    awsRegion: ctx.region,
    sourceIPAddress:
      who.type === 'AssumedRole' && random() < 0.5
        ? 'glue.amazonaws.com'
        : `10.${Math.floor(random() * 255)}.${Math.floor(random() * 255)}.${Math.floor(random() * 255)}`,
    userAgent: pick(random, [
      'aws-cli/2.17.20 Python/3.11.9',
      'Boto3/1.34.144 Python/3.12.4',
      'aws-sdk-java/2.25.60',
      'AWS Internal',
    ]),
    requestID: uuid(random),
    eventID: uuid(random),
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ctx.accountId,
    eventCategory: 'Management',
    ...rest,
  };
}

function roleIdentity(ctx: RecordContext, role: string): Record<string, unknown> {
  const principalId = `AROA${alnum(ctx.random, 17).toUpperCase()}`;
  return {
    type: 'AssumedRole',
    principalId: `${principalId}:session-${alnum(ctx.random, 8)}`,
    arn: `arn:aws:sts::${ctx.accountId}:assumed-role/${role}/session`,
    accountId: ctx.accountId,
    accessKeyId: `ASIA${alnum(ctx.random, 16).toUpperCase()}`,
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId,
        arn: `arn:aws:iam::${ctx.accountId}:role/${role}`,
        accountId: ctx.accountId,
        userName: role,
      },
      attributes: { creationDate: '2024-01-01T00:00:00Z', mfaAuthenticated: 'false' },
    },
  };
}

function userIdentity(ctx: RecordContext, user: string): Record<string, unknown> {
  return {
    type: 'IAMUser',
    principalId: `AIDA${alnum(ctx.random, 17).toUpperCase()}`,
    arn: `arn:aws:iam::${ctx.accountId}:user/${user}`,
    accountId: ctx.accountId,
    accessKeyId: `AKIA${alnum(ctx.random, 16).toUpperCase()}`,
    userName: user,
  };
}

function digestSample(
  account: (typeof SAMPLE_ACCOUNTS)[number],
  region: string,
  day: string,
  random: () => number,
): SampleObject {
  const time = new Date(`${day}T23:30:00Z`);
  const iso = time.toISOString();
  const [y, m, d] = [iso.slice(0, 4), iso.slice(5, 7), iso.slice(8, 10)];
  const org = account.orgId ? `${account.orgId}/` : '';
  const key = `AWSLogs/${org}${account.accountId}/CloudTrail-Digest/${region}/${y}/${m}/${d}/${account.accountId}_CloudTrail-Digest_${region}_management-trail_${region}_${y}${m}${d}T2330Z.json.gz`;
  const digest = {
    awsAccountId: account.accountId,
    digestStartTime: `${day}T22:30:00Z`,
    digestEndTime: `${day}T23:30:00Z`,
    digestS3Bucket: 'trailwatch-logs',
    digestSignatureAlgorithm: 'SHA256withRSA',
    logFiles: [],
    digestPublicKeyFingerprint: hex(random, 32),
  };
  return { key, body: gzipSync(JSON.stringify(digest)), kind: 'digest', records: 0 };
}

function stringField(record: Record<string, unknown>, name: string): string | undefined {
  const value = record[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function accountOfIdentity(record: Record<string, unknown>): string | undefined {
  const identity = record.userIdentity;
  if (typeof identity !== 'object' || identity === null) return undefined;
  const account = (identity as Record<string, unknown>).accountId;
  return typeof account === 'string' && /^\d{12}$/.test(account) ? account : undefined;
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

function hex(random: () => number, length: number): string {
  let out = '';
  while (out.length < length) out += Math.floor(random() * 16).toString(16);
  return out;
}

function alnum(random: () => number, length: number): string {
  const chars = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let out = '';
  while (out.length < length) out += chars[Math.floor(random() * chars.length)];
  return out;
}

function uuid(random: () => number): string {
  const h = hex(random, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[Math.floor(random() * 4)]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function randomSuffix(random: () => number): string {
  return alnum(random, 16).toUpperCase();
}
