// The event table's contract lives in the client package (packages/client), so that the writer and
// every reader share one copy; this module re-exports its part for the app's own imports.
export {
  TABLE_CONTRACT_VERSION,
  TABLE_KEYS,
  SERVICE_SHARDS,
  EVENT_INDEXES,
  TTL_ATTRIBUTE,
  CONTRACT_ITEM_KEY,
  contractItem,
  contractItemAttributes,
  shardOf,
  fnv1a32,
  eventPartitionKey,
  servicePartitionKeys,
  resourceKeyOf,
  layoutMismatch,
  type IndexProjection,
  type EventIndexSpec,
  type EventIndexName,
  type ContractItem,
  type ContractAttributeValue,
  type DescribedLayout,
} from '@trailwatch/client/contract';
