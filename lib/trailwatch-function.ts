import * as path from 'node:path';
import { type Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { EncryptedTopic } from './alert-topic';

/** The repository root, where package-lock.json and lambdas/ live. */
const PROJECT_ROOT = path.join(__dirname, '..');

/**
 * DynamoDB calls the alert protocol makes on the alert state table (lambdas/adapters/alert-state-store.ts:
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

/** The SDK credential providers the functions' bundle replaces (lambdas/ingest/unbundled-credential-providers.ts). */
export const UNBUNDLED_CREDENTIAL_PROVIDERS = [
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-web-identity',
] as const;

/**
 * How every trailwatch function is bundled; `npm run bench` builds the same bundle to measure its size and
 * cold start. Every option here was measured there (README, Benchmarks).
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
  // The credential sources a function never reaches (Lambda puts its credentials in the environment, the
  // default chain's first link): links that pass to the next instead of 112 KB of providers and clients.
  esbuildArgs: {
    '--alias': UNBUNDLED_CREDENTIAL_PROVIDERS.map(
      (pkg) => `${pkg}=./lambdas/ingest/unbundled-credential-providers.ts`,
    ),
  },
} as const satisfies nodejs.BundlingOptions;

/** Where a function's failed asynchronous invocations go after Lambda's retries. */
export interface AsyncFailureHandling {
  /** The queue that keeps them. */
  readonly queue: sqs.IQueue;
  /**
   * `destination`: an on-failure destination (the record carries the request and the error);
   * `dead-letter-queue`: the function's DLQ (the bare event, what EventBridge targets also use).
   */
  readonly as: 'destination' | 'dead-letter-queue';
  readonly retryAttempts: number;
  readonly maxEventAge: Duration;
}

/** The alert protocol's resources a function publishes through (only functions that alert get them). */
export interface AlertResources {
  readonly stateTable: dynamodb.ITable;
  /** Granted through its own grantPublish, which avoids KMS wildcard actions. */
  readonly topic: EncryptedTopic;
  readonly chatTopic?: EncryptedTopic;
}

/** Properties of {@link addTrailwatchFunction}. */
export interface TrailwatchFunctionProps {
  /** The handler module, a file name in lambdas/ingest/ exporting `handler`. */
  readonly entry: string;
  /** The function's description. */
  readonly description: string;
  /** The role's description. */
  readonly roleDescription: string;
  /** A fixed role name (a role another account trusts by ARN). @default - generated */
  readonly roleName?: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  /** @default - unreserved */
  readonly reservedConcurrency?: number;
  readonly logRetentionDays: number;
  /** The environment lambdas/ingest/config.ts reads. */
  readonly environment: Readonly<Record<string, string>>;
  /** @default - the function is not invoked asynchronously (an event source mapping polls for it) */
  readonly asyncFailures?: AsyncFailureHandling;
  /** The event table and exactly the calls the function makes on it. */
  readonly eventTable: dynamodb.ITable;
  readonly eventTableActions: readonly string[];
  /** @default - the function does not alert: no alert state or topic permission */
  readonly alerts?: AlertResources;
}

/** What {@link addTrailwatchFunction} created. */
export interface TrailwatchFunctionParts {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
}

/**
 * One trailwatch function in `scope`, the way all of them are built: its own role without
 * AWSLambdaBasicExecutionRole (whose log permissions are on `*`), an explicit log group it alone may
 * write, the tested runtime and bundle, JSON logs, Lambda's recursive-loop guard, and table and alert
 * permissions on exactly the calls it makes. The children keep the ids `LogGroup`, `Role` and
 * `Function`: the logical ids of the existing functions do not change.
 */
export function addTrailwatchFunction(
  scope: Construct,
  props: TrailwatchFunctionProps,
): TrailwatchFunctionParts {
  const logGroup = new logs.LogGroup(scope, 'LogGroup', {
    retention: props.logRetentionDays as logs.RetentionDays,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const role = new iam.Role(scope, 'Role', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: props.roleDescription,
    ...(props.roleName !== undefined ? { roleName: props.roleName } : {}),
  });
  const failures = props.asyncFailures;
  const fn = new nodejs.NodejsFunction(scope, 'Function', {
    entry: path.join(PROJECT_ROOT, 'lambdas', 'ingest', props.entry),
    handler: 'handler',
    projectRoot: PROJECT_ROOT,
    depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: props.memorySize,
    timeout: props.timeout,
    reservedConcurrentExecutions: props.reservedConcurrency,
    role,
    logGroup,
    loggingFormat: lambda.LoggingFormat.JSON,
    environment: { ...props.environment },
    ...(failures === undefined
      ? {}
      : {
          retryAttempts: failures.retryAttempts,
          maxEventAge: failures.maxEventAge,
          ...(failures.as === 'destination'
            ? { onFailure: new destinations.SqsDestination(failures.queue) }
            : { deadLetterQueue: failures.queue }),
        }),
    recursiveLoop: lambda.RecursiveLoop.TERMINATE,
    bundling: INGEST_BUNDLING,
    description: props.description,
  });

  logGroup.grantWrite(role);
  // Exactly the calls the function makes, on the table ARN only (it queries no index). Not Table.grant*:
  // those add `<table>/index/*` and, for the data grants, Scan, Query, stream reads and more.
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: props.eventTableActions.map((a) => `dynamodb:${a}`),
      resources: [props.eventTable.tableArn],
    }),
  );
  if (props.alerts !== undefined) {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ALERT_STATE_TABLE_ACTIONS.map((a) => `dynamodb:${a}`),
        resources: [props.alerts.stateTable.tableArn],
      }),
    );
    props.alerts.topic.grantPublish(role);
    props.alerts.chatTopic?.grantPublish(role);
  }
  return { function: fn, role, logGroup };
}

/** Where a function reads the log objects from, and how. */
export interface LogReadAccess {
  readonly bucket: s3.IBucket;
  /** Customer KMS key of the log objects (SSE-KMS), if any. */
  readonly bucketKey?: kms.IKey;
  /** Key prefix before `AWSLogs/` ('' for none). */
  readonly logPrefix: string;
  /** The account that owns the bucket: reads of a same-named bucket elsewhere are refused. */
  readonly bucketAccount: string;
  /** The bucket account's read role (the cross-account layout): then the only permission is to assume it. */
  readonly readRoleArn?: string;
}

/**
 * Lets `role` read the log objects as the ingest function does: assume the read role in the
 * cross-account layout, else GetObject under the log prefix of the bucket's own account (and Decrypt
 * with its key, only through S3). Returns the object ARN granted (with its trailing `*`), if any.
 */
export function grantLogRead(role: iam.Role, access: LogReadAccess): string | undefined {
  if (access.readRoleArn !== undefined) {
    // The read role alone holds the bucket's permissions; this role may only assume it.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [access.readRoleArn] }),
    );
    return undefined;
  }
  // Only GetObject, only under the log prefix: the function never lists, writes or deletes logs.
  const logObjectsArn = access.bucket.arnForObjects(
    `${access.logPrefix === '' ? '' : `${access.logPrefix}/`}AWSLogs/*`,
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['s3:GetObject'],
      resources: [logObjectsArn],
      conditions: { StringEquals: { 's3:ResourceAccount': access.bucketAccount } },
    }),
  );
  if (access.bucketKey !== undefined) {
    // Decrypt only, and only when S3 asks on the function's behalf.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [access.bucketKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${Stack.of(role).region}.amazonaws.com` } },
      }),
    );
  }
  return logObjectsArn;
}
