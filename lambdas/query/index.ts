/**
 * The trailwatch query library: typed, validated reads of the event table for other services.
 * See docs/table.md for the table layout and README "Querying the table" for examples.
 */
export { EventQueryClient } from './event-query';
export type { EventQueryClientOptions } from './event-query';
export { ValidationError } from './validation-error';
export { MAX_RANGE_DAYS, DEFAULT_SINCE } from './query-input';
export type { EventsQuery, FailuresQuery, PrincipalQuery, ResourceQuery } from './query-input';
export type { StoredEvent } from '../core/event-item';
export { EventItemError } from '../core/event-item';
export { TableContractError } from './table-contract-check';
export {
  EVENT_INDEXES,
  resourceKeyOf,
  SERVICE_SHARDS,
  servicePartitionKeys,
  TABLE_CONTRACT_VERSION,
} from '../core/table-contract';
export type { ServiceName } from '../core/services';

/** Collects an async iterator into an array (convenient for small, limited queries). */
export async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const value of source) out.push(value);
  return out;
}
