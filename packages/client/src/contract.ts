export {
  EVENT_TABLE_INDEXES,
  eventTableDefinition,
  EVENT_TABLE_TTL_ATTRIBUTE,
} from '../../../lambdas/adapters/table-definitions';
export * from '../../../lambdas/core/event-item';
export * from '../../../lambdas/core/services';
