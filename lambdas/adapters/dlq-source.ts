import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import * as z from 'zod';
import { decodeBackfillBatch, looksLikeBackfillBatch } from '../core/backfill-batch';
import { TrailwatchError } from '../core/errors';
import { parseIngestEvent, type AnnouncedObject } from '../core/s3-event';
import { translateSqsError } from './sqs-errors';

/** An SQS call on the dead-letter queue failed: names the queue and what to check. */
export class DlqError extends TrailwatchError {}

/** How a dead-letter message carried its S3 event. */
export type DlqMessageFormat = 'lambda-destination' | 'sns-envelope' | 'event' | 'backfill-batch';

/** What a dead-letter message says: the objects to process, or why it cannot be read. */
export type DlqMessageContent =
  | {
      readonly ok: true;
      readonly format: DlqMessageFormat;
      /** Objects announced by the event, keys decoded (empty for S3's test event). */
      readonly objects: readonly AnnouncedObject[];
      /** Why the invocation failed, from a Lambda destination record (condition and error message). */
      readonly failure?: string;
    }
  | { readonly ok: false; readonly message: string };

/** The invocation record a Lambda on-failure destination writes for an asynchronous invocation. */
const LambdaDestinationRecordSchema = z.looseObject({
  requestContext: z.looseObject({
    functionArn: z.string().optional(),
    condition: z.string().optional(),
    approximateInvokeCount: z.number().optional(),
  }),
  requestPayload: z.unknown(),
  responsePayload: z
    .looseObject({ errorType: z.string().optional(), errorMessage: z.string().optional() })
    .nullable()
    .optional(),
});

/** S3 → SNS → SQS: the S3 event is a JSON string in the SNS notification's `Message`. */
const SnsEnvelopeSchema = z.looseObject({ Type: z.literal('Notification'), Message: z.string() });

/**
 * Reads a dead-letter message body: a Lambda on-failure destination record (its `requestPayload` is
 * the original event), an SNS notification wrapping an S3 event, a bare S3 notification /
 * EventBridge "Object Created" event (what a Lambda dead-letter queue receives), or a backfill batch
 * message (lambdas/core/backfill-batch.ts; what the backfill queue's dead-letter queue receives).
 */
export function parseDlqMessageBody(body: string | undefined): DlqMessageContent {
  if (body === undefined || body.trim() === '') return { ok: false, message: 'empty message body' };
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, message: 'message body is not JSON' };
  }

  // The backfill queue's dead-letter queue holds its batch messages (keys, not an S3 event).
  if (looksLikeBackfillBatch(json)) {
    try {
      const batch = decodeBackfillBatch(body);
      return {
        ok: true,
        format: 'backfill-batch',
        objects: batch.keys.map((key) => ({
          bucket: batch.bucket,
          key,
          eventName: `backfill ${batch.runId}`,
          created: true,
        })),
      };
    } catch (err) {
      return { ok: false, message: err instanceof Error ? err.message : String(err) };
    }
  }

  const destination = LambdaDestinationRecordSchema.safeParse(json);
  if (destination.success && destination.data.requestPayload !== undefined) {
    const record = destination.data;
    const parsed = parseIngestEvent(record.requestPayload);
    if (!parsed.ok) return { ok: false, message: `requestPayload: ${parsed.message}` };
    const error = record.responsePayload?.errorMessage;
    const failure = [record.requestContext.condition, error].filter((s): s is string => !!s).join(': ');
    return {
      ok: true,
      format: 'lambda-destination',
      objects: parsed.objects,
      ...(failure ? { failure } : {}),
    };
  }

  const sns = SnsEnvelopeSchema.safeParse(json);
  if (sns.success) {
    let inner: unknown;
    try {
      inner = JSON.parse(sns.data.Message);
    } catch {
      return { ok: false, message: 'Message: the SNS notification does not carry JSON' };
    }
    const parsed = parseIngestEvent(inner);
    return parsed.ok
      ? { ok: true, format: 'sns-envelope', objects: parsed.objects }
      : { ok: false, message: `Message: ${parsed.message}` };
  }

  const parsed = parseIngestEvent(json);
  return parsed.ok
    ? { ok: true, format: 'event', objects: parsed.objects }
    : { ok: false, message: parsed.message };
}

/** One received dead-letter message. */
export interface DlqMessage {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly content: DlqMessageContent;
  /** How often SQS has handed out this message (ApproximateReceiveCount). */
  readonly receiveCount?: number;
  /** When the message was sent to the queue. */
  readonly sentAt?: Date;
}

