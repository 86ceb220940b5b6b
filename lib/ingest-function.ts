import * as path from 'node:path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { EncryptedTopic } from './alert-topic';

/** The repository root, where package-lock.json and lambdas/ live. */
const PROJECT_ROOT = path.join(__dirname, '..');

/**
 * DynamoDB calls the function makes on the event table (lambdas/adapters/event-store.ts): the event
 * puts, and once per cold start the layout check and the conditional put of the contract item.
 */
export const EVENT_TABLE_ACTIONS = ['BatchWriteItem', 'DescribeTable', 'PutItem'] as const;

/**
 * DynamoDB calls the function makes on the alert state table (lambdas/adapters/alert-state-store.ts:
 * marker and window reads, claim, release, sent/suppressed updates, marker writes).
 */
export const ALERT_STATE_TABLE_ACTIONS = [
  'BatchGetItem',
  'GetItem',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
] as const;

/**
 * How the function is bundled; `npm run bench` builds the same bundle to measure its size and cold start.
 * Every option here was measured there (README, Benchmarks).
 */
export const INGEST_BUNDLING = {
  // Bundle with the esbuild in node_modules: synth must work offline and without Docker.
  forceDockerBundling: false,
  format: nodejs.OutputFormat.CJS,
  target: 'node22',
  minify: true,
  // Error classes take their name from the class (TrailwatchError: `new.target.name`); minified names
  // would turn `LogFileError` into a letter in logs and in `errorType`.
  keepNames: true,
  // The SDK's ES modules, which esbuild can trim, instead of its CommonJS builds: 1.09 MB -> 0.78 MB.
  mainFields: ['module', 'main'],
  // A map beside the bundle, without the sources (5 MB with them), never loaded by the function.
  sourceMap: true,
  sourcesContent: false,
  // Ship the SDK version the lockfile pins (the one tested) instead of the runtime's.
  bundleAwsSDK: true,
} as const satisfies nodejs.BundlingOptions;

/** Properties of {@link IngestFunction}. */
export interface IngestFunctionProps {
  /** The bucket CloudTrail writes to. */
  readonly bucket: s3.IBucket;
  /** Customer KMS key of the log objects (SSE-KMS), if any. */
  readonly bucketKey?: kms.IKey;
  /** Key prefix before `AWSLogs/` ('' for none). */
  readonly logPrefix: string;
  /** Whose log files the function reads (empty lists accept any); checked on every key. */
  readonly keyOrigins: { readonly accounts: readonly string[]; readonly organizationIds: readonly string[] };
  /** The account that owns the bucket: reads of a same-named bucket elsewhere are refused. */
  readonly bucketAccount: string;
  /**
   * The read role of the bucket's account (the cross-account layout): the function assumes it to read
   * log objects and gets no S3 or KMS permission of its own.
   * @default - the function reads the bucket with its own role
   */
  readonly readRoleArn?: string;
  /**
   * A fixed name for the function's role, which the bucket account's read role trusts by ARN.
   * @default - a name CloudFormation generates
   */
  readonly roleName?: string;
  /** The event table. */
  readonly eventTable: dynamodb.ITable;
  /** The alert state table. */
  readonly alertStateTable: dynamodb.ITable;
  /** The alert topic (granted through its own grantPublish, which avoids KMS wildcard actions). */
  readonly alertTopic: EncryptedTopic;
  /**
   * The chat topic each alert also goes to in the chat service's format (CHAT_TOPIC_ARN).
   * @default - none
   */
  readonly chatTopic?: EncryptedTopic;
  /** Environment settings passed through to lambdas/ingest/config.ts. */
  readonly settings: {
    readonly retentionDays: number;
    readonly payloadMaxBytes: number;
    readonly alertsEnabled: boolean;
    readonly alertRules?: Record<string, unknown>;
    readonly alertWindowMinutes: number;
    readonly runbookUrl?: string;
    readonly logLevel: string;
  };
  /** @default 1024 */
  readonly memorySize?: number;
  /** @default 300 */
  readonly timeoutSeconds?: number;
  /** @default - unreserved */
  readonly reservedConcurrency?: number;
  /** @default 90 */
  readonly logRetentionDays?: number;
}

/**
 * The ingest Lambda (lambdas/ingest/handler.ts, bundled locally by esbuild), with its own role
 * granted exactly what it uses, an explicit log group, async retries and an encrypted SQS
 * dead-letter queue as on-failure destination.
 */
