import { Duration } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/** Properties of {@link encryptedQueue} beyond the fixed encryption, TLS and retention. */
export type EncryptedQueueProps = Omit<sqs.QueueProps, 'encryption' | 'enforceSSL' | 'retentionPeriod'>;

/**
 * An SQS queue as every trailwatch queue is: SSE-SQS (encrypted at rest without a KMS key its
 * producers and consumers would need KMS permissions on), TLS only, and SQS's longest retention
 * (14 days), so a dead letter or a stopped backfill waits for a fix rather than expiring.
 */
export function encryptedQueue(scope: Construct, id: string, props: EncryptedQueueProps = {}): sqs.Queue {
  return new sqs.Queue(scope, id, {
    ...props,
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
}
