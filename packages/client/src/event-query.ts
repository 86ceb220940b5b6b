import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type * as z from 'zod';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  QueryCommand,
  QueryCommandInput,
  QueryCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { fromEventItem, StoredEvent } from './event-item';
import type { ServiceName } from './services';
import { EVENT_INDEXES, EventIndexName, servicePartitionKeys } from './table-contract';
import { DayPartition, dayPartitions, sortKeyBounds, SortKeyBounds, TimeRange } from './time-range';
import { dynamoDbClientFor, type DynamoDbConnectionOptions } from './dynamodb-client';
import { mergeSorted } from './merge-sorted';
import { checkTableContract } from './table-contract-check';
import { ValidationError } from './validation-error';
import {
  checkFanOut,
  DEFAULT_SINCE,
  EventsQuery,
  EventsQuerySchema,
  FailuresQuery,
  FailuresQuerySchema,
  PrincipalQuery,
  PrincipalQuerySchema,
  resolveRange,
  resourceKeyFor,
  ResourceQuery,
  ResourceQuerySchema,
  servicesOf,
  validate,
} from './query-input';

/** Options of {@link EventQueryClient}: the table, how to reach DynamoDB, and paging. */
export interface EventQueryClientOptions extends DynamoDbConnectionOptions {
  /** The event table's name (the stack's `EventTableName` output). */
  readonly tableName: string;
  /** Items per Query page (DynamoDB's `Limit`); unset lets DynamoDB fill 1 MB pages. */
  readonly pageSize?: number;
  /** Clock for `since` and for the default end of a range. @default () => new Date() */
  readonly now?: () => Date;
}

type Item = Record<string, unknown>;

interface Partition {
  readonly indexName?: EventIndexName;
  readonly keyAttribute: string;
  readonly keyValue: string;
  readonly bounds?: SortKeyBounds;
}

interface Filters {
  /** Services to keep, by the pk prefix (for index queries that span services). */
  readonly services?: ServiceName[];
  readonly failed?: boolean;
}

/** BatchGetItem's limit of keys per request. */
const BATCH_GET_SIZE = 100;
/** Day partitions whose first pages are requested ahead of the day being read (each is many shards). */
const PREFETCH_DAYS = 2;

/**
 * Reads the trailwatch event table (docs/table.md). Every method validates its input (throwing a
 * ValidationError that names the field), checks once that the table holds this contract version
 * (TableContractError otherwise), queries every write shard in parallel, merges them in time order,
 * follows pagination and yields StoredEvents, newest first unless `order: 'oldest'`. Ranges are
 * inclusive at second precision.
 */
export class EventQueryClient {
  private readonly tableName: string;
  private readonly client: DynamoDBClient;
  private readonly doc: DynamoDBDocumentClient;
  private readonly pageSize?: number;
  private readonly now: () => Date;
  private readonly ownsClient: boolean;
  private contract?: Promise<void>;

  constructor(options: EventQueryClientOptions) {
    if (options.pageSize !== undefined && (!Number.isInteger(options.pageSize) || options.pageSize < 1)) {
      throw new ValidationError('pageSize', `expected a positive whole number, got ${options.pageSize}`);
    }
    if (typeof options.tableName !== 'string' || !/^[A-Za-z0-9_.-]{3,255}$/.test(options.tableName)) {
      throw new ValidationError('tableName', `'${String(options.tableName)}' is not a DynamoDB table name`);
    }
    // Built last, so that invalid options never leave a client behind.
    const { client, owned } = dynamoDbClientFor(options);
    this.tableName = options.tableName;
    this.client = client;
    this.ownsClient = owned;
    this.doc = DynamoDBDocumentClient.from(this.client);
    this.pageSize = options.pageSize;
    this.now = options.now ?? (() => new Date());
  }

  /** Closes the DynamoDB client this instance built (its open connections); a client passed in is left to its owner. */
  destroy(): void {
    if (this.ownsClient) this.client.destroy();
  }

  /** Events of one, several or all services in a time range (default: the last 24 hours), over every shard of each day. */
  events(input: EventsQuery = {}): AsyncGenerator<StoredEvent> {
    const q = validate(EventsQuerySchema, input);
    return this.days(q, { keyAttribute: 'pk' }, { failed: q.failed });
  }

  /** Failed calls in a time range (default: the last 24 hours), any service unless `service` is given: the sparse `failures` index, every shard of each day. */
  failures(input: FailuresQuery = {}): AsyncGenerator<StoredEvent> {
    const q = validate(FailuresQuerySchema, input);
    return this.days(q, { indexName: 'failures', keyAttribute: EVENT_INDEXES.failures.partitionKey }, {});
  }

  /** What one principal ARN did (the `byPrincipal` index); whole history unless a range is given. */
  byPrincipal(input: PrincipalQuery): AsyncGenerator<StoredEvent> {
    const q = validate(PrincipalQuerySchema, input);
    return this.lookup('byPrincipal', q.principalArn, q);
  }

