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
}

/** A service allowed to publish to the topic on behalf of some of its resources (see allowServicePublish). */
export interface ServicePublisher {
  /** The service principal, e.g. `cloudwatch.amazonaws.com`. */
  readonly service: string;
  /** The ARNs of the resources that publish (aws:SourceArn in the topic policy). */
  readonly sourceArns: readonly string[];
  /**
   * An ARN pattern covering them, for the key policy: the key cannot name resources that refer to the
   * topic, which refers to the key (a dependency cycle).
   */
  readonly sourceArnPattern: string;
}

/**
 * Every action a topic policy can grant: the TLS-only deny covers them all, not only sns:Publish
 * (what `enforceSSL` denies).
 */
export const TOPIC_POLICY_ACTIONS = [
  'sns:AddPermission',
  'sns:DeleteTopic',
  'sns:GetTopicAttributes',
  'sns:ListSubscriptionsByTopic',
  'sns:Publish',
  'sns:RemovePermission',
  'sns:SetTopicAttributes',
  'sns:Subscribe',
] as const;

/**
 * An SNS topic encrypted with its own customer-managed KMS key (rotated), whose policy denies every
 * request that does not use TLS, with optional email subscriptions and per-address filter policies.
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
    this.topic = new sns.Topic(this, 'Topic', { displayName: props.displayName, masterKey: this.key });
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyInsecureTransport',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: [...TOPIC_POLICY_ACTIONS],
        resources: [this.topic.topicArn],
        conditions: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
    for (const subscription of props.emails ?? []) {
      const services = subscription.services;
      const added = this.topic.addSubscription(
        new subscriptions.EmailSubscription(subscription.email, {
          filterPolicy:
            services === undefined
              ? undefined
              : { service: sns.SubscriptionFilter.stringFilter({ allowlist: [...services] }) },
        }),
      );
      if (services !== undefined) {
        // Said explicitly: without it SNS assumes MessageAttributes, but an update that adds a filter
        // to an existing subscription can fail until the scope is set.
        (added.node.defaultChild as sns.CfnSubscription).filterPolicyScope = 'MessageAttributes';
      }
    }
  }

  /**
   * Lets a service publish on behalf of the given resources only: sns:Publish in the topic policy and
   * kms:GenerateDataKey/Decrypt in the key policy, both conditioned on aws:SourceAccount and aws:SourceArn
   * (services such as CloudWatch send both to SNS and to KMS; EventBridge sends neither to KMS, so do not
   * use this for it).
   */
  public allowServicePublish(publisher: ServicePublisher): void {
    const account = Stack.of(this).account;
    const principal = new iam.ServicePrincipal(publisher.service);
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [principal],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        // In a key policy `*` means this key.
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceAccount': account },
          ArnLike: { 'aws:SourceArn': publisher.sourceArnPattern },
        },
      }),
    );
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [principal],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': account },
          ArnEquals: { 'aws:SourceArn': [...publisher.sourceArns] },
        },
      }),
    );
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
