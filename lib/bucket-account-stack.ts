import { CfnOutput, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { type BucketAccountConfig, parseBucketAccountConfig } from './bucket-account-config';
import { configFromContext, logKeyPrefix } from './config';
import { LogForwarder } from './log-forwarder';
import { LogReadRole } from './log-read-role';
import { nagResourceName } from './nag';

/** Properties of {@link BucketAccountStack}. */
export interface BucketAccountStackProps extends StackProps {
  /**
   * The bucket-account settings (README, "A bucket in another account"), validated once here.
   * @default - read from the CDK context
   */
  readonly config?: Readonly<Record<string, unknown>>;
}

/**
 * The part of trailwatch deployed in the account that owns the CloudTrail bucket (a Control Tower
 * log-archive account): forwards new log files' S3 events to the trailwatch account and lends it a
 * read-only role. It changes nothing on the bucket (EventBridge notifications are turned on by the user).
 */
export class BucketAccountStack extends Stack {
  /** The validated configuration. */
  public readonly config: BucketAccountConfig;
  /** The event forwarding rule and its dead-letter queue. */
  public readonly forwarder: LogForwarder;
  /** The read role the trailwatch function assumes. */
  public readonly readRole: LogReadRole;

  constructor(scope: Construct, id: string, props: BucketAccountStackProps = {}) {
    super(scope, id, {
      description:
        'trailwatch bucket-account part: forwards CloudTrail log file events, lends a read-only role',
      ...props,
    });
    const config = parseBucketAccountConfig(props.config ?? configFromContext(this));
    this.config = config;
    const roleArn = (name: string) => `arn:${this.partition}:iam::${config.trailwatchAccount}:role/${name}`;
    const ingestRoleArn = roleArn(config.ingestRoleName);
    const backfillRoleArn =
      config.backfillRoleName !== undefined ? roleArn(config.backfillRoleName) : undefined;

    this.forwarder = new LogForwarder(this, 'Forwarder', {
      bucketName: config.sourceBucketName,
      keyPrefix: logKeyPrefix(config),
      trailwatchAccount: config.trailwatchAccount,
      ...(config.trailwatchRegion !== undefined ? { trailwatchRegion: config.trailwatchRegion } : {}),
    });
    this.readRole = new LogReadRole(this, 'ReadRole', {
      bucketName: config.sourceBucketName,
      logPrefix: config.logPrefix,
      ...(config.sourceBucketKmsKeyArn !== undefined ? { kmsKeyArn: config.sourceBucketKmsKeyArn } : {}),
      roleName: config.readRoleName,
      trustedRoleArns: [
        ingestRoleArn,
        ...(backfillRoleArn !== undefined ? [backfillRoleArn] : []),
        ...config.operatorRoleArns,
      ],
    });

    Validations.of(this.forwarder.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is the dead-letter destination itself; its events are inspected, not redriven further.',
    });
    Validations.of(this.readRole.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagResourceName(this, this.readRole.logObjectsArn)}]`,
      reason:
        'GetObject on the CloudTrail log files, which are only known by key at run time; scoped to the log prefix.',
    });

    const out = (outputId: string, value: string, description: string) =>
      new CfnOutput(this, outputId, { value, description });
    out(
      'ReadRoleArn',
      this.readRole.role.roleArn,
      'Pass to the trailwatch stack as readRoleName (its name) and to backfill/replay as --read-role-arn',
    );
    out('TrustedIngestRoleArn', ingestRoleArn, 'The trailwatch function role the read role trusts');
    if (backfillRoleArn !== undefined)
      out(
        'TrustedBackfillRoleArn',
        backfillRoleArn,
        "The trailwatch backfill function's role the read role trusts",
      );
    out('ForwardedToBusArn', this.forwarder.targetBusArn, "The trailwatch account's default event bus");
    out(
      'ForwarderDeadLetterQueueUrl',
      this.forwarder.deadLetterQueue.queueUrl,
      'Events that could not be forwarded',
    );
  }
}
