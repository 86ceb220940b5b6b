/**
 * The backfill function's app: an SQS event of batch messages (lambdas/core/backfill-batch.ts), each
 * key processed through the same object processor as the live path, with a partial batch response
 * so that only the messages with a failed key come back (ReportBatchItemFailures).
 */
import * as z from 'zod';
import { BackfillBatchError, decodeBackfillBatch, type BackfillBatch } from '../core/backfill-batch';
import { TrailwatchError } from '../core/errors';
import type { LogObjectProcessor, ProcessOptions } from './object-processor';
import { forEachLimited } from './work-queue';

/** The event is not an SQS event: the whole invocation fails (nothing can be attributed to a message). */
export class InvalidSqsEventError extends TrailwatchError {}

/** The parts of Lambda's SQS event the handler reads. */
const SqsEventSchema = z.looseObject({
  Records: z.array(z.looseObject({ messageId: z.string().min(1), body: z.string() })),
});

/** Lambda's partial batch response: the messages to leave in the queue. */
export interface BatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

/** What the backfill app reports about messages, beside the per-object reports of the processor. */
export interface BatchObserver {
  /** A message body is not a batch; it fails (and after maxReceiveCount reaches the DLQ). */
  messageRejected(messageId: string, reason: string): void;
  /** A message had keys that failed; it stays in the queue. */
  messageFailed(messageId: string, runId: string, failedKeys: readonly string[]): void;
}

/** Keys of one message processed at once: S3 reads and table writes overlap; CPU stays the limit. */
export const KEYS_AT_ONCE = 2;

/**
 * A key is started only with this much time left: a log file of a few MB takes seconds, and a key
 * not started is retried with its message, while one cut off mid-write costs the write again too.
 */
export const MIN_MS_TO_START_KEY = 15_000;

/** Options of one invocation. */
export interface BatchHandleOptions extends ProcessOptions {
  /** Keys processed at once per message (default KEYS_AT_ONCE). */
  readonly keysAtOnce?: number;
}

/**
 * Handles one SQS event: each message's keys go through the processor (skipped keys count as done,
 * as on the live path); a message is reported failed when a key failed, was not started for lack of
 * time, or its body is not a batch. Throws InvalidSqsEventError when the event is not an SQS event.
 */
export async function handleSqsBatch(
  event: unknown,
  processor: LogObjectProcessor,
  observer: BatchObserver,
  options: BatchHandleOptions = {},
): Promise<BatchResponse> {
  const parsed = SqsEventSchema.safeParse(event);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidSqsEventError(
      `invalid event: not an SQS event (${issue ? `${issue.path.join('.') || 'event'}: ${issue.message}` : 'invalid'})`,
    );
  }
  const failures: { itemIdentifier: string }[] = [];
  for (const record of parsed.data.Records) {
    let batch: BackfillBatch;
    try {
      batch = decodeBackfillBatch(record.body);
    } catch (err) {
      if (!(err instanceof BackfillBatchError)) throw err;
      observer.messageRejected(record.messageId, err.message);
      failures.push({ itemIdentifier: record.messageId });
      continue;
    }
    const failed = await processBatch(batch, processor, options);
    if (failed.length > 0) {
      observer.messageFailed(record.messageId, batch.runId, failed);
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures: failures };
}

/** Processes every key of one batch; returns the keys that failed or were not started. */
async function processBatch(
  batch: BackfillBatch,
  processor: LogObjectProcessor,
  options: BatchHandleOptions,
): Promise<string[]> {
  const failed: string[] = [];
  const remaining = options.remainingMs;
  await forEachLimited(batch.keys, options.keysAtOnce ?? KEYS_AT_ONCE, async (key) => {
    if (remaining && remaining() < MIN_MS_TO_START_KEY) {
      failed.push(key);
      return;
    }
    try {
      await processor.processObject(
        { bucket: batch.bucket, key },
        remaining ? { remainingMs: remaining } : {},
      );
    } catch {
      // The processor's observer has logged the object's error (describeObject names it).
      failed.push(key);
    }
  });
  return failed;
}
