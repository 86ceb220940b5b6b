import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, BatchWriteCommandOutput, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConfigError, TrailwatchError } from '../core/errors';
import {
  DEFAULT_PAYLOAD_MAX_BYTES,
  DEFAULT_RETENTION_DAYS,
  EventItem,
  MAX_PAYLOAD_MAX_BYTES,
  toEventItem,
} from '../core/event-item';
import type { NormalizedEvent } from '../core/normalized-event';
import { describeObject } from '../core/object-ref';
import type { EventSink, LogObjectRef } from '../core/ports';
import { isRetryable } from './retry';

/** BatchWriteItem's limit of put requests per call. */
const BATCH_SIZE = 25;

/** Options of {@link DynamoDbEventStore}. */
export interface DynamoDbEventStoreOptions {
  readonly tableName: string;
  /** @default a new DynamoDBClient from the environment */
  readonly client?: DynamoDBClient;
  /** Days an event stays in the table, counted from its eventTime. @default 365 */
  readonly retentionDays?: number;
  /** Cap in UTF-8 bytes of requestParameters and of responseElements (JSON text). @default 32768 */
  readonly payloadMaxBytes?: number;
  /** Clock used for `ingestedAt` when the source carries no delivery time. @default () => new Date() */
  readonly now?: () => Date;
  /** Attempts per batch (the first try included) before giving up. @default 8 */
  readonly maxAttempts?: number;
  /** BatchWriteItem requests in flight at once. @default 4 */
  readonly concurrency?: number;
  /** First backoff ceiling in ms; doubles per attempt (full jitter). @default 50 */
  readonly baseDelayMs?: number;
  /** Largest backoff ceiling in ms. @default 5000 */
  readonly maxDelayMs?: number;
  /** Waits between attempts; tests pass a fast one. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Random source in [0, 1) for the jitter. @default Math.random */
  readonly random?: () => number;
}

/**
 * The log file events come from, optionally with its delivery time (the S3 object's LastModified or
 * the notification's eventTime). When given, it is stored as `ingestedAt`, which makes a re-write of
 * the same file produce byte-identical items.
 */
export type StoredLogObjectRef = LogObjectRef & { readonly deliveredAt?: Date };

interface BatchOutcome {
  readonly notWritten: number;
  readonly cause?: unknown;
  /** True when the attempts ran out (retryable errors), false for an error not worth retrying. */
  readonly gaveUp: boolean;
}

