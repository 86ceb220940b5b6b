import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { BACKFILL_MAX_RECEIVES } from './config';
import { encryptedQueue } from './encrypted-queue';
import { EVENT_TABLE_ACTIONS } from './ingest-function';
import {
  addTrailwatchFunction,
  type AlertResources,
  grantLogRead,
  type LogReadAccess,
} from './trailwatch-function';

/**
 * The `service` dimension of the backfill function's metrics (lambdas/ingest/metrics.ts,
 * METRICS_SERVICE.backfill): apart from the live path's `trailwatch`, so the live path's alarms read
 * the live path only. Kept here because lib/ refers to Lambda code by entry path only.
 */
export const BACKFILL_METRICS_SERVICE = 'trailwatch-backfill';

/** AWS's guidance for a queue a Lambda function consumes: a visibility timeout of 6x the function's timeout. */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

/**
 * The SQS calls the operator's `trailwatch backfill --on-aws` and `backfill status` make on the work queue
 * (lambdas/adapters/backfill-queue.ts; SendMessageBatch is authorized as SendMessage).
 */
export const OPERATOR_QUEUE_ACTIONS = ['sqs:SendMessage', 'sqs:GetQueueAttributes'] as const;

/**
 * The SQS calls on the backfill's dead-letter queue: its depth (`backfill status`), `trailwatch replay` of
 * what failed (lambdas/adapters/dlq-source.ts: receive, delete, extend the visibility), and moving it back
 * to the work queue once the cause is fixed (SQS's message move task, the redrive of a DLQ, from the AWS CLI).
 */
export const OPERATOR_DLQ_ACTIONS = [
  'sqs:GetQueueAttributes',
  'sqs:ReceiveMessage',
  'sqs:DeleteMessage',
  'sqs:ChangeMessageVisibility',
  'sqs:StartMessageMoveTask',
  'sqs:ListMessageMoveTasks',
  'sqs:CancelMessageMoveTask',
] as const;

/**
 * The Lambda calls on the event source mapping (lambdas/adapters/event-source-mapping.ts): its state, and
 * stop/resume by disabling/enabling it.
 */
export const OPERATOR_MAPPING_ACTIONS = [
  'lambda:GetEventSourceMapping',
  'lambda:UpdateEventSourceMapping',
] as const;

/** Properties of {@link BackfillEngine}. */
export interface BackfillEngineProps {
  /** The ingest function's environment: the backfill function is composed from the same configuration. */
  readonly environment: Readonly<Record<string, string>>;
  /** How the ingest function reads the log objects; the backfill function reads them the same way. */
  readonly logRead: LogReadAccess;
  /** The event table. */
  readonly eventTable: dynamodb.ITable;
  /**
   * The alert resources, when history alerts (`backfill.alerts`).
   * @default - no alerts: no permission on the alert state table or the topics, no variable naming them
   */
  readonly alerts?: AlertResources;
  /** The event source mapping's maximum concurrency: the pacing knob (2 to 1000). */
  readonly maxConcurrency: number;
  readonly memorySize: number;
  readonly timeoutSeconds: number;
  readonly logRetentionDays: number;
  /** A fixed role name, which the bucket account's read role trusts (the cross-account layout). @default - generated */
  readonly roleName?: string;
}

/**
 * The distributed backfill (docs/operations.md, "Distributed backfill"): an encrypted SQS queue of key
 * batches (lambdas/core/backfill-batch.ts) consumed by a dedicated function (lambdas/ingest/backfill-handler.ts,
 * the ingest function's bundle and configuration, alerts off unless asked) through an event source mapping
 * of one message per invocation, partial batch responses and a maximum concurrency; a message that fails
 * {@link BACKFILL_MAX_RECEIVES} receives moves to an encrypted dead-letter queue. Its own function keeps the
 * live path's concurrency, alarms and DLQ apart. A managed policy holds what the operator's CLI needs.
 */
