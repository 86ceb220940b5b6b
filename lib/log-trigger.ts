import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** How new log files reach the function. */
export type TriggerMode = 's3-notification' | 'eventbridge';

/** Properties of {@link LogTrigger}. */
export interface LogTriggerProps {
  /** The bucket CloudTrail writes to. */
  readonly bucket: s3.IBucket;
  /** The key prefix of the log files, ending in `AWSLogs/`. */
  readonly keyPrefix: string;
  /** The function to invoke. */
  readonly function: lambda.IFunction;
  /** S3 notification (default) or EventBridge. */
  readonly mode: TriggerMode;
  /** Where EventBridge puts events it could not deliver (EventBridge mode only). */
  readonly deadLetterQueue: sqs.IQueue;
  /**
   * The account whose S3 events the rule accepts (EventBridge mode; the bucket-account stack forwards
   * another account's events here, and they keep that account in `account`).
   * @default - any account that reaches the bus (this account alone, without a bus policy)
   */
  readonly sourceAccount?: string;
}

/** Suffix of CloudTrail log files; digests (`CloudTrail-Digest/`) share the prefix but are read and skipped. */
export const LOG_FILE_SUFFIX = '.json.gz';

/**
 * Invokes the function for each new log file: an S3 event notification filtered on prefix and suffix,
 * or, for buckets whose notifications already overlap, an EventBridge rule on "Object Created".
 *
 * On an imported bucket the notification is written by CDK's BucketNotifications custom resource in
 * unmanaged mode (`Managed: false`): it reads the bucket's configuration and adds or removes only the
 * notifications this stack owns, so existing ones survive deploy and destroy.
 */
export class LogTrigger extends Construct {
  /** The EventBridge rule, in EventBridge mode. */
  public readonly rule?: events.Rule;

  constructor(scope: Construct, id: string, props: LogTriggerProps) {
    super(scope, id);
    if (props.mode === 's3-notification') {
      props.bucket.addEventNotification(
        s3.EventType.OBJECT_CREATED,
        new s3n.LambdaDestination(props.function),
        {
          prefix: props.keyPrefix,
          suffix: LOG_FILE_SUFFIX,
        },
      );
      return;
    }
    this.rule = new events.Rule(this, 'ObjectCreated', {
      description: 'trailwatch: new CloudTrail log files',
      eventPattern: {
        source: ['aws.s3'],
        ...(props.sourceAccount !== undefined ? { account: [props.sourceAccount] } : {}),
        detailType: ['Object Created'],
        detail: {
          bucket: { name: [props.bucket.bucketName] },
          object: { key: events.Match.wildcard(`${props.keyPrefix}*${LOG_FILE_SUFFIX}`) },
        },
      },
    });
    this.rule.addTarget(
      new targets.LambdaFunction(props.function, {
        deadLetterQueue: props.deadLetterQueue,
        retryAttempts: 8,
      }),
    );
  }
}
