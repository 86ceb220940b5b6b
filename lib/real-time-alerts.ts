import { Duration, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { apiCallRulePattern } from '../lambdas/core/api-call-rule';
import type { EncryptedTopic } from './alert-topic';
import { encryptedQueue } from './encrypted-queue';
import { addTrailwatchFunction } from './trailwatch-function';

/**
 * DynamoDB calls the real-time function makes on the event table: one conditional PutItem per event,
 * and once per cold start the table contract check (DescribeTable, the contract item's PutItem).
 */
export const REAL_TIME_EVENT_TABLE_ACTIONS = ['DescribeTable', 'PutItem'] as const;

/** Properties of {@link RealTimeAlerts}. */
export interface RealTimeAlertsProps {
  /** The event table (the same items as the log files' path). */
  readonly eventTable: dynamodb.ITable;
  /** The alert state table (the same claims and markers: exactly once across both paths). */
  readonly alertStateTable: dynamodb.ITable;
  readonly alertTopic: EncryptedTopic;
  /** The chat topic, when chat channels are configured (each alert also goes there, as on the S3 path). */
  readonly chatTopic?: EncryptedTopic;
  /** The ingest function's environment: the real-time function is composed from the same configuration. */
  readonly environment: Readonly<Record<string, string>>;
  /**
   * Regions whose events the rule accepts: this stack's region and those forwarding to it
   * ({@link RegionForwarder}); events from any other region or account are not matched.
   */
  readonly regions: readonly string[];
  /** @default 90 */
  readonly logRetentionDays?: number;
}

/**
 * The real-time path (docs/alerts.md#two-paths): a rule on this region's default bus matching
 * CloudTrail's "AWS API Call via CloudTrail" events of failed calls (an `errorCode`) of the watched
 * services, from this account and the listed regions, delivering each to a function that stores and
 * alerts it through the same composition as the log files. What it misses, the log files alert.
 */
export class RealTimeAlerts extends Construct {
  /** The real-time function (lambdas/ingest/realtime-handler.ts). */
  public readonly function: nodejs.NodejsFunction;
  /** The rule on the default bus. */
  public readonly rule: events.Rule;
  /** Events EventBridge could not deliver and invocations that failed after their retries. */
  public readonly deadLetterQueue: sqs.Queue;
  /** The function's log group. */
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: RealTimeAlertsProps) {
    super(scope, id);

    this.deadLetterQueue = encryptedQueue(this, 'DeadLetterQueue');
    const parts = addTrailwatchFunction(this, {
      entry: 'realtime-handler.ts',
      description:
        'trailwatch: alerts failed Glue/EMR/Athena/Batch calls seconds after EventBridge sees them',
      roleDescription: 'trailwatch real-time alert function',
      // One event per invocation: a few DynamoDB writes and one publish.
      memorySize: 512,
      // An event claimed by the log file's invocation at the same moment is waited for (up to its
      // 60-second lease and 5 s more) rather than failed on; then publishing is bounded by its lease.
      timeout: Duration.seconds(150),
      logRetentionDays: props.logRetentionDays ?? 90,
      environment: props.environment,
      // Past an hour a real-time alert is no longer real time; the log file alerts it anyway.
      asyncFailures: {
        queue: this.deadLetterQueue,
        as: 'dead-letter-queue',
        retryAttempts: 2,
        maxEventAge: Duration.hours(1),
      },
      eventTable: props.eventTable,
      eventTableActions: REAL_TIME_EVENT_TABLE_ACTIONS,
      alerts: {
        stateTable: props.alertStateTable,
        topic: props.alertTopic,
        ...(props.chatTopic !== undefined ? { chatTopic: props.chatTopic } : {}),
      },
    });
    this.function = parts.function;
    this.logGroup = parts.logGroup;

    this.rule = new events.Rule(this, 'Rule', {
      description: 'trailwatch: failed Glue/EMR/Athena/Batch API calls (CloudTrail via EventBridge)',
      eventPattern: {
        ...(apiCallRulePattern(props.regions) as events.EventPattern),
        account: [Stack.of(this).account],
      },
      targets: [
        new targets.LambdaFunction(this.function, {
          deadLetterQueue: this.deadLetterQueue,
          retryAttempts: 8,
          maxEventAge: Duration.hours(1),
        }),
      ],
    });
  }
}

/** Properties of {@link RegionForwarder}. */
export interface RegionForwarderProps {
  /** The region of the trailwatch stack whose default bus receives the events. */
  readonly homeRegion: string;
}

/**
 * Deployed in each other region the user lists: EventBridge delivers CloudTrail's events only in the
 * region of the call, so a rule on this region's default bus forwards the same failed calls to the
 * home region's default bus, with a role that may put events on that one bus and nothing else.
 */
export class RegionForwarder extends Construct {
  /** The forwarding rule on this region's default bus. */
  public readonly rule: events.Rule;
  /** The role EventBridge assumes to put the events on the home bus. */
  public readonly role: iam.Role;
  /** ARN of the home region's default bus. */
  public readonly homeBusArn: string;

  constructor(scope: Construct, id: string, props: RegionForwarderProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.homeBusArn = stack.formatArn({
      service: 'events',
      region: props.homeRegion,
      resource: 'event-bus',
      resourceName: 'default',
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: `trailwatch: forwards failed API call events to ${props.homeRegion}`,
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [this.homeBusArn] }),
    );
    this.rule = new events.Rule(this, 'Rule', {
      description: `trailwatch: failed Glue/EMR/Athena/Batch API calls, forwarded to ${props.homeRegion}`,
      eventPattern: {
        ...(apiCallRulePattern([stack.region]) as events.EventPattern),
        account: [stack.account],
      },
      targets: [
        new targets.EventBus(events.EventBus.fromEventBusArn(this, 'HomeBus', this.homeBusArn), {
          role: this.role,
        }),
      ],
    });
  }
}
