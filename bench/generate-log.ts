import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { once } from 'node:events';
import { seededRandom } from '../local/seeded-random';

/** What generateLogFile wrote. */
export interface GeneratedLog {
  readonly path: string;
  readonly uncompressedBytes: number;
  readonly compressedBytes: number;
  readonly records: number;
  /** Records from the four watched services. */
  readonly watchedRecords: number;
}

const HEX = '0123456789abcdef';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** Builds realistic CloudTrail records: mostly EC2, S3, IAM, STS, KMS, Lambda..., a few percent Glue/EMR/Athena/Batch. */
class RecordFactory {
  private readonly random: () => number;
  private time = Date.parse('2026-11-01T00:00:00Z');
  private readonly accounts = ['123456789012', '210987654321', '555566667777'];
  private readonly roles = [
    'DataPipelineRole',
    'OpsAdmin',
    'ci-deployer',
    'AWSServiceRoleForAutoScaling',
    'analyst',
    'etl-runner',
  ];
  private readonly regions = ['us-east-1', 'us-east-1', 'us-west-2', 'eu-west-1'];
  private readonly agents = [
    'aws-cli/2.15.30 Python/3.11.8 Linux/6.1.79 exe/x86_64.amzn.2023 prompt/off command/ec2.describe-instances',
    'aws-sdk-java/2.25.6 Linux/5.10.213 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS Java/17.0.10 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/standard',
    'Boto3/1.34.61 md/Botocore#1.34.61 ua/2.0 os/linux#5.10.213 md/arch#x86_64 lang/python#3.12.2 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.61',
    'console.amazonaws.com',
    'autoscaling.amazonaws.com',
    'aws-sdk-js/3.540.0 ua/2.0 os/linux#5.10.213 lang/js md/nodejs#20.11.1 api/lambda#3.540.0',
  ];

