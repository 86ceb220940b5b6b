import { encodeS3EventKey } from '../lambdas/core/s3-event';

/**
 * Rewrites an S3 notification produced by s3rver into what real S3 sends: s3rver puts the key in
 * as stored, S3 URL-encodes it (`+` for a space, `%2B` for a plus). Anything else passes unchanged.
 */
export function asRealS3Notification(event: unknown): unknown {
  if (typeof event !== 'object' || event === null || !Array.isArray((event as { Records?: unknown }).Records))
    return event;
  const records = (event as { Records: unknown[] }).Records.map((record) => {
    const object = (record as { s3?: { object?: { key?: unknown } } }).s3?.object;
    if (!object || typeof object.key !== 'string') return record;
    const r = record as { s3: Record<string, unknown> & { object: Record<string, unknown> } };
    return { ...r, s3: { ...r.s3, object: { ...r.s3.object, key: encodeS3EventKey(object.key) } } };
  });
  return { ...event, Records: records };
}
