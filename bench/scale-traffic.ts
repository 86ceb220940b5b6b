// One second of peak CloudTrail traffic of a 1,000-account organization (the mix is in README
// "Table capacity"): heavy, busy, light and idle accounts, each with its own roles, sessions,
// databases, tables, jobs, clusters and queues, plus the names every account shares (`default`
// database, `primary` workgroup). Deterministic: a seeded random source.

/** How many accounts of each kind, and their calls in the peak second. */
export const ACCOUNT_TIERS = [
  { tier: 'heavy', accounts: 20, callsPerSecond: 200, regions: ['us-east-1', 'eu-west-1'] },
  { tier: 'busy', accounts: 80, callsPerSecond: 50, regions: ['us-east-1', 'eu-west-1'] },
  { tier: 'light', accounts: 300, callsPerSecond: 3, regions: ['us-east-1'] },
  // One call in six idle accounts in that second: ~0.17 calls/s each.
  { tier: 'idle', accounts: 600, callsPerSecond: 1 / 6, regions: ['us-east-1'] },
] as const;

/** The calls and their weights (per 100 calls), as a data platform's trail shows them. */
export const CALL_MIX: readonly { source: string; name: string; weight: number }[] = [
  // Glue Data Catalog reads, mostly on behalf of Athena, EMR and Glue jobs.
  { source: 'glue', name: 'GetTable', weight: 20 },
  { source: 'glue', name: 'GetPartitions', weight: 12 },
  { source: 'glue', name: 'GetDatabase', weight: 6 },
  { source: 'glue', name: 'GetTables', weight: 4 },
  { source: 'glue', name: 'GetJobRun', weight: 6 },
  { source: 'glue', name: 'BatchCreatePartition', weight: 3 },
  { source: 'glue', name: 'StartJobRun', weight: 1 },
  { source: 'athena', name: 'GetQueryExecution', weight: 14 },
  { source: 'athena', name: 'GetQueryResults', weight: 6 },
  { source: 'athena', name: 'StartQueryExecution', weight: 4 },
  { source: 'athena', name: 'GetWorkGroup', weight: 1 },
  { source: 'batch', name: 'DescribeJobs', weight: 6 },
  { source: 'batch', name: 'SubmitJob', weight: 3 },
  { source: 'batch', name: 'ListJobs', weight: 2 },
  { source: 'emr', name: 'DescribeCluster', weight: 5 },
  { source: 'emr', name: 'ListSteps', weight: 3 },
  { source: 'emr', name: 'AddJobFlowSteps', weight: 1 },
];

const EVENT_SOURCE: Record<string, string> = {
  glue: 'glue.amazonaws.com',
  athena: 'athena.amazonaws.com',
  batch: 'batch.amazonaws.com',
  emr: 'elasticmapreduce.amazonaws.com',
};

const USER_AGENTS = [
  'aws-sdk-java/2.25.60 Linux/5.10.219-208.866.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.11+9-LTS Java/17.0.11 vendor/Amazon.com_Inc. exec-env/AWS_ECS_EC2 io/sync http/Apache cfg/retry-mode/legacy',
  'Boto3/1.34.84 md/Botocore#1.34.84 ua/2.0 os/linux#5.10.215-203.850.amzn2.x86_64 md/arch#x86_64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.84',
  'athena.amazonaws.com',
  'aws-internal/3 aws-sdk-java/1.12.705 Linux/5.10.217-205.860.amzn2int.x86_64 OpenJDK_64-Bit_Server_VM/25.412-b08 java/1.8.0_412 vendor/Oracle_Corporation cfg/retry-mode/standard',
  'aws-cli/2.15.40 Python/3.11.8 Linux/6.1.84-99.169.amzn2023.x86_64 exec-env/CloudShell exe/x86_64.amzn.2023 prompt/off command/glue.get-table',
];

/** One account's names: what its calls refer to. */
interface Account {
  readonly id: string;
  readonly tier: string;
  readonly regions: readonly string[];
  readonly callsPerSecond: number;
  readonly roles: string[];
  readonly databases: string[];
  readonly tables: string[];
  readonly jobs: string[];
  readonly clusters: string[];
  readonly queues: string[];
  readonly workgroups: string[];
}

