import { randomUUID } from 'node:crypto';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { alertStateTableDefinition } from '../../lambdas/adapters/alert-state-table';
import { LOCAL_CREDENTIALS } from '../../lambdas/adapters/aws-clients';
import { ensureTable } from '../../lambdas/adapters/table-definitions';
import { startDynalite, type DynaliteServer } from '../../local/dynalite-server';
import { startMoto, type MotoServer } from './moto';

/** moto (SNS + SQS) and dynalite (alert state table) with clients, for the alert integration tests. */
export interface AlertHarness {
  readonly sns: SNSClient;
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBClient;
  readonly motoEndpoint: string;
  /** dynalite's endpoint, for clients with injected faults. */
  readonly dynaliteEndpoint: string;
  /** A new topic with a unique name. */
  newTopic(): Promise<string>;
  /** A new queue subscribed to the topic, optionally with a filter policy on message attributes. */
  subscribeQueue(topicArn: string, options?: { filterPolicy?: object; raw?: boolean }): Promise<string>;
  /** A new, empty alert state table. */
  newStateTable(): Promise<string>;
  /** Every message now in the queue (received and deleted). */
  drain(queueUrl: string): Promise<Message[]>;
  /** The items of a table. */
  scan(tableName: string): Promise<Array<Record<string, unknown>>>;
  stop(): Promise<void>;
}

const REGION = 'us-east-1';

/** Starts moto and dynalite; undefined when moto is unavailable (the caller's describeWithMoto skips). */
export async function startAlertHarness(): Promise<AlertHarness | undefined> {
  const moto: MotoServer | undefined = await startMoto();
  if (!moto) return undefined;
  let dynalite: DynaliteServer;
  try {
    dynalite = await startDynalite();
  } catch (err) {
    await moto.stop();
    throw err;
  }
  const common = { region: REGION, credentials: LOCAL_CREDENTIALS };
  const sns = new SNSClient({ ...common, endpoint: moto.endpoint, maxAttempts: 1 });
  const sqs = new SQSClient({ ...common, endpoint: moto.endpoint });
  const dynamodb = new DynamoDBClient({ ...common, endpoint: dynalite.endpoint });

  return {
    sns,
    sqs,
    dynamodb,
    motoEndpoint: moto.endpoint,
    dynaliteEndpoint: dynalite.endpoint,
    async newTopic() {
      const out = await sns.send(new CreateTopicCommand({ Name: `alerts-${randomUUID()}` }));
      return out.TopicArn as string;
    },
    async subscribeQueue(topicArn, options = {}) {
      const queue = await sqs.send(new CreateQueueCommand({ QueueName: `q-${randomUUID()}` }));
      const queueUrl = queue.QueueUrl as string;
      const attributes = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
      );
      await sns.send(
        new SubscribeCommand({
          TopicArn: topicArn,
          Protocol: 'sqs',
          Endpoint: attributes.Attributes?.QueueArn,
          Attributes: {
            RawMessageDelivery: options.raw ? 'true' : 'false',
            ...(options.filterPolicy ? { FilterPolicy: JSON.stringify(options.filterPolicy) } : {}),
          },
        }),
      );
      return queueUrl;
    },
    async newStateTable() {
      const name = `alert-state-${randomUUID()}`;
      await ensureTable(dynamodb, alertStateTableDefinition(name), { pollMs: 20 });
      return name;
    },
    async drain(queueUrl) {
      const all: Message[] = [];
      for (;;) {
        const out = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 0,
            MessageAttributeNames: ['All'],
          }),
        );
        const messages = out.Messages ?? [];
        if (messages.length === 0) return all;
        all.push(...messages);
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle as string })),
          }),
        );
      }
    },
    async scan(tableName) {
      const items: Array<Record<string, unknown>> = [];
      let start: Record<string, import('@aws-sdk/client-dynamodb').AttributeValue> | undefined;
      do {
        const out = await dynamodb.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
        items.push(...(out.Items ?? []));
        start = out.LastEvaluatedKey;
      } while (start);
      return items;
    },
    async stop() {
      sns.destroy();
      sqs.destroy();
      dynamodb.destroy();
      await Promise.allSettled([moto.stop(), dynalite.stop()]);
    },
  };
}