  /** The history of one resource in one account and region (the `byResource` index, keyed by the event's first resource); whole history unless a range is given. */
  byResource(input: ResourceQuery): AsyncGenerator<StoredEvent> {
    const q = validate(ResourceQuerySchema, input);
    return this.lookup('byResource', resourceKeyFor(q.resource), q);
  }

  // Every shard of every day of a range, on the table or on an index keyed like it (`failures`):
  // the days one after the other, each day's shards in parallel, merged in sort-key order. An index
  // carries part of each item, so its entries are fetched whole, in order.
  private days(
    q: z.output<typeof FailuresQuerySchema>,
    on: { readonly indexName?: EventIndexName; readonly keyAttribute: string },
    filters: Filters,
  ): AsyncGenerator<StoredEvent> {
    const range = resolveRange(q, this.now(), DEFAULT_SINCE) as TimeRange;
    checkFanOut(range);
    const services = servicesOf(q.service);
    const descending = q.order === 'newest';
    const days = dayPartitions(range);
    if (descending) days.reverse();
    const open = ({ day, bounds }: DayPartition): AsyncGenerator<Item> =>
      this.merged(
        services.flatMap((service) => servicePartitionKeys(service, day)),
        (key, pageLimit, limit) =>
          this.partition({ ...on, keyValue: key, bounds }, filters, descending, pageLimit, limit),
        descending,
        q.limit,
      );
    if (on.indexName === undefined) return this.run(() => dayByDay(days, open), q.limit);
    const chunk = q.limit === undefined ? BATCH_GET_SIZE : Math.min(q.limit, BATCH_GET_SIZE);
    return this.run(() => this.hydrated(dayByDay(days, open), chunk), q.limit);
  }

  // Checks the contract once, then yields the items as StoredEvents, at most `limit` of them.
  private async *run(
    start: () => AsyncGenerator<Item>,
    limit: number | undefined,
  ): AsyncGenerator<StoredEvent> {
    this.contract ??= checkTableContract(this.client, this.doc, this.tableName).catch((err: unknown) => {
      this.contract = undefined;
      throw err;
    });
    await this.contract;
    for await (const item of limited(start(), limit)) yield fromEventItem(item);
  }

  // A lookup index (one partition, whole history unless a range is given): its entries page by
  // page, each page's items fetched whole.
  private lookup(
    indexName: 'byPrincipal' | 'byResource',
    keyValue: string,
    q: z.output<typeof EventsQuerySchema>,
  ): AsyncGenerator<StoredEvent> {
    const range = resolveRange(q, this.now(), undefined);
    const p: Partition = {
      indexName,
      keyAttribute: EVENT_INDEXES[indexName].partitionKey,
      keyValue,
      bounds: range && sortKeyBounds(range),
    };
    const filters = {
      services: q.service === undefined ? undefined : servicesOf(q.service),
      failed: q.failed,
    };
    const pageLimit = q.limit === undefined ? undefined : Math.min(q.limit, BATCH_GET_SIZE);
    return this.run(
      () =>
        this.hydrated(
          this.partition(p, filters, q.order === 'newest', pageLimit),
          pageLimit ?? BATCH_GET_SIZE,
        ),
      q.limit,
    );
  }

  // Index keys in order, fetched whole a chunk at a time (no larger than the limit needs).
  private async *hydrated(keys: AsyncGenerator<Item>, chunkSize: number): AsyncGenerator<Item> {
    let chunk: Item[] = [];
    for await (const key of keys) {
      chunk.push(key);
      if (chunk.length === chunkSize) {
        yield* await this.fetch(chunk);
        chunk = [];
      }
    }
    if (chunk.length > 0) yield* await this.fetch(chunk);
  }

