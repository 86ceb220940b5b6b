import { DescribeTableCommand, DynamoDBClient, TableDescription } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  BatchWriteCommandOutput,
  DynamoDBDocumentClient,
  PutCommand,
} from '@aws-sdk/lib-dynamodb';
import { AdaptiveLimit, retryDelay } from '../core/adaptive-limit';
import { ConfigError, TrailwatchError } from '../core/errors';
// The item codec and the table contract come from the client package that readers install, so what
// is written and what is read cannot drift apart.
import {
  CONTRACT_ITEM_KEY,
  contractItem,
  DEFAULT_PAYLOAD_MAX_BYTES,
  DEFAULT_RETENTION_DAYS,
  EventItem,
  layoutMismatch,
  MAX_PAYLOAD_MAX_BYTES,
  TABLE_CONTRACT_VERSION,
  toEventItem,
  type NormalizedEvent,
} from '@trailwatch/client/contract';
import { describeObject } from '../core/object-ref';
import type { EventSink, LogObjectRef, SingleEventSink } from '../core/ports';
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
  /**
   * Milliseconds the caller has left (the Lambda's `context.getRemainingTimeInMillis`), read at each
   * putEvents; undefined (or a function returning undefined) uses `retryBudgetMs` instead.
   */
  readonly remainingTimeMs?: () => number | undefined;
  /** Time kept back from `remainingTimeMs` for what follows the write (alerts, the response). @default 5000 */
  readonly reserveMs?: number;
  /** How long one putEvents may keep retrying throttled writes when no remaining time is given. @default 120000 */
  readonly retryBudgetMs?: number;
  /** BatchWriteItem requests in flight at the start; halves on throttling, grows back by one per success. @default 4 */
  readonly concurrency?: number;
  /** Most BatchWriteItem requests in flight. @default 16 */
  readonly maxConcurrency?: number;
  /** First backoff ceiling in ms; doubles per retry (full jitter). @default 50 */
  readonly baseDelayMs?: number;
  /** Largest backoff ceiling in ms. @default 5000 */
  readonly maxDelayMs?: number;
  /** Called with the number of items of each throttled write (a throttling error or unprocessed items). */
  readonly onThrottled?: (items: number) => void;
  /** Waits between attempts; tests pass a fast one. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Random source in [0, 1) for the jitter. @default Math.random */
  readonly random?: () => number;
  /** Milliseconds clock of the retry budget. @default Date.now */
  readonly clock?: () => number;
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
  /** True when the time budget ran out (retryable errors), false for an error not worth retrying. */
  readonly gaveUp: boolean;
}

interface Budget {
  readonly deadlineMs: number;
  readonly totalMs: number;
  readonly fromCaller: boolean;
}

/** Some events could not be written: the whole file must be retried. */
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

/**
 * Writes normalized events to the event table with BatchWriteItem, idempotently (docs/table.md).
 * On throttling it slows down (fewer requests in flight, backoff) and keeps retrying until the time
 * budget, taken from the caller's remaining time, is spent.
 */
export class DynamoDbEventStore implements EventSink, SingleEventSink {
  private readonly tableName: string;
  private readonly client: DynamoDBClient;
  private readonly doc: DynamoDBDocumentClient;
  private readonly retentionDays: number;
  private readonly payloadMaxBytes: number;
  private readonly now: () => Date;
  private readonly remainingTimeMs: () => number | undefined;
  private readonly reserveMs: number;
  private readonly retryBudgetMs: number;
  private readonly limit: AdaptiveLimit;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly onThrottled: (items: number) => void;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly clock: () => number;
  private readonly maxConcurrency: number;
  private contract?: Promise<void>;
  private throttled = 0;

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
    const concurrency = positiveInteger('concurrency', options.concurrency ?? 4);
    this.maxConcurrency = positiveInteger(
      'maxConcurrency',
      options.maxConcurrency ?? Math.max(16, concurrency),
    );
    this.limit = new AdaptiveLimit({ initial: concurrency, max: this.maxConcurrency });
    this.reserveMs = options.reserveMs ?? 5000;
    this.retryBudgetMs = options.retryBudgetMs ?? 120_000;
    this.remainingTimeMs = options.remainingTimeMs ?? (() => undefined);
    this.baseDelayMs = options.baseDelayMs ?? 50;
    this.maxDelayMs = options.maxDelayMs ?? 5000;
    this.onThrottled = options.onThrottled ?? (() => undefined);
    this.now = options.now ?? (() => new Date());
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
    this.clock = options.clock ?? Date.now;
    this.client = options.client ?? new DynamoDBClient({});
    this.doc = DynamoDBDocumentClient.from(this.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
  }

  /** Items whose write DynamoDB throttled since this store was made (each retry counts again). */
  get throttledWrites(): number {
    return this.throttled;
  }

