import type { ServiceName } from './services';

// The event table's contract (docs/table.md): version, key and index names, shard counts and key
// builders. Pure and free of the AWS SDK and of writer-only code, so that readers in other packages
// (the query library, the client package) share it unchanged with the writer.

/** Version of the table layout this code reads and writes; stored in the table's contract item. */
export const TABLE_CONTRACT_VERSION = 1;

/** Partition and sort key attributes of the table. */
export const TABLE_KEYS = { partition: 'pk', sort: 'sk' } as const;

/**
 * Write shards per service-day: the fixed number of partition keys one service's events of one UTC
 * day are spread over (`<service>#<day>#<shard>`, shard 00..n-1). Part of the contract: a reader
 * queries every shard, so changing a count is a new contract version.
 */
export const SERVICE_SHARDS: Readonly<Record<ServiceName, number>> = {
  glue: 32,
  athena: 16,
  emr: 8,
  batch: 8,
};

/** How much of an item an index carries (DynamoDB's projection types). */
export type IndexProjection = 'ALL' | 'INCLUDE';

/** One global secondary index of the event table. */
export interface EventIndexSpec {
  /** Partition key attribute (S); every index is sorted by `sk`. */
  readonly partitionKey: string;
  /** INCLUDE indexes carry the keys and `include` only; the query library fetches the items with BatchGetItem. */
  readonly projection: IndexProjection;
  /** Non-key attributes an INCLUDE index carries. */
  readonly include?: readonly string[];
}

/**
 * The event table's indexes, each projecting what its readers filter and show, so that each index
 * write stays one write unit whatever the size of the event; the query library fetches the whole
 * items from the table (BatchGetItem). `failures` carries what a dashboard of failed calls lists
 * (who, what, when, which error); the two lookup indexes carry `failed`, so a query for one
 * principal's or resource's failures filters in the index.
 */
export const EVENT_INDEXES = {
  failures: {
    partitionKey: 'failurePk',
    projection: 'INCLUDE',
    include: [
      'service',
      'eventSource',
      'eventName',
      'eventTime',
      'accountId',
      'region',
      'principalArn',
      'failed',
      'errorCode',
      'errorMessage',
    ],
  },
  byPrincipal: { partitionKey: 'principalArn', projection: 'INCLUDE', include: ['failed'] },
  byResource: { partitionKey: 'resourceKey', projection: 'INCLUDE', include: ['failed'] },
} as const satisfies Record<string, EventIndexSpec>;

/** Name of one of the event table's indexes. */
export type EventIndexName = keyof typeof EVENT_INDEXES;

/** The TTL attribute (epoch seconds). */
export const TTL_ATTRIBUTE = 'expiresAt';

/**
 * Key of the contract item: the one item that is not an event. It says which contract version the
 * table holds, so a reader fails clearly on a table of another version instead of reading it wrong.
 */
export const CONTRACT_ITEM_KEY = { pk: 'trailwatch#contract', sk: 'version' } as const;

/** The contract item's attributes. */
export interface ContractItem {
  readonly pk: typeof CONTRACT_ITEM_KEY.pk;
  readonly sk: typeof CONTRACT_ITEM_KEY.sk;
  readonly contractVersion: number;
  readonly shards: Record<ServiceName, number>;
}

/** The contract item of this version. */
export function contractItem(): ContractItem {
  return { ...CONTRACT_ITEM_KEY, contractVersion: TABLE_CONTRACT_VERSION, shards: { ...SERVICE_SHARDS } };
}

/** A DynamoDB attribute value of the contract item, in the API's own JSON form. */
export type ContractAttributeValue =
  { S: string } | { N: string } | { M: Record<string, ContractAttributeValue> };

/**
 * The contract item in DynamoDB's JSON form (`{"S": ...}`, `{"N": ...}`), for writers without a
 * document client: the stack puts it when it creates the table (lib/table-contract-item.ts).
 */
export function contractItemAttributes(): Record<keyof ContractItem, ContractAttributeValue> {
  const item = contractItem();
  return {
    pk: { S: item.pk },
    sk: { S: item.sk },
    contractVersion: { N: String(item.contractVersion) },
    shards: {
      M: Object.fromEntries(Object.entries(item.shards).map(([service, n]) => [service, { N: String(n) }])),
    },
  };
}

/** Shard of an event, `0 <= shard < SERVICE_SHARDS[service]`: the FNV-1a hash of its eventId modulo the count. */
export function shardOf(service: ServiceName, eventId: string): number {
  return fnv1a32(eventId) % SERVICE_SHARDS[service];
}

/**
 * 32-bit FNV-1a over the UTF-16 code units of `text` (eventIds are ASCII, so over its bytes): small,
 * fast, well spread, and easy to reimplement in any language a reader of the table uses.
 */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** Partition key `<service>#<YYYY-MM-DD>#<shard, two digits>`, e.g. `glue#2017-10-11#07`. */
export function eventPartitionKey(service: ServiceName, day: string, shard: number): string {
  return `${service}#${day}#${String(shard).padStart(2, '0')}`;
}

/** Every partition key of one service-day, in shard order: the Queries that read that day whole. */
export function servicePartitionKeys(service: ServiceName, day: string): string[] {
  return Array.from({ length: SERVICE_SHARDS[service] }, (_, shard) =>
    eventPartitionKey(service, day, shard),
  );
}

/**
 * `byResource` partition key `<accountId>#<region>#<type>#<id>`. Every resource type of the four
 * services is regional, and names such as `default` or `primary` exist in every account, so the
 * account and region are part of the key.
 */
export function resourceKeyOf(resource: {
  accountId?: string;
  region?: string;
  type: string;
  id: string;
}): string {
  // An event without an account or region (never seen from CloudTrail) leaves that part empty.
  return `${resource.accountId ?? ''}#${resource.region ?? ''}#${resource.type}#${resource.id}`;
}

/** The parts of a DescribeTable answer the layout check reads (structural, so no SDK type is needed). */
export interface DescribedLayout {
  readonly KeySchema?: readonly { AttributeName?: string; KeyType?: string }[];
  readonly GlobalSecondaryIndexes?: readonly {
    IndexName?: string;
    KeySchema?: readonly { AttributeName?: string; KeyType?: string }[];
  }[];
}

/**
 * Why a table's key schema is not this contract's, or undefined when it is. A v0 table is named as
 * such (its `failures` index is keyed by `failureDay`), so the error can point at the move from v0.
 */
export function layoutMismatch(table: DescribedLayout): string | undefined {
  const hash = (keys: DescribedLayout['KeySchema']) => keys?.find((k) => k.KeyType === 'HASH')?.AttributeName;
  if (hash(table.KeySchema) !== TABLE_KEYS.partition) return 'its partition key is not pk';
  const indexes = new Map((table.GlobalSecondaryIndexes ?? []).map((i) => [i.IndexName, hash(i.KeySchema)]));
  if (indexes.get('failures') === 'failureDay')
    return 'it has the v0 layout (failures index keyed by failureDay)';
  for (const [name, spec] of Object.entries(EVENT_INDEXES)) {
    const key = indexes.get(name);
    if (key !== spec.partitionKey) {
      return key === undefined
        ? `it has no ${name} index`
        : `its ${name} index is keyed by ${key}, not ${spec.partitionKey}`;
    }
  }
  return undefined;
}
