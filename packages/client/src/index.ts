/**
 * `@trailwatch/client`: typed, validated reads of the trailwatch event table for other services
 * (packages/client/README.md). The table contract itself is `@trailwatch/client/contract`.
 */
export { EventQueryClient } from './event-query';
export type { EventQueryClientOptions } from './event-query';
export type { DynamoDbConnectionOptions } from './dynamodb-client';
export { ValidationError } from './validation-error';
export { MAX_RANGE_DAYS, DEFAULT_SINCE } from './query-input';
export type { EventsQuery, FailuresQuery, PrincipalQuery, ResourceQuery } from './query-input';
export type { StoredEvent, LogObjectRef } from './event-item';
export { EventItemError } from './event-item';
export { TableContractError } from './table-contract-check';
export { TrailwatchError } from './errors';
export {
  EVENT_INDEXES,
  resourceKeyOf,
  SERVICE_SHARDS,
  servicePartitionKeys,
  TABLE_CONTRACT_VERSION,
} from './table-contract';
export { SERVICE_NAMES } from './services';
export type { ServiceName } from './services';
export type { NormalizedEvent, Principal, ResourceRef } from './normalized-event';

/** Collects an async iterator into an array (convenient for small, limited queries). */
export async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const value of source) out.push(value);
  return out;
}