/** Some events could not be written after every retry: the whole file must be retried. */
export class EventStoreError extends TrailwatchError {
  constructor(
    message: string,
    readonly notWritten: number,
    readonly total: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Writes normalized events to the event table with BatchWriteItem, idempotently (docs/table.md). */
export class DynamoDbEventStore implements EventSink {
  private readonly tableName: string;
  private readonly doc: DynamoDBDocumentClient;
  private readonly retentionDays: number;
  private readonly payloadMaxBytes: number;
  private readonly now: () => Date;
  private readonly maxAttempts: number;
  private readonly concurrency: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(options: DynamoDbEventStoreOptions) {
    this.tableName = options.tableName;
    this.retentionDays = positiveInteger('retentionDays', options.retentionDays ?? DEFAULT_RETENTION_DAYS);
    this.payloadMaxBytes = positiveInteger(
      'payloadMaxBytes',
      options.payloadMaxBytes ?? DEFAULT_PAYLOAD_MAX_BYTES,
    );
    if (this.payloadMaxBytes > MAX_PAYLOAD_MAX_BYTES) {
      throw new ConfigError(
        `payloadMaxBytes must be at most ${MAX_PAYLOAD_MAX_BYTES} (DynamoDB items are limited to 400 KB), got ${this.payloadMaxBytes}`,
      );
    }
    this.maxAttempts = positiveInteger('maxAttempts', options.maxAttempts ?? 8);
    this.concurrency = positiveInteger('concurrency', options.concurrency ?? 4);
    this.baseDelayMs = options.baseDelayMs ?? 50;
    this.maxDelayMs = options.maxDelayMs ?? 5000;
    this.now = options.now ?? (() => new Date());
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
    this.doc = DynamoDBDocumentClient.from(options.client ?? new DynamoDBClient({}), {
      marshallOptions: { removeUndefinedValues: true },
    });
  }

  /** Writes every event (one item per pk/sk); throws EventStoreError saying how many were not written. */
  async putEvents(events: readonly NormalizedEvent[], source: StoredLogObjectRef): Promise<void> {
    if (events.length === 0) return;
    const ingestedAt = source.deliveredAt ?? this.now();
    const options = { retentionDays: this.retentionDays, payloadMaxBytes: this.payloadMaxBytes, ingestedAt };
    // BatchWriteItem rejects a request that names one key twice; the same event twice in a file
    // (CloudTrail can repeat events) is one item anyway, so keep the last.
    const byKey = new Map<string, EventItem>();
    for (const event of events) {
      const item = toEventItem(event, source, options);
      byKey.set(`${item.pk}\u0000${item.sk}`, item);
    }
    const items = [...byKey.values()];
    const batches: EventItem[][] = [];
    for (let i = 0; i < items.length; i += BATCH_SIZE) batches.push(items.slice(i, i + BATCH_SIZE));

    const failures: BatchOutcome[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let index = next++; index < batches.length; index = next++) {
        const outcome = await this.writeBatch(batches[index] ?? []);
        if (outcome.notWritten > 0) failures.push(outcome);
      }
    };
    // Every batch is attempted even when one fails, so the error can report the full count.
    await Promise.all(Array.from({ length: Math.min(this.concurrency, batches.length) }, () => worker()));

    const first = failures[0];
    if (first) {
      const notWritten = failures.reduce((sum, f) => sum + f.notWritten, 0);
      const after = first.gaveUp ? ` after ${this.maxAttempts} attempts` : '';
      throw new EventStoreError(
        `${notWritten} of ${items.length} events from ${describeObject(source)} were not written to table ${this.tableName}${after}: ${describe(first.cause)}`,
        notWritten,
        items.length,
        { cause: first.cause },
      );
    }
  }

  // Writes one batch of at most 25 items, retrying what DynamoDB did not take.
  private async writeBatch(batch: EventItem[]): Promise<BatchOutcome> {
    let pending: Record<string, unknown>[] = batch;
    let cause: unknown;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      if (attempt > 1) await this.sleep(this.backoff(attempt - 1));
      let output: BatchWriteCommandOutput;
      try {
        output = await this.doc.send(
          new BatchWriteCommand({
            RequestItems: { [this.tableName]: pending.map((Item) => ({ PutRequest: { Item } })) },
          }),
        );
      } catch (err) {
        // Validation errors, a missing table or denied access will not heal by waiting.
        if (!isRetryable(err)) return { notWritten: pending.length, cause: err, gaveUp: false };
        cause = err;
        continue;
      }
      const unprocessed = output.UnprocessedItems?.[this.tableName] ?? [];
      pending = unprocessed.flatMap((r) => (r.PutRequest?.Item ? [r.PutRequest.Item] : []));
      if (pending.length === 0) return { notWritten: 0, gaveUp: false };
      cause = new Error(`DynamoDB left ${pending.length} items unprocessed (throttled)`);
    }
    return { notWritten: pending.length, cause, gaveUp: true };
  }

  // Full jitter: a random wait up to an exponentially growing ceiling spreads retrying writers apart.
  private backoff(retry: number): number {
    const ceiling = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (retry - 1));
    return Math.floor(this.random() * ceiling);
  }
}

function describe(cause: unknown): string {
  if (cause instanceof Error) return `${cause.name === 'Error' ? '' : cause.name + ': '}${cause.message}`;
  return String(cause);
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new ConfigError(`${name} must be a positive integer, got ${value}`);
  }
  return value;
}