  constructor(
    seed: number,
    /** Share of the watched calls that failed (other services' calls fail 3% of the time). */
    private readonly watchedFailedShare = 0.03,
  ) {
    this.random = seededRandom(seed);
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  private hex(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += HEX[Math.floor(this.random() * 16)];
    return s;
  }

  private upper(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += UPPER[Math.floor(this.random() * 32)];
    return s;
  }

  private uuid(): string {
    return `${this.hex(8)}-${this.hex(4)}-4${this.hex(3)}-a${this.hex(3)}-${this.hex(12)}`;
  }

  private ip(): string {
    const r = this.random;
    return this.random() < 0.3
      ? `10.0.${Math.floor(r() * 4)}.${Math.floor(r() * 256)}`
      : `${52 + Math.floor(r() * 4)}.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}`;
  }

  /** One record; `watched` chooses a Glue/EMR/Athena/Batch call instead of another service's. */
  next(watched: boolean): Record<string, unknown> {
    this.time += Math.floor(this.random() * 200);
    const account = this.pick(this.accounts);
    const role = this.pick(this.roles);
    const session =
      this.random() < 0.5 ? `i-${this.hex(17)}` : `botocore-session-${Math.floor(this.random() * 1e10)}`;
    const eventTime = new Date(this.time).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const region = this.pick(this.regions);
    const [eventSource, eventName, requestParameters, responseElements] = watched
      ? this.watchedCall(account, region)
      : this.otherCall(account, region);
    const failed = this.random() < (watched ? this.watchedFailedShare : 0.03);
    const record: Record<string, unknown> = {
      eventVersion: '1.09',
      userIdentity: {
        type: 'AssumedRole',
        principalId: `AROA${this.upper(17)}:${session}`,
        arn: `arn:aws:sts::${account}:assumed-role/${role}/${session}`,
        accountId: account,
        accessKeyId: `ASIA${this.upper(16)}`,
        sessionContext: {
          sessionIssuer: {
            type: 'Role',
            principalId: `AROA${this.upper(17)}`,
            arn: `arn:aws:iam::${account}:role/${role}`,
            accountId: account,
            userName: role,
          },
          attributes: {
            creationDate: new Date(this.time - 600_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
            mfaAuthenticated: 'false',
          },
        },
      },
      eventTime,
      eventSource,
      eventName,
      awsRegion: region,
      sourceIPAddress: this.ip(),
      userAgent: this.pick(this.agents),
      ...(failed
        ? {
            errorCode: 'AccessDenied',
            errorMessage: `User: arn:aws:sts::${account}:assumed-role/${role}/${session} is not authorized to perform: ${eventName}`,
          }
        : {}),
      requestParameters,
      responseElements: failed ? null : responseElements,
      requestID: this.uuid(),
      eventID: this.uuid(),
      readOnly:
        eventName.startsWith('Describe') || eventName.startsWith('Get') || eventName.startsWith('List'),
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: account,
      eventCategory: 'Management',
      tlsDetails: {
        tlsVersion: 'TLSv1.3',
        cipherSuite: 'TLS_AES_128_GCM_SHA256',
        clientProvidedHostHeader: `${eventSource.split('.')[0]}.${region}.amazonaws.com`,
      },
    };
    return record;
  }

  private otherCall(account: string, region: string): [string, string, unknown, unknown] {
    const n = this.random();
    if (n < 0.3) {
      const ids = Array.from({ length: 1 + Math.floor(this.random() * 3) }, () => ({
        instanceId: `i-${this.hex(17)}`,
      }));
      return [
        'ec2.amazonaws.com',
        'DescribeInstances',
        { instancesSet: { items: ids }, filterSet: {} },
        null,
      ];
    }
    if (n < 0.5) {
      const bucket = this.pick(['raw-landing', 'curated-data', 'athena-results', 'cdk-assets']);
      return [
        's3.amazonaws.com',
        'GetBucketAcl',
        {
          bucketName: `${bucket}-${account}`,
          Host: `${bucket}-${account}.s3.${region}.amazonaws.com`,
          acl: '',
        },
        null,
      ];
    }
    if (n < 0.65) {
      return [
        'sts.amazonaws.com',
        'AssumeRole',
        {
          roleArn: `arn:aws:iam::${account}:role/${this.pick(this.roles)}`,
          roleSessionName: `session-${this.hex(8)}`,
          durationSeconds: 3600,
        },
        {
          credentials: {
            accessKeyId: `ASIA${this.upper(16)}`,
            sessionToken: this.upper(96),
            expiration: 'Nov 1, 2026, 1:00:00 AM',
          },
          assumedRoleUser: {
            assumedRoleId: `AROA${this.upper(17)}:session`,
            arn: `arn:aws:sts::${account}:assumed-role/x/session`,
          },
        },
      ];
    }
    if (n < 0.78) {
      return [
        'kms.amazonaws.com',
        'Decrypt',
        {
          encryptionAlgorithm: 'SYMMETRIC_DEFAULT',
          encryptionContext: {
            'aws:lambda:FunctionArn': `arn:aws:lambda:${region}:${account}:function:fn-${this.hex(6)}`,
          },
        },
        null,
      ];
    }
    if (n < 0.88) {
      return [
        'lambda.amazonaws.com',
        'GetFunction20150331v2',
        { functionName: `arn:aws:lambda:${region}:${account}:function:fn-${this.hex(6)}` },
        null,
      ];
    }
    if (n < 0.95) {
      return ['iam.amazonaws.com', 'GetRole', { roleName: this.pick(this.roles) }, null];
    }
    return [
      'logs.amazonaws.com',
      'CreateLogStream',
      { logGroupName: `/aws/lambda/fn-${this.hex(6)}`, logStreamName: `2026/11/01/[$LATEST]${this.hex(32)}` },
      null,
    ];
  }

  private watchedCall(account: string, region: string): [string, string, unknown, unknown] {
    const n = this.random();
    if (n < 0.25)
      return [
        'glue.amazonaws.com',
        'StartJobRun',
        { jobName: `etl-${this.hex(4)}`, arguments: { '--day': '2026-11-01' } },
        { jobRunId: `jr_${this.hex(64)}` },
      ];
    if (n < 0.5)
      return [
        'athena.amazonaws.com',
        'StartQueryExecution',
        { queryString: "SELECT * FROM events WHERE day = '2026-11-01' LIMIT 10", workGroup: 'primary' },
        { queryExecutionId: this.uuid() },
      ];
    if (n < 0.75)
      return [
        'elasticmapreduce.amazonaws.com',
        'AddJobFlowSteps',
        { jobFlowId: `j-${this.upper(13)}`, steps: [{ name: 'spark-step', actionOnFailure: 'CONTINUE' }] },
        { stepIds: [`s-${this.upper(13)}`] },
      ];
    return [
      'batch.amazonaws.com',
      'SubmitJob',
      {
        jobName: `job-${this.hex(6)}`,
        jobQueue: `arn:aws:batch:${region}:${account}:job-queue/default`,
        jobDefinition: 'render:3',
      },
      { jobId: this.uuid(), jobName: 'job' },
    ];
  }
}

/**
 * Writes a gzip CloudTrail log file of about `targetBytes` uncompressed, streaming (the generator never
 * holds more than one batch of records), with `watchedShare` of the records from the four services.
 */
export async function generateLogFile(
  path: string,
  targetBytes: number,
  watchedShare = 0.03,
  seed = 42,
  watchedFailedShare = 0.03,
  /** Stop after this many records (rounded up to the batch of 500), whatever the size. */
  maxRecords = Number.POSITIVE_INFINITY,
): Promise<GeneratedLog> {
  const factory = new RecordFactory(seed, watchedFailedShare);
  const random = seededRandom(seed + 1);
  let records = 0;
  let watched = 0;
  const written = await writeRecordsFile(path, async (write, uncompressed) => {
    while (uncompressed() < targetBytes && records < maxRecords) {
      const batch: string[] = [];
      for (let i = 0; i < 500; i++) {
        const isWatched = random() < watchedShare;
        if (isWatched) watched++;
        batch.push(JSON.stringify(factory.next(isWatched)));
      }
      await write((records > 0 ? ',' : '') + batch.join(','));
      records += batch.length;
    }
  });
  return { path, ...written.sizes(), records, watchedRecords: watched };
}

/**
 * Writes a gzip log file of one failed watched call repeated `count` times (the same record, eventId
 * included: CloudTrail can repeat a record), streaming: issue 15's 3.45 million repeated failures.
 */
export async function generateRepeatedFailure(path: string, count: number): Promise<GeneratedLog> {
  const record = JSON.stringify(new RecordFactory(7, 1).next(true));
  const block = Array.from({ length: 1000 }, () => record).join(',');
  const written = await writeRecordsFile(path, async (write) => {
    for (let done = 0; done < count; done += 1000) {
      const n = Math.min(1000, count - done);
      const text = n === 1000 ? block : Array.from({ length: n }, () => record).join(',');
      await write((done > 0 ? ',' : '') + text);
    }
  });
  return { path, ...written.sizes(), records: count, watchedRecords: count };
}

/** What writeRecordsFile wrote. */
interface WrittenFile {
  sizes(): { uncompressedBytes: number; compressedBytes: number };
}

// Streams `{"Records":[` + what `fill` writes + `]}` through gzip into `path`, with backpressure.
async function writeRecordsFile(
  path: string,
  fill: (write: (text: string) => Promise<void>, uncompressed: () => number) => Promise<void>,
): Promise<WrittenFile> {
  const out = fs.createWriteStream(path);
  const gzip = zlib.createGzip({ level: 6 });
  gzip.pipe(out);
  const state = {
    uncompressed: 0,
    sizes: () => ({ uncompressedBytes: state.uncompressed, compressedBytes: fs.statSync(path).size }),
  };
  const write = async (text: string): Promise<void> => {
    state.uncompressed += Buffer.byteLength(text);
    if (!gzip.write(text)) await once(gzip, 'drain');
  };
  await write('{"Records":[');
  await fill(write, () => state.uncompressed);
  await write(']}');
  gzip.end();
  await once(out, 'finish');
  return state;
}
