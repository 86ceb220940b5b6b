import { GetQueueAttributesCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { translateSqsError } from './sqs-errors';

/** One message of a SendMessageBatch call. */
export interface QueueEntry {
  /** Unique within the call. */
  readonly id: string;
  readonly body: string;
}

/** An entry the queue did not accept. */
export interface RejectedEntry {
  readonly id: string;
  readonly code: string;
  readonly message: string;
  /** True when retrying the same entry cannot succeed (the request was wrong). */
  readonly senderFault: boolean;
}

/** The approximate depth of a queue (SQS's own counters). */
export interface QueueDepth {
  /** Messages waiting to be received. */
  readonly visible: number;
  /** Messages received and not yet deleted (being worked on). */
  readonly inFlight: number;
  /** Messages sent with a delay that are not yet visible. */
  readonly delayed: number;
}

/** The backfill queue (or its DLQ) as the CLI uses it: send batches, read the counters. One SDK call per method. */
export class BackfillQueue {
  constructor(
    readonly queueUrl: string,
    private readonly client: SQSClient,
    /** The flag that named the queue, for error lines. */
    private readonly flag = '--queue-url',
  ) {}

  /** Sends up to 10 messages in one SendMessageBatch call; returns the entries it did not accept. */
  async sendBatch(entries: readonly QueueEntry[]): Promise<RejectedEntry[]> {
    try {
      const out = await this.client.send(
        new SendMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: entries.map((e) => ({ Id: e.id, MessageBody: e.body })),
        }),
      );
      return (out.Failed ?? []).map((f) => ({
        id: f.Id ?? '',
        code: f.Code ?? 'unknown',
        message: f.Message ?? '',
        senderFault: f.SenderFault === true,
      }));
    } catch (err) {
      throw translateSqsError(this.queueUrl, err, this.flag);
    }
  }

  /** The queue's approximate message counts (GetQueueAttributes). */
  async depth(): Promise<QueueDepth> {
    try {
      const out = await this.client.send(
        new GetQueueAttributesCommand({
          QueueUrl: this.queueUrl,
          AttributeNames: [
            'ApproximateNumberOfMessages',
            'ApproximateNumberOfMessagesNotVisible',
            'ApproximateNumberOfMessagesDelayed',
          ],
        }),
      );
      const a = out.Attributes ?? {};
      return {
        visible: Number(a.ApproximateNumberOfMessages ?? 0),
        inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0),
        delayed: Number(a.ApproximateNumberOfMessagesDelayed ?? 0),
      };
    } catch (err) {
      throw translateSqsError(this.queueUrl, err, this.flag);
    }
  }
}
