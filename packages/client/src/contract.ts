/**
 * `@trailwatch/client/contract`: the event table's contract, shared by the trailwatch writer and every
 * reader so the two cannot drift: contract version, key, shard and index names, the event schema and
 * the item codec, the day partitions of a time range. Pure: zod only, no AWS SDK (docs/table.md).
 */
export * from './errors';
export * from './services';
export * from './normalized-event';
export * from './table-contract';
export * from './event-item';
export * from './time-range';
export * from './resource-types';