/** Options of DlqSource. */
export interface DlqSourceOptions {
  readonly queueUrl: string;
  /** Default: a new SQSClient with the SDK's defaults. */
  readonly client?: SQSClient;
  /**
   * Seconds a received message stays hidden from other consumers while it is worked on. Default 300:
   * long enough to process the objects of one message; messages not deleted are released at the end.
   */
  readonly visibilityTimeoutSeconds?: number;
  /** Long-poll seconds of each receive; the queue counts as drained after an empty receive. Default 1. */
  readonly waitTimeSeconds?: number;
}

/**
 * The dead-letter queue as a source of S3 events: receives messages (each once per run), deletes a
 * message when its objects are done, and releases the others (visibility 0) so they stay in the queue
 * visible for the next attempt.
 */
export class DlqSource {
  readonly queueUrl: string;
  private readonly client: SQSClient;
  private readonly visibilityTimeout: number;
  private readonly waitTime: number;

  constructor(options: DlqSourceOptions) {
    this.queueUrl = options.queueUrl;
    this.client = options.client ?? new SQSClient({});
    this.visibilityTimeout = options.visibilityTimeoutSeconds ?? 300;
    this.waitTime = options.waitTimeSeconds ?? 1;
  }

  /** Approximate messages in the queue: visible, and in flight (received by someone, not yet deleted). */
  async approximateCount(): Promise<{ visible: number; inFlight: number }> {
    const out = await this.call(() =>
      this.client.send(
        new GetQueueAttributesCommand({
          QueueUrl: this.queueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      ),
    );
    return {
      visible: Number(out.Attributes?.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
    };
  }

  /**
   * Receives messages until the queue returns none (or `maxMessages` were received). A message seen
   * twice in one run (its visibility ran out) is not handed out again.
   */
  async *receive(options: { maxMessages?: number; signal?: AbortSignal } = {}): AsyncGenerator<DlqMessage> {
    const seen = new Set<string>();
    const max = options.maxMessages ?? Number.POSITIVE_INFINITY;
    while (seen.size < max && !options.signal?.aborted) {
      const out = await this.call(() =>
        this.client.send(
          new ReceiveMessageCommand({
            QueueUrl: this.queueUrl,
            MaxNumberOfMessages: Math.min(10, max - seen.size),
            VisibilityTimeout: this.visibilityTimeout,
            WaitTimeSeconds: this.waitTime,
            MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
          }),
        ),
      );
      const messages = out.Messages ?? [];
      const fresh = messages.filter((m) => m.MessageId !== undefined && !seen.has(m.MessageId));
      if (fresh.length === 0) return;
      for (const m of fresh) {
        seen.add(m.MessageId as string);
        const receiveCount = Number(m.Attributes?.ApproximateReceiveCount);
        const sent = Number(m.Attributes?.SentTimestamp);
        yield {
          messageId: m.MessageId as string,
          receiptHandle: m.ReceiptHandle ?? '',
          content: parseDlqMessageBody(m.Body),
          ...(Number.isFinite(receiveCount) ? { receiveCount } : {}),
          ...(Number.isFinite(sent) ? { sentAt: new Date(sent) } : {}),
        };
      }
    }
  }

  /** Deletes a message: call only once every object it names is done. */
  async delete(message: DlqMessage): Promise<void> {
    await this.call(() =>
      this.client.send(
        new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: message.receiptHandle }),
      ),
    );
  }

  /** Makes messages visible again at once, so they stay in the queue for the next replay or for inspection. */
  async release(messages: readonly DlqMessage[]): Promise<void> {
    for (let i = 0; i < messages.length; i += 10) {
      const chunk = messages.slice(i, i + 10);
      const out = await this.call(() =>
        this.client.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: this.queueUrl,
            Entries: chunk.map((m, n) => ({
              Id: String(n),
              ReceiptHandle: m.receiptHandle,
              VisibilityTimeout: 0,
            })),
          }),
        ),
      );
      if (out.Failed && out.Failed.length > 0) {
        const first = out.Failed[0];
        throw new DlqError(
          `${this.queueUrl}: could not release ${out.Failed.length} message(s): ${first?.Code ?? ''} ${first?.Message ?? ''}`.trim(),
        );
      }
    }
  }

  private async call<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (err) {
      throw translateSqsError(this.queueUrl, err, '--queue');
    }
  }
}