export class IngestFunction extends Construct {
  /** The function. */
  public readonly function: nodejs.NodejsFunction;
  /** On-failure destination: each message is Lambda's invocation record, the S3 event in `requestPayload`. */
  public readonly deadLetterQueue: sqs.Queue;
  /** The function's log group. */
  public readonly logGroup: logs.LogGroup;
  /** The objects the function may read with its own role (an ARN with a trailing `*`); absent with a read role. */
  public readonly logObjectsArn?: string;
  /** The function's role. */
  public readonly role: iam.Role;
  /** The function's environment (lambdas/ingest/config.ts), shared with the real-time function. */
  public readonly environment: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: IngestFunctionProps) {
    super(scope, id);

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      // SSE-SQS: encrypted at rest without a KMS key the function would need kms:GenerateDataKey on.
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // The maximum: time to fix the cause and replay (`trailwatch replay`) before records expire.
      retentionPeriod: Duration.days(14),
    });

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: (props.logRetentionDays ?? 90) as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // An own role without AWSLambdaBasicExecutionRole, whose log permissions are on `*`.
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'trailwatch ingest function',
      ...(props.roleName !== undefined ? { roleName: props.roleName } : {}),
    });
    this.role = role;

    const s = props.settings;
    const environment: Record<string, string> = {
      TABLE_NAME: props.eventTable.tableName,
      ALERT_STATE_TABLE_NAME: props.alertStateTable.tableName,
      ALERT_TOPIC_ARN: props.alertTopic.topic.topicArn,
      SOURCE_BUCKETS: props.bucket.bucketName,
      LOG_PREFIX: props.logPrefix,
      ALLOWED_ACCOUNTS: props.keyOrigins.accounts.join(','),
      ALLOWED_ORGANIZATIONS: props.keyOrigins.organizationIds.join(','),
      RETENTION_DAYS: String(s.retentionDays),
      PAYLOAD_MAX_BYTES: String(s.payloadMaxBytes),
      ALERTS_ENABLED: String(s.alertsEnabled),
      ALERT_WINDOW_MINUTES: String(s.alertWindowMinutes),
      POWERTOOLS_SERVICE_NAME: 'trailwatch',
      POWERTOOLS_METRICS_NAMESPACE: 'Trailwatch',
      POWERTOOLS_LOG_LEVEL: s.logLevel,
      // No NODE_OPTIONS=--enable-source-maps: it costs the cold start and about 200 ms and 50 MB on the first
      // error. keepNames keeps the names in stack traces; the map beside the bundle decodes the rest offline
      // (or set the variable on the function while investigating).
    };
    if (s.runbookUrl !== undefined) environment.RUNBOOK_URL = s.runbookUrl;
    if (s.alertRules !== undefined) environment.ALERT_RULES = JSON.stringify(s.alertRules);
    if (props.chatTopic !== undefined) environment.CHAT_TOPIC_ARN = props.chatTopic.topic.topicArn;
    if (props.readRoleArn !== undefined) environment.READ_ROLE_ARN = props.readRoleArn;
    this.environment = environment;

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: path.join(PROJECT_ROOT, 'lambdas', 'ingest', 'handler.ts'),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      // Sized from `npm run bench` (README, Benchmarks): the reader's peak RSS stays ~110 MB even for a
      // 600 MB (uncompressed) log file, and it needs ~2.2 s of CPU for that file. 1024 MB gives ~0.6 vCPU,
      // so even such a file (far larger than CloudTrail's usual few-MB files) is read in seconds; the
      // 5-minute timeout leaves the rest for DynamoDB writes of its events with throttling back-off.
      memorySize: props.memorySize ?? 1024,
      timeout: Duration.seconds(props.timeoutSeconds ?? 300),
      reservedConcurrentExecutions: props.reservedConcurrency,
      role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment,
      // Two retries (Lambda's maximum) absorb transient faults; what still fails is kept in the DLQ.
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new destinations.SqsDestination(this.deadLetterQueue),
      recursiveLoop: lambda.RecursiveLoop.TERMINATE,
      bundling: INGEST_BUNDLING,
      description:
        'trailwatch: reads CloudTrail log files, stores Glue/EMR/Athena/Batch calls, alerts on failures',
    });

    this.logGroup.grantWrite(role);
    // Exactly the calls the function makes, on the table ARN only (it queries no index). Not Table.grant*:
    // those add `<table>/index/*` and, for the data grants, Scan, Query, stream reads and more.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: EVENT_TABLE_ACTIONS.map((a) => `dynamodb:${a}`),
        resources: [props.eventTable.tableArn],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ALERT_STATE_TABLE_ACTIONS.map((a) => `dynamodb:${a}`),
        resources: [props.alertStateTable.tableArn],
      }),
    );
    props.alertTopic.grantPublish(role);
    props.chatTopic?.grantPublish(role);
    if (props.readRoleArn !== undefined) {
      // The read role alone holds the bucket's permissions; this role may only assume it.
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [props.readRoleArn] }),
      );
      return;
    }
    // Only GetObject, only under the log prefix: the function never lists, writes or deletes logs.
    const logObjectsArn = props.bucket.arnForObjects(
      `${props.logPrefix === '' ? '' : `${props.logPrefix}/`}AWSLogs/*`,
    );
    this.logObjectsArn = logObjectsArn;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [logObjectsArn],
        conditions: { StringEquals: { 's3:ResourceAccount': props.bucketAccount } },
      }),
    );
    if (props.bucketKey !== undefined) {
      // Decrypt only, and only when S3 asks on the function's behalf.
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: [props.bucketKey.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `s3.${Stack.of(this).region}.amazonaws.com` } },
        }),
      );
    }
  }
}