  /** Writes every event (one item per pk/sk); throws EventStoreError saying how many were not written and why. */
  async putEvents(events: readonly NormalizedEvent[], source: StoredLogObjectRef): Promise<void> {
    if (events.length === 0) return;
    const budget = this.budget();
    try {
      await this.checkContract();
    } catch (err) {
      throw new EventStoreError(
        `${events.length} of ${events.length} events from ${describeObject(source)} were not written to table ${this.tableName}: ${(err as Error).message}`,
        events.length,
        events.length,
        { cause: err },
      );
    }
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
        const outcome = await this.writeBatch(batches[index] ?? [], budget);
        if (outcome.notWritten > 0) failures.push(outcome);
      }
    };
    // Every batch is attempted even when one fails, so the error can report the full count. The
    // adaptive limit, not the number of workers, decides how many requests are in flight.
    await Promise.all(Array.from({ length: Math.min(this.maxConcurrency, batches.length) }, () => worker()));

    const first = failures[0];
    if (first) {
      const notWritten = failures.reduce((sum, f) => sum + f.notWritten, 0);
      const why = first.gaveUp
        ? `the write time budget of ${budget.totalMs} ms ${budget.fromCaller ? `(the remaining time less ${this.reserveMs} ms)` : '(retryBudgetMs)'} was spent while DynamoDB throttled the writes`
        : 'DynamoDB refused the write';
      throw new EventStoreError(
        `${notWritten} of ${items.length} events from ${describeObject(source)} were not written to table ${this.tableName}: ${why}: ${describe(first.cause)}`,
        notWritten,
        items.length,
        { cause: first.cause },
      );
    }
  }

  /**
   * Writes one event unless its item exists (the EventBridge path): the log file's copy, which names
   * the file, is the better record, so a late real-time event never overwrites it. Returns whether it
   * wrote. The table's contract is checked first, as for putEvents; the SDK's own retries cover
   * throttling, and anything else fails the event.
   */
  async putEventIfAbsent(event: NormalizedEvent, source: StoredLogObjectRef): Promise<boolean> {
    const notWritten = (why: string, cause: unknown): EventStoreError =>
      new EventStoreError(
        `event ${event.eventId} from ${describeObject(source)} was not written to table ${this.tableName}: ${why}`,
        1,
        1,
        { cause },
      );
    try {
      await this.checkContract();
    } catch (err) {
      throw notWritten((err as Error).message, err);
    }
    const item = toEventItem(event, source, {
      retentionDays: this.retentionDays,
      payloadMaxBytes: this.payloadMaxBytes,
      ingestedAt: source.deliveredAt ?? this.now(),
    });
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (err) {
      if ((err as { name?: string }).name === 'ConditionalCheckFailedException') return false;
      throw notWritten(describe(err), err);
    }
  }

  // The deadline of this write: the caller's remaining time less the reserve, else the fixed budget.
  private budget(): Budget {
    const start = this.clock();
    const remaining = this.remainingTimeMs();
    const totalMs = remaining === undefined ? this.retryBudgetMs : Math.max(0, remaining - this.reserveMs);
    return { deadlineMs: start + totalMs, totalMs, fromCaller: remaining !== undefined };
  }

  // Once per store: the table must have this contract's layout, and carries its version item.
  private checkContract(): Promise<void> {
    this.contract ??= this.writeContractItem().catch((err: unknown) => {
      this.contract = undefined; // a later file tries again
      throw err;
    });
    return this.contract;
  }

  private async writeContractItem(): Promise<void> {
    let layout: TableDescription | undefined;
    try {
      layout = (await this.client.send(new DescribeTableCommand({ TableName: this.tableName }))).Table;
    } catch (err) {
      // Without DescribeTable permission the version item below still guards the table.
      if ((err as { name?: string }).name === 'ResourceNotFoundException') {
        throw new TrailwatchError('the table does not exist', { cause: err });
      }
    }
    const mismatch = layout && layoutMismatch(layout);
    if (mismatch) {
      throw new TrailwatchError(
        `it is not a trailwatch table of contract v${TABLE_CONTRACT_VERSION}: ${mismatch} (docs/table.md, "Versions")`,
      );
    }
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: contractItem(),
          ConditionExpression: 'attribute_not_exists(pk) OR contractVersion = :v',
          ExpressionAttributeValues: { ':v': TABLE_CONTRACT_VERSION },
        }),
      );
    } catch (err) {
      if ((err as { name?: string }).name === 'ConditionalCheckFailedException') {
        throw new TrailwatchError(
          `it holds another trailwatch table contract than v${TABLE_CONTRACT_VERSION} (its item ${CONTRACT_ITEM_KEY.pk}/${CONTRACT_ITEM_KEY.sk} says so); this writer writes v${TABLE_CONTRACT_VERSION}`,
          { cause: err },
        );
      }
      throw new TrailwatchError(`cannot write its contract item: ${describe(err)}`, { cause: err });
    }
  }

  // Writes one batch of at most 25 items, retrying what DynamoDB did not take until the budget is spent.
  private async writeBatch(batch: EventItem[], budget: Budget): Promise<BatchOutcome> {
    let pending: Record<string, unknown>[] = batch;
    let cause: unknown;
    for (let retry = 1; ; retry++) {
      await this.limit.acquire();
      let output: BatchWriteCommandOutput | undefined;
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
      } finally {
        this.limit.release();
      }
      if (output) {
        const unprocessed = output.UnprocessedItems?.[this.tableName] ?? [];
        pending = unprocessed.flatMap((r) => (r.PutRequest?.Item ? [r.PutRequest.Item] : []));
        if (pending.length === 0) {
          this.limit.succeeded();
          return { notWritten: 0, gaveUp: false };
        }
        cause = new Error(`DynamoDB left ${pending.length} items unprocessed (throttled)`);
      }
      this.limit.throttled();
      this.throttled += pending.length;
      this.onThrottled(pending.length);
      const wait = retryDelay({
        retry,
        baseMs: this.baseDelayMs,
        maxMs: this.maxDelayMs,
        random: this.random(),
        nowMs: this.clock(),
        deadlineMs: budget.deadlineMs,
      });
      if (wait === undefined) return { notWritten: pending.length, cause, gaveUp: true };
      await this.sleep(wait);
    }
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
