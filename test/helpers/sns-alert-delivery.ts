import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SNSClient } from '@aws-sdk/client-sns';
import { AlertStateStore, type ClaimWrites } from '../../lambdas/adapters/alert-state-store';
import { SnsPublisher } from '../../lambdas/adapters/sns-publisher';
import { AlertDelivery, type AlertDeliveryOptions } from '../../lambdas/core/alert-delivery';
import type { AlertLedger } from '../../lambdas/core/alert-ports';
import { crashAt, type CrashPoint } from './crash-ports';

/** The alert protocol over the real adapters (DynamoDB ledger, SNS publisher), as the composition builds it. */
export interface SnsAlertDeliveryOptions extends Omit<
  AlertDeliveryOptions,
  'ledger' | 'publisher' | 'chatPublisher'
> {
  readonly topicArn: string;
  /** The chat topic, published to by a second SnsPublisher (as the composition does with CHAT_TOPIC_ARN). */
  readonly chatTopicArn?: string;
  readonly stateTableName: string;
  /** Publish attempts (default 4). */
  readonly publishAttempts?: number;
  /** Pauses of the publisher, the store and the protocol's waits for claims; tests record them instead of waiting. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** The protocol's waits for other invocations' claims alone, when they must differ from `sleep` (a test's clock). */
  readonly waitSleep?: (ms: number) => Promise<void>;
  /** Jitter source of the publisher's backoff. */
  readonly random?: () => number;
  readonly sns: SNSClient;
  readonly dynamodb: DynamoDBClient;
  /** How the store writes event claims (default single writes, what dynalite takes). */
  readonly claimWrites?: ClaimWrites;
  /** Stops the "process" there (see crash-ports.ts). */
  readonly crash?: CrashPoint;
  /** Wraps the ledger the protocol sees (after the crash point's wrapper), e.g. to script an interleaving. */
  readonly wrapLedger?: (ledger: AlertLedger) => AlertLedger;
}

/** Builds an AlertDelivery on the DynamoDB alert state store and the SNS publisher. */
export function snsAlertDelivery(options: SnsAlertDeliveryOptions): AlertDelivery {
  const {
    stateTableName,
    dynamodb,
    claimWrites,
    crash,
    topicArn,
    chatTopicArn,
    sns,
    publishAttempts,
    sleep,
    waitSleep,
    random,
    wrapLedger,
    ...delivery
  } = options;
  const retry = {
    ...(publishAttempts !== undefined ? { attempts: publishAttempts } : {}),
    ...(sleep ? { sleep } : {}),
    ...(random ? { random } : {}),
  };
  const ports = crashAt(
    new AlertStateStore({
      tableName: stateTableName,
      client: dynamodb,
      ...(claimWrites ? { claimWrites } : {}),
      ...(sleep ? { sleep } : {}),
    }),
    new SnsPublisher({ topicArn, sns, retry }),
    crash,
    chatTopicArn !== undefined ? new SnsPublisher({ topicArn: chatTopicArn, sns, retry }) : undefined,
  );
  return new AlertDelivery({
    ...delivery,
    ...(waitSleep ? { sleep: waitSleep } : sleep ? { sleep } : {}),
    ledger: wrapLedger ? wrapLedger(ports.ledger) : ports.ledger,
    publisher: ports.publisher,
    ...(ports.chatPublisher ? { chatPublisher: ports.chatPublisher } : {}),
  });
}
