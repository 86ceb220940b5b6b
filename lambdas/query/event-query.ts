import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  QueryCommand,
  QueryCommandInput,
  QueryCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { eventPartitionKey, eventSortKey, fromEventItem, StoredEvent } from '../core/event-item';
import type { ServiceName } from '../core/services';
import { DayPartition, dayPartitions, sortKeyBounds, SortKeyBounds, TimeRange } from '../core/time-range';
import { EVENT_TABLE_INDEXES, EventTableIndex } from '../adapters/table-definitions';
import { mergeSorted } from './merge-sorted';
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

/** Options of {@link EventQueryClient}. */
export interface EventQueryClientOptions {
  readonly tableName: string;
  /** @default a new DynamoDBClient from the environment */
  readonly client?: DynamoDBClient;
  /** Items per Query page (DynamoDB's `Limit`); unset lets DynamoDB fill 1 MB pages. */
  readonly pageSize?: number;
  /** Clock for `since` and for the default end of a range. @default () => new Date() */
  readonly now?: () => Date;
}

interface Partition {
  readonly indexName?: EventTableIndex;
  readonly keyAttribute: string;
  readonly keyValue: string;
  readonly bounds?: SortKeyBounds;
}

interface Filters {
  readonly services?: ServiceName[];
  readonly failed?: boolean;
}

/**
 * Reads the trailwatch event table (docs/table.md). Every method validates its input (throwing a
 * ValidationError that names the field), follows DynamoDB pagination and yields StoredEvents in
 * time order, newest first unless `order: 'oldest'`. Ranges are inclusive at second precision.
 */
export class EventQueryClient {
  private readonly tableName: string;
  private readonly doc: DynamoDBDocumentClient;
  private readonly pageSize?: number;
  private readonly now: () => Date;

  constructor(options: EventQueryClientOptions) {
    this.tableName = options.tableName;
    this.doc = DynamoDBDocumentClient.from(options.client ?? new DynamoDBClient({}));
    if (options.pageSize !== undefined && (!Number.isInteger(options.pageSize) || options.pageSize < 1)) {
      throw new ValidationError('pageSize', `expected a positive whole number, got ${options.pageSize}`);
    }
    if (!/^[A-Za-z0-9_.-]{3,255}$/.test(options.tableName)) {
      throw new ValidationError('tableName', `'${options.tableName}' is not a DynamoDB table name`);
    }
    this.pageSize = options.pageSize;
    this.now = options.now ?? (() => new Date());
  }

  /** Events of one, several or all services in a time range (default: the last 24 hours), over the day partitions. */
  events(input: EventsQuery = {}): AsyncGenerator<StoredEvent> {
    const q = validate(EventsQuerySchema, input);
    const range = resolveRange(q, this.now(), DEFAULT_SINCE) as TimeRange;
    checkFanOut(range);
    const services = servicesOf(q.service);
    const descending = q.order === 'newest';
    const days = dayPartitions(range);
    if (descending) days.reverse();
    const filters: Filters = { failed: q.failed };
    // One partition per service and day: merging the services keeps each day in time order.
    const open = ({ day, bounds }: DayPartition): AsyncGenerator<StoredEvent> => {
      const streams = services.map((service) =>
        this.partition(
          { keyAttribute: 'pk', keyValue: eventPartitionKey(service, day), bounds },
          filters,
          descending,
        ),
      );
      return streams.length === 1
        ? (streams[0] as AsyncGenerator<StoredEvent>)
        : mergeSorted(streams, sortKey, descending);
    };
    return limited(dayByDay(days, open), q.limit);
  }

  /** Failed calls in a time range (default: the last 24 hours), any service unless `service` is given: the `failures` index, one Query per UTC day. */
  failures(input: FailuresQuery = {}): AsyncGenerator<StoredEvent> {
    const q = validate(FailuresQuerySchema, input);
    const range = resolveRange(q, this.now(), DEFAULT_SINCE) as TimeRange;
    checkFanOut(range);
    const descending = q.order === 'newest';
    const days = dayPartitions(range);
    if (descending) days.reverse();
    const filters: Filters = { services: q.service === undefined ? undefined : servicesOf(q.service) };
    const open = ({ day, bounds }: DayPartition): AsyncGenerator<StoredEvent> =>
      this.partition(
        { indexName: 'failures', keyAttribute: EVENT_TABLE_INDEXES.failures, keyValue: day, bounds },
        filters,
        descending,
      );
    return limited(dayByDay(days, open), q.limit);
  }

