// The event table's contract lives in the client package (packages/client), so that the writer and
// every reader share one copy; this module re-exports its part for the app's own imports.
export {
  DEFAULT_RETENTION_DAYS,
  DEFAULT_PAYLOAD_MAX_BYTES,
  MAX_PAYLOAD_MAX_BYTES,
  EventItemSchema,
  EventItemError,
  utcDayOf,
  eventSortKey,
  toEventItem,
  fromEventItem,
  utf8Length,
  truncateUtf8,
  type EventItem,
  type EventItemOptions,
  type LogObjectRef,
  type StoredEvent,
} from '@trailwatch/client/contract';