/** The organization's accounts, each with its own names. */
export function organization(random: () => number): Account[] {
  const pick = (n: number, make: (i: number) => string) => Array.from({ length: n }, (_, i) => make(i));
  const accounts: Account[] = [];
  let n = 0;
  for (const t of ACCOUNT_TIERS) {
    for (let i = 0; i < t.accounts; i++, n++) {
      const id = String(100000000000 + n * 7919);
      const scale = t.tier === 'heavy' ? 4 : t.tier === 'busy' ? 2 : 1;
      accounts.push({
        id,
        tier: t.tier,
        regions: t.regions,
        callsPerSecond: t.callsPerSecond,
        roles: pick(
          3 * scale,
          (k) => ['etl', 'analyst', 'scheduler', 'spark', 'ml', 'ingest', 'bi', 'ops'][k % 8] + `-${k}`,
        ),
        // Every account has the `default` database and the `primary` workgroup.
        databases: ['default', ...pick(3 * scale, (k) => `team${n % 50}_db${k}`)],
        tables: pick(20 * scale, (k) => `events_${k}`),
        jobs: pick(5 * scale, (k) => `nightly-etl-${k}`),
        clusters: pick(
          scale,
          () =>
            `j-${Math.floor(random() * 36 ** 10)
              .toString(36)
              .toUpperCase()
              .padStart(13, '0')
              .slice(0, 13)}`,
        ),
        queues: ['default', ...pick(scale, (k) => `batch-queue-${k}`)],
        workgroups: ['primary', ...pick(scale, (k) => `analytics-${k}`)],
      });
    }
  }
  return accounts;
}

/** One CloudTrail log file: the records of one account and region. */
export interface GeneratedFile {
  readonly accountId: string;
  readonly region: string;
  readonly records: Record<string, unknown>[];
}

/** The peak second's calls, grouped into one log file per account and region. */
export function peakSecond(random: () => number, second = '2024-05-01T12:00:00Z'): GeneratedFile[] {
  const uuid = () =>
    'xxxxxxxx-xxxx-4xxx-8xxx-xxxxxxxxxxxx'.replace(/x/g, () => Math.floor(random() * 16).toString(16));
  const of = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)] as T;
  const totalWeight = CALL_MIX.reduce((s, c) => s + c.weight, 0);
  const call = () => {
    let r = random() * totalWeight;
    for (const c of CALL_MIX) if ((r -= c.weight) < 0) return c;
    return CALL_MIX[0] as (typeof CALL_MIX)[number];
  };
  const files = new Map<string, GeneratedFile>();
  for (const account of organization(random)) {
    // A whole number of calls: the fraction is a chance of one more.
    const count = Math.floor(account.callsPerSecond) + (random() < account.callsPerSecond % 1 ? 1 : 0);
    for (let i = 0; i < count; i++) {
      const region =
        account.regions.length > 1 && random() < 0.3
          ? (account.regions[1] as string)
          : (account.regions[0] as string);
      const c = call();
      const role = of(account.roles);
      const session = `${role}-session-${Math.floor(random() * 3)}`;
      const database = random() < 0.35 ? 'default' : of(account.databases);
      const failed = random() < 0.03;
      const record: Record<string, unknown> = {
        eventVersion: '1.09',
        userIdentity: {
          type: 'AssumedRole',
          principalId: `AROA${account.id.slice(0, 8)}EXAMPLE:${session}`,
          arn: `arn:aws:sts::${account.id}:assumed-role/${role}/${session}`,
          accountId: account.id,
          sessionContext: {
            sessionIssuer: {
              type: 'Role',
              principalId: `AROA${account.id.slice(0, 8)}EXAMPLE`,
              arn: `arn:aws:iam::${account.id}:role/${role}`,
              accountId: account.id,
              userName: role,
            },
            attributes: { creationDate: '2024-05-01T11:00:00Z', mfaAuthenticated: 'false' },
          },
          ...(c.source === 'glue' && random() < 0.4 ? { invokedBy: 'athena.amazonaws.com' } : {}),
        },
        eventTime: second,
        eventSource: EVENT_SOURCE[c.source],
        eventName: c.name,
        awsRegion: region,
        sourceIPAddress:
          c.source === 'glue' && random() < 0.4
            ? 'athena.amazonaws.com'
            : `10.${Math.floor(random() * 255)}.${Math.floor(random() * 255)}.${Math.floor(random() * 255)}`,
        userAgent: of(USER_AGENTS),
        requestParameters: parameters(c.name, account, database, random, uuid, of),
        responseElements: response(c.name, account, region, uuid),
        requestID: uuid(),
        eventID: uuid(),
        readOnly: /^(Get|Describe|List)/.test(c.name),
        eventType: 'AwsApiCall',
        managementEvent: true,
        recipientAccountId: account.id,
        eventCategory: 'Management',
        tlsDetails: {
          tlsVersion: 'TLSv1.3',
          cipherSuite: 'TLS_AES_128_GCM_SHA256',
          clientProvidedHostHeader: `${c.source}.${region}.amazonaws.com`,
        },
        ...(failed
          ? {
              errorCode: 'AccessDeniedException',
              errorMessage: `User: arn:aws:sts::${account.id}:assumed-role/${role}/${session} is not authorized to perform: ${c.source}:${c.name}`,
            }
          : {}),
      };
      if (failed) record.responseElements = null;
      const key = `${account.id}/${region}`;
      const file = files.get(key) ?? { accountId: account.id, region, records: [] };
      file.records.push(record);
      files.set(key, file);
    }
  }
  return [...files.values()];
}