export class BackfillEngine extends Construct {
  /** The work queue: one message per batch of keys. */
  public readonly queue: sqs.Queue;
  /** Messages that failed every receive. */
  public readonly deadLetterQueue: sqs.Queue;
  /** The backfill function. */
  public readonly function: nodejs.NodejsFunction;
  /** Its role. */
  public readonly role: iam.Role;
  /** Its log group. */
  public readonly logGroup: logs.LogGroup;
  /** The mapping from the queue to the function; disabled, the backfill stops (messages wait in the queue). */
  public readonly eventSourceMapping: lambda.EventSourceMapping;
  /** The log objects the function may read with its own role (a trailing `*`); absent with a read role. */
  public readonly logObjectsArn?: string;
  /** What an operator needs to run, watch, stop and resume a backfill; attach it to the operator's role. */
  public readonly operatorPolicy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: BackfillEngineProps) {
    super(scope, id);
    const timeout = Duration.seconds(props.timeoutSeconds);

    this.deadLetterQueue = encryptedQueue(this, 'DeadLetterQueue');
    this.queue = encryptedQueue(this, 'Queue', {
      // Lambda retries a throttled or crashed batch only after the message becomes visible again.
      visibilityTimeout: Duration.seconds(props.timeoutSeconds * VISIBILITY_TIMEOUT_FACTOR),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: BACKFILL_MAX_RECEIVES },
    });

    const environment: Record<string, string> = {
      ...props.environment,
      POWERTOOLS_SERVICE_NAME: BACKFILL_METRICS_SERVICE,
      BACKFILL_ALERTS: props.alerts !== undefined ? 'on' : 'off',
    };
    if (props.alerts === undefined) {
      // Without alerts the function names no alert resource it has no permission on.
      environment.ALERTS_ENABLED = 'false';
      delete environment.ALERT_STATE_TABLE_NAME;
      delete environment.ALERT_TOPIC_ARN;
      delete environment.CHAT_TOPIC_ARN;
    }

    const parts = addTrailwatchFunction(this, {
      entry: 'backfill-handler.ts',
      description: 'trailwatch: backfills CloudTrail log files, one queued batch of keys per invocation',
      roleDescription: 'trailwatch backfill function',
      ...(props.roleName !== undefined ? { roleName: props.roleName } : {}),
      memorySize: props.memorySize,
      timeout,
      logRetentionDays: props.logRetentionDays,
      environment,
      eventTable: props.eventTable,
      eventTableActions: EVENT_TABLE_ACTIONS,
      ...(props.alerts !== undefined ? { alerts: props.alerts } : {}),
    });
    this.function = parts.function;
    this.role = parts.role;
    this.logGroup = parts.logGroup;
    this.logObjectsArn = grantLogRead(this.role, props.logRead);

    // Receive, delete and extend the visibility of its own queue's messages, nothing else in SQS.
    this.queue.grantConsumeMessages(this.role);
    this.eventSourceMapping = new lambda.EventSourceMapping(this, 'EventSourceMapping', {
      target: this.function,
      eventSourceArn: this.queue.queueArn,
      // A message already is a batch of keys (and one unit of retry).
      batchSize: 1,
      reportBatchItemFailures: true,
      maxConcurrency: props.maxConcurrency,
    });
    // The mapping must not start polling before the role may receive from the queue.
    this.eventSourceMapping.node.addDependency(this.role);

    this.operatorPolicy = new iam.ManagedPolicy(this, 'OperatorPolicy', {
      description:
        'trailwatch: run a distributed backfill (enqueue, progress, stop/resume, redrive its dead-letter queue)',
      statements: [
        new iam.PolicyStatement({
          sid: 'EnqueueAndWatch',
          actions: [...OPERATOR_QUEUE_ACTIONS],
          resources: [this.queue.queueArn],
        }),
        new iam.PolicyStatement({
          sid: 'InspectAndRedriveFailures',
          actions: [...OPERATOR_DLQ_ACTIONS],
          resources: [this.deadLetterQueue.queueArn],
        }),
        new iam.PolicyStatement({
          sid: 'StopAndResume',
          actions: [...OPERATOR_MAPPING_ACTIONS],
          resources: [this.eventSourceMapping.eventSourceMappingArn],
        }),
      ],
    });
  }
}