  /** What one principal ARN did (the `byPrincipal` index); whole history unless a range is given. */
  byPrincipal(input: PrincipalQuery): AsyncGenerator<StoredEvent> {
    const q = validate(PrincipalQuerySchema, input);
    const range = resolveRange(q, this.now(), undefined);
    return limited(
      lazily(() =>
        this.partition(
          {
            indexName: 'byPrincipal',
            keyAttribute: EVENT_TABLE_INDEXES.byPrincipal,
            keyValue: q.principalArn,
            bounds: range && sortKeyBounds(range),
          },
          { services: q.service === undefined ? undefined : servicesOf(q.service), failed: q.failed },
          q.order === 'newest',
        ),
      ),
      q.limit,
    );
  }

  /** The history of one resource (the `byResource` index, keyed by the event's first resource); whole history unless a range is given. */
  byResource(input: ResourceQuery): AsyncGenerator<StoredEvent> {
    const q = validate(ResourceQuerySchema, input);
    const range = resolveRange(q, this.now(), undefined);
    return limited(
      lazily(() =>
        this.partition(
          {
            indexName: 'byResource',
            keyAttribute: EVENT_TABLE_INDEXES.byResource,
            keyValue: resourceKeyFor(q.resource),
            bounds: range && sortKeyBounds(range),
          },
          { services: q.service === undefined ? undefined : servicesOf(q.service), failed: q.failed },
          q.order === 'newest',
        ),
      ),
      q.limit,
    );
  }

  // One partition (of the table or an index), page after page, in sort-key order.
  private partition(p: Partition, filters: Filters, descending: boolean): AsyncGenerator<StoredEvent> {
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
      names['#service'] = 'service';
      const placeholders = filters.services.map((s, i) => {
        values[`:service${i}`] = s;
        return `:service${i}`;
      });
      conditions.push(`#service IN (${placeholders.join(', ')})`);
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
      Limit: this.pageSize,
    };
    // The first page is requested now, so partitions opened ahead of time (see dayByDay) load in parallel.
    const first = this.doc.send(new QueryCommand(input));
    // Handled where it is awaited; this only keeps a never-read prefetch from being an unhandled rejection.
    first.catch(() => undefined);
    return this.pages(input, first);
  }

  private async *pages(
    input: QueryCommandInput,
    first: Promise<QueryCommandOutput>,
  ): AsyncGenerator<StoredEvent> {
    let page = await first;
    for (;;) {
      for (const item of page.Items ?? []) yield fromEventItem(item);
      if (!page.LastEvaluatedKey) return;
      page = await this.doc.send(new QueryCommand({ ...input, ExclusiveStartKey: page.LastEvaluatedKey }));
    }
  }
}

/** Days whose first pages are requested ahead of the day being read: latency overlaps, memory stays bounded. */
const PREFETCH_DAYS = 3;

// Yields the day streams in order, opening the next few days early so their first pages load meanwhile.
async function* dayByDay(
  days: readonly DayPartition[],
  open: (day: DayPartition) => AsyncGenerator<StoredEvent>,
): AsyncGenerator<StoredEvent> {
  const opened: AsyncGenerator<StoredEvent>[] = [];
  for (let i = 0; i < days.length; i++) {
    while (opened.length < Math.min(days.length, i + PREFETCH_DAYS)) {
      opened.push(open(days[opened.length] as DayPartition));
    }
    yield* opened[i] as AsyncGenerator<StoredEvent>;
  }
}

// Defers the first request until the caller starts iterating.
async function* lazily<T>(start: () => AsyncGenerator<T>): AsyncGenerator<T> {
  yield* start();
}

function sortKey(event: StoredEvent): string {
  // The table's own sort key, so merging streams keeps the order each one comes back in.
  return eventSortKey(event.eventTime, event.eventId);
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
