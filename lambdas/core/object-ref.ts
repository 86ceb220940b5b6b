import type { LogObjectRef } from './ports';

/** The bucket of a LogObjectRef that names a local file (`trailwatch ingest`); not a valid bucket name. */
export const LOCAL_FILE_BUCKET = 'file:';

/** `s3://bucket/key`, or `file:///path` for a local file. */
export function describeObject(ref: LogObjectRef): string {
  if (ref.bucket === LOCAL_FILE_BUCKET) return `file://${ref.key.startsWith('/') ? '' : '/'}${ref.key}`;
  return `s3://${ref.bucket}/${ref.key}`;
}
