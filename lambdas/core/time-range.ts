// The event table's contract lives in the client package (packages/client), so that the writer and
// every reader share one copy; this module re-exports its part for the app's own imports.
export {
  parseDuration,
  parseInstant,
  isoSecond,
  sortKeyBounds,
  utcDays,
  dayPartitions,
  dayCount,
  type TimeRange,
  type Parsed,
  type SortKeyBounds,
  type DayPartition,
} from '@trailwatch/client/contract';
