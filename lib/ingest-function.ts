import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { EncryptedTopic } from './alert-topic';
import { encryptedQueue } from './encrypted-queue';
import { addTrailwatchFunction, grantLogRead } from './trailwatch-function';

/**
 * DynamoDB calls the function makes on the event table (lambdas/adapters/event-store.ts): the event
 * puts, and once per cold start the layout check and the conditional put of the contract item.
 */
export const EVENT_TABLE_ACTIONS = ['BatchWriteItem', 'DescribeTable', 'PutItem'] as const;

// Kept importable from here, where they were first defined (bench/cold-start.ts, tests).
export { ALERT_STATE_TABLE_ACTIONS, INGEST_BUNDLING } from './trailwatch-function';

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

    this.deadLetterQueue = encryptedQueue(this, 'DeadLetterQueue');

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

    const parts = addTrailwatchFunction(this, {
      entry: 'handler.ts',
      description:
        'trailwatch: reads CloudTrail log files, stores Glue/EMR/Athena/Batch calls, alerts on failures',
      roleDescription: 'trailwatch ingest function',
      ...(props.roleName !== undefined ? { roleName: props.roleName } : {}),
      // Sized from `npm run bench` (README, Benchmarks): the reader's peak RSS stays ~110 MB even for a
      // 600 MB (uncompressed) log file, and it needs ~2.2 s of CPU for that file. 1024 MB gives ~0.6 vCPU,
      // so even such a file (far larger than CloudTrail's usual few-MB files) is read in seconds; the
      // 5-minute timeout leaves the rest for DynamoDB writes of its events with throttling back-off.
      memorySize: props.memorySize ?? 1024,
      timeout: Duration.seconds(props.timeoutSeconds ?? 300),
      ...(props.reservedConcurrency !== undefined ? { reservedConcurrency: props.reservedConcurrency } : {}),
      logRetentionDays: props.logRetentionDays ?? 90,
      environment,
      // Two retries (Lambda's maximum) absorb transient faults; what still fails is kept in the DLQ.
      asyncFailures: {
        queue: this.deadLetterQueue,
        as: 'destination',
        retryAttempts: 2,
        maxEventAge: Duration.hours(6),
      },
      eventTable: props.eventTable,
      eventTableActions: EVENT_TABLE_ACTIONS,
      alerts: {
        stateTable: props.alertStateTable,
        topic: props.alertTopic,
        ...(props.chatTopic !== undefined ? { chatTopic: props.chatTopic } : {}),
      },
    });
    this.function = parts.function;
    this.role = parts.role;
    this.logGroup = parts.logGroup;
    this.logObjectsArn = grantLogRead(this.role, {
      bucket: props.bucket,
      ...(props.bucketKey !== undefined ? { bucketKey: props.bucketKey } : {}),
      logPrefix: props.logPrefix,
      bucketAccount: props.bucketAccount,
      ...(props.readRoleArn !== undefined ? { readRoleArn: props.readRoleArn } : {}),
    });
  }
}
