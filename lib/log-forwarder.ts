import { Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { encryptedQueue } from './encrypted-queue';
import { LOG_FILE_SUFFIX } from './log-trigger';

/** Properties of {@link LogForwarder}. */
export interface LogForwarderProps {
  /** The CloudTrail bucket, in this stack's account, with EventBridge notifications on. */
  readonly bucketName: string;
  /** The key prefix of the log files, ending in `AWSLogs/`. */
  readonly keyPrefix: string;
  /** The account trailwatch is deployed to. */
  readonly trailwatchAccount: string;
  /** @default - this stack's region */
  readonly trailwatchRegion?: string;
}

/**
 * Forwards the bucket's S3 "Object Created" events for new log files to the trailwatch account's default
 * event bus (S3 notifications cannot reach a function in another account; EventBridge can). Events that
 * cannot be delivered are kept in a dead-letter queue of this account.
 */
export class LogForwarder extends Construct {
  /** The rule on this account's default bus. */
  public readonly rule: events.Rule;
  /** Events EventBridge could not put on the trailwatch bus (a missing bus policy, a wrong account). */
  public readonly deadLetterQueue: sqs.Queue;
  /** The bus the events go to. */
  public readonly targetBusArn: string;

  constructor(scope: Construct, id: string, props: LogForwarderProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.targetBusArn = `arn:${stack.partition}:events:${props.trailwatchRegion ?? stack.region}:${props.trailwatchAccount}:event-bus/default`;
    this.deadLetterQueue = encryptedQueue(this, 'DeadLetterQueue');
    this.rule = new events.Rule(this, 'ObjectCreated', {
      description: 'trailwatch: new CloudTrail log files, forwarded to the trailwatch account',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: {
          bucket: { name: [props.bucketName] },
          object: { key: events.Match.wildcard(`${props.keyPrefix}*${LOG_FILE_SUFFIX}`) },
        },
      },
    });
    this.rule.addTarget(
      new targets.EventBus(events.EventBus.fromEventBusArn(this, 'TrailwatchBus', this.targetBusArn), {
        deadLetterQueue: this.deadLetterQueue,
      }),
    );
  }
}