function parameters(
  name: string,
  a: Account,
  database: string,
  random: () => number,
  uuid: () => string,
  of: <T>(list: readonly T[]) => T,
): Record<string, unknown> {
  switch (name) {
    case 'GetTable':
      return { catalogId: a.id, databaseName: database, name: of(a.tables) };
    case 'GetPartitions':
      return {
        catalogId: a.id,
        databaseName: database,
        tableName: of(a.tables),
        expression: `dt = '2024-05-01' AND hour = '${Math.floor(random() * 24)}'`,
        segment: { segmentNumber: 0, totalSegments: 1 },
      };
    case 'GetDatabase':
      return { catalogId: a.id, name: database };
    case 'GetTables':
      return { catalogId: a.id, databaseName: database, expression: 'events_*' };
    case 'GetJobRun':
      return {
        jobName: of(a.jobs),
        runId: `jr_${uuid().replace(/-/g, '')}${uuid().replace(/-/g, '')}`,
        predecessorsIncluded: false,
      };
    case 'BatchCreatePartition':
      return {
        catalogId: a.id,
        databaseName: database,
        tableName: of(a.tables),
        partitionInputList: [{ values: ['2024-05-01', '12'] }],
      };
    case 'StartJobRun':
      return { jobName: of(a.jobs), arguments: { '--enable-metrics': 'true', '--day': '2024-05-01' } };
    case 'GetQueryExecution':
    case 'GetQueryResults':
      return { queryExecutionId: uuid() };
    case 'StartQueryExecution':
      return {
        queryString: `SELECT account, count(*) AS calls, approx_percentile(latency_ms, 0.99) AS p99 FROM "${database}"."${of(a.tables)}" WHERE dt = '2024-05-01' AND status <> 'ok' GROUP BY account ORDER BY calls DESC LIMIT 100`,
        clientRequestToken: uuid(),
        queryExecutionContext: { database, catalog: 'AwsDataCatalog' },
        workGroup: of(a.workgroups),
      };
    case 'GetWorkGroup':
      return { workGroup: of(a.workgroups) };
    case 'DescribeJobs':
      return { jobs: [uuid(), uuid()] };
    case 'SubmitJob':
      return {
        jobName: `${of(a.jobs)}-batch`,
        jobQueue: of(a.queues),
        jobDefinition: `${of(a.jobs)}-def:3`,
        containerOverrides: { command: ['python', 'run.py', '--day', '2024-05-01'] },
      };
    case 'ListJobs':
      return { jobQueue: of(a.queues), jobStatus: 'RUNNING' };
    case 'DescribeCluster':
    case 'ListSteps':
      return { clusterId: of(a.clusters) };
    case 'AddJobFlowSteps':
      return {
        jobFlowId: of(a.clusters),
        steps: [
          {
            name: 'spark-step',
            actionOnFailure: 'CONTINUE',
            hadoopJarStep: { jar: 'command-runner.jar', args: ['spark-submit', 's3://bucket/job.py'] },
          },
        ],
      };
    default:
      return {};
  }
}

function response(name: string, a: Account, region: string, uuid: () => string): unknown {
  switch (name) {
    case 'StartJobRun':
      return { jobRunId: `jr_${uuid().replace(/-/g, '')}` };
    case 'StartQueryExecution':
      return { queryExecutionId: uuid() };
    case 'SubmitJob': {
      const id = uuid();
      return { jobArn: `arn:aws:batch:${region}:${a.id}:job/${id}`, jobName: 'job', jobId: id };
    }
    case 'AddJobFlowSteps':
      return { stepIds: [`s-${uuid().slice(0, 13).toUpperCase()}`] };
    case 'BatchCreatePartition':
      return { errors: [] };
    default:
      // CloudTrail records no response for reads.
      return null;
  }
}