  // The whole items of index keys, in the keys' order (BatchGetItem answers in any order).
  private async fetch(keys: readonly Item[]): Promise<Item[]> {
    const id = (item: Item) => `${String(item.pk)}\u0000${String(item.sk)}`;
    const found = new Map<string, Item>();
    let pending: Item[] = keys.map((k) => ({ pk: k.pk, sk: k.sk }));
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** attempt)));
      if (attempt > 10)
        throw new Error(`BatchGetItem left ${pending.length} keys unprocessed after ${attempt} attempts`);
      const out = await this.doc.send(
        new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: pending } } }),
      );
      for (const item of out.Responses?.[this.tableName] ?? []) found.set(id(item), item);
      pending = (out.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Item[];
    }
    // A key whose item was deleted (TTL) between the index read and the fetch is skipped.
    return keys.flatMap((k): Item[] => {
      const item = found.get(id(k));
      return item ? [item] : [];
    });
  }

  // The shards of one day (or any set of partitions) read in parallel and merged in sort-key order.
  private merged(
    keys: readonly string[],
    open: (key: string, pageLimit: number | undefined, limit: number | undefined) => AsyncGenerator<Item>,
    descending: boolean,
    limit: number | undefined,
  ): AsyncGenerator<Item> {
    // Events spread evenly over the shards, so a first page of limit/shards (plus two) from each
    // covers the limit with few items read in vain; a shard that runs short is read on.
    const pageLimit = limit === undefined ? undefined : Math.min(limit, Math.ceil(limit / keys.length) + 2);
    const streams = keys.map((key) => open(key, pageLimit, limit));
    return streams.length === 1
      ? (streams[0] as AsyncGenerator<Item>)
      : mergeSorted(streams, sortKeyOf, descending);
  }

  // One partition (of the table or an index), page after page, in sort-key order.
  private partition(
    p: Partition,
    filters: Filters,
    descending: boolean,
    firstPageLimit: number | undefined,
    limit: number | undefined = firstPageLimit,
  ): AsyncGenerator<Item> {
    const names: Record<string, string> = { '#key': p.keyAttribute };
    const values: Record<string, unknown> = { ':key': p.keyValue };
    let keyCondition = '#key = :key';
    if (p.bounds) {
      names['#sk'] = 'sk';
      values[':lower'] = p.bounds.lower;
      values[':upper'] = p.bounds.upper;
      keyCondition += ' AND #sk BETWEEN :lower AND :upper';
    }
    const conditions: string[] = [];
    if (filters.services && filters.services.length < 4) {
      // The pk starts with the service, and every index carries the table's keys.
      names['#pk'] = 'pk';
      const alternatives = filters.services.map((s, i) => {
        values[`:service${i}`] = `${s}#`;
        return `begins_with(#pk, :service${i})`;
      });
      conditions.push(`(${alternatives.join(' OR ')})`);
    }
    if (filters.failed !== undefined) {
      names['#failed'] = 'failed';
      values[':failed'] = filters.failed;
      conditions.push('#failed = :failed');
    }
    const input: QueryCommandInput = {
      TableName: this.tableName,
      IndexName: p.indexName,
      KeyConditionExpression: keyCondition,
      FilterExpression: conditions.length > 0 ? conditions.join(' AND ') : undefined,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ScanIndexForward: !descending,
    };
    const firstLimit = minDefined(this.pageSize, firstPageLimit);
    // Later pages are needed only when a shard holds more than its share: the second is as small as
    // the first (most shards need only a few more), then they double up to the limit.
    const cap = minDefined(this.pageSize, limit);
    const pageLimits = (function* () {
      yield minDefined(cap, firstLimit);
      for (let size = firstLimit; ; size = size === undefined ? undefined : size * 2)
        yield minDefined(cap, size);
    })();
    // The first page is requested now, so partitions opened together (see dayByDay) load in parallel.
    const first = this.doc.send(new QueryCommand({ ...input, Limit: pageLimits.next().value }));
    // Handled where it is awaited; this only keeps a never-read prefetch from being an unhandled rejection.
    first.catch(() => undefined);
    return this.pages(input, first, pageLimits);
  }

  private async *pages(
    input: QueryCommandInput,
    first: Promise<QueryCommandOutput>,
    pageLimits: Iterator<number | undefined>,
  ): AsyncGenerator<Item> {
    let page = await first;
    for (;;) {
      for (const item of page.Items ?? []) yield item;
      if (!page.LastEvaluatedKey) return;
      const Limit = pageLimits.next().value as number | undefined;
      page = await this.doc.send(
        new QueryCommand({ ...input, Limit, ExclusiveStartKey: page.LastEvaluatedKey }),
      );
    }
  }
}

// Yields the day streams in order, opening the next day early so its first pages load meanwhile.
async function* dayByDay(
  days: readonly DayPartition[],
  open: (day: DayPartition) => AsyncGenerator<Item>,
): AsyncGenerator<Item> {
  const opened: AsyncGenerator<Item>[] = [];
  try {
    for (let i = 0; i < days.length; i++) {
      while (opened.length < Math.min(days.length, i + PREFETCH_DAYS)) {
        opened.push(open(days[opened.length] as DayPartition));
      }
      yield* opened[i] as AsyncGenerator<Item>;
    }
  } finally {
    // Stopped early (a limit): days opened ahead release their streams too.
    await Promise.all(opened.map((stream) => stream.return(undefined)));
  }
}

function sortKeyOf(item: Item): string {
  // The table's own sort key (`<second>#<eventId>`): each shard comes back in this order.
  return String(item.sk);
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

async function* limited<T>(source: AsyncGenerator<T>, limit: number | undefined): AsyncGenerator<T> {
  if (limit === undefined) {
    yield* source;
    return;
  }
  let count = 0;
  if (limit <= 0) return;
  for await (const value of source) {
    yield value;
    if (++count >= limit) return;
  }
}
