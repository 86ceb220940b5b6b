import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

/** One email subscription: every alert, or only those whose `service` message attribute is listed. */
export interface EmailSubscription {
  /** The address that receives the alerts (it must confirm the subscription). */
  readonly email: string;
  /**
   * Services whose alerts this address receives (SNS filter policy on the `service` message attribute).
   * @default - every alert
   */
  readonly services?: readonly string[];
}

/** Properties of {@link EncryptedTopic}. */
export interface EncryptedTopicProps {
  /** Shown in emails as the sender name. */
  readonly displayName: string;
  /** What the key protects, for the key's description. */
  readonly purpose: string;
  /**
   * Email subscriptions.
   * @default - none
   */
  readonly emails?: readonly EmailSubscription[];
  /**
   * Service principals allowed to publish through the key (e.g. CloudWatch for alarm actions).
   * @default - none
   */
  readonly servicePublishers?: readonly string[];
}

/**
 * An SNS topic encrypted with its own customer-managed KMS key (rotated), whose policy denies any
 * publish that does not use TLS, with optional email subscriptions and per-address filter policies.
 */
export class EncryptedTopic extends Construct {
  /** The topic. */
  public readonly topic: sns.Topic;
  /** The topic's KMS key. */
  public readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: EncryptedTopicProps) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: `trailwatch: encrypts the ${props.purpose} SNS topic`,
      enableKeyRotation: true,
      // SNS stores no messages, so nothing needs the key once the topic is gone; KMS still waits 30 days.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: props.displayName,
      masterKey: this.key,
      enforceSSL: true,
    });
    for (const service of props.servicePublishers ?? []) {
      // A service publishing to an encrypted topic needs the key; the AWS-managed SNS key cannot grant it.
      this.key.addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal(service)],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          // In a key policy `*` means this key.
          resources: ['*'],
        }),
      );
      this.topic.addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal(service)],
          actions: ['sns:Publish'],
          resources: [this.topic.topicArn],
          conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
        }),
      );
    }
    for (const subscription of props.emails ?? []) {
      const services = subscription.services;
      this.topic.addSubscription(
        new subscriptions.EmailSubscription(subscription.email, {
          filterPolicy:
            services === undefined
              ? undefined
              : { service: sns.SubscriptionFilter.stringFilter({ allowlist: [...services] }) },
        }),
      );
    }
  }

  /**
   * Lets `grantee` publish: sns:Publish on this topic and, because the topic is encrypted, exactly
   * kms:GenerateDataKey and kms:Decrypt on its key (Topic.grantPublish would grant `kms:GenerateDataKey*`).
   */
  public grantPublish(grantee: iam.IGrantable): iam.Grant {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resourceArns: [this.key.keyArn],
    });
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['sns:Publish'],
      resourceArns: [this.topic.topicArn],
    });
  }
}
