import type * as z from 'zod';
import type * as Schemas from './cloudtrail-record-schema';

// Lenient by design: real trails carry fields that appeared over a decade of event versions
// (1.01 to 1.11 today) and services add their own. Only the four fields no event can lack are
// required; every other known field is optional and unknown fields pass through untouched.

let schemas: Schemas.RecordSchemas | undefined;

/**
 * The schema of one element of a CloudTrail log file's `Records` array: the contract every record is
 * held to. Built on first use, not at load, and its module (with zod) loaded then too: building zod
 * schemas costs the function's cold start milliseconds, loading zod costs `trailwatch parse`'s worker
 * thread about 30 ms before it can take a batch, and a record takes checkCloudTrailRecord's cheap path
 * unless it needs the schema.
 */
export function cloudTrailRecordSchema(): Schemas.RecordSchemas['record'] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use (see above)
  schemas ??= (require('./cloudtrail-record-schema') as typeof Schemas).buildRecordSchemas();
  return schemas.record;
}

/** A CloudTrail record that passed the record schema. */
export type CloudTrailRecord = z.infer<Schemas.RecordSchemas['record']>;

/** The userIdentity element of a record. */
export type UserIdentity = z.infer<Schemas.RecordSchemas['userIdentity']>;
