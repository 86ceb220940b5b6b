import type { LogObjectRef } from './ports';

/** The bucket of a LogObjectRef that names a local file (`trailwatch ingest`); not a valid bucket name. */
export const LOCAL_FILE_BUCKET = 'file:';

/**
 * The bucket of a LogObjectRef that names an EventBridge event (the real-time path; the key is the
 * EventBridge event's id); not a valid bucket name, so it can never be mistaken for a log file.
 */
export const EVENTBRIDGE_BUCKET = 'eventbridge:';

/** Which path brought an event: the log files in S3, or EventBridge (docs/alerts.md#two-paths). */
export type DeliveryPath = 's3' | 'eventbridge';

/** The path of a source: `eventbridge` for an EventBridge event, `s3` for a log file (local files too). */
export function deliveryPathOf(ref: LogObjectRef): DeliveryPath {
  return ref.bucket === EVENTBRIDGE_BUCKET ? 'eventbridge' : 's3';
}

/** `s3://bucket/key`, `file:///path` for a local file, `eventbridge:<id>` for an EventBridge event. */
export function describeObject(ref: LogObjectRef): string {
  if (ref.bucket === LOCAL_FILE_BUCKET) return `file://${ref.key.startsWith('/') ? '' : '/'}${ref.key}`;
  if (ref.bucket === EVENTBRIDGE_BUCKET) return `eventbridge:${ref.key}`;
  return `s3://${ref.bucket}/${ref.key}`;
}
