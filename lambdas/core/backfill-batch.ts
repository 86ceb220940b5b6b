/**
 * The distributed backfill's queue message (version 1): one batch of log object keys of one bucket,
 * enqueued by `trailwatch backfill --on-aws` and consumed by the backfill function. The contract
 * between the CLI, the queue (lib/) and the function; docs/operations.md describes it.
 */
import * as z from 'zod';
import { TrailwatchError } from './errors';

/** The `kind` every batch message carries, so a queue's reader can tell it from an S3 event. */
export const BACKFILL_BATCH_KIND = 'trailwatch.backfill-batch';

/** The message version this code writes and reads. */
export const BACKFILL_BATCH_VERSION = 1;

/**
 * Keys per message. One message is one unit of retry and must fit one invocation with room to spare:
 * CloudTrail files are up to a few MB gzipped, and the handler measured about 1.7 MB of gzipped log
 * per second at 1024 MB (README, bench --handler), so 20 files of 5 MB take about a minute, well
 * under half the function's 300 s timeout; most files are tens of KB, where 20 keys amortize the
 * invocation. The body stays far under SQS's 256 KB (20 keys of at most 1,024 bytes each).
 */
export const BACKFILL_BATCH_MAX_KEYS = 20;

/** SQS's limit on a message body, in bytes. */
export const SQS_MAX_BODY_BYTES = 256 * 1024;

// Ids are written to logs and the checkpoint: short, printable, no separators of their own.
const RUN_ID = /^[A-Za-z0-9_.-]{1,128}$/;

/** The schema of a batch message body, version 1. */
export const BackfillBatchSchema = z.strictObject({
  kind: z.literal(BACKFILL_BATCH_KIND, `expected '${BACKFILL_BATCH_KIND}'`),
  version: z.literal(BACKFILL_BATCH_VERSION, `expected ${BACKFILL_BATCH_VERSION}`),
  runId: z.string('expected a string').regex(RUN_ID, 'expected 1-128 letters, digits, _ . -'),
  bucket: z.string('expected a string').min(3, 'expected a bucket name').max(255, 'expected a bucket name'),
  keys: z
    .array(
      z.string('expected a string').min(1, 'expected a non-empty key').max(1024, 'longer than S3 allows'),
    )
    .min(1, 'expected at least one key')
    .max(BACKFILL_BATCH_MAX_KEYS, `expected at most ${BACKFILL_BATCH_MAX_KEYS} keys`),
});

/** One batch message: the keys of one bucket a backfill run asks the function to process. */
export type BackfillBatch = z.infer<typeof BackfillBatchSchema>;

/** A message body is not a valid batch; the message names the field and the reason. */
export class BackfillBatchError extends TrailwatchError {}

/** The JSON body of a batch (validated first: a bad batch is refused before it reaches the queue). */
export function encodeBackfillBatch(batch: BackfillBatch): string {
  const parsed = BackfillBatchSchema.safeParse(batch);
  if (!parsed.success) throw new BackfillBatchError(`backfill batch: ${firstIssue(parsed.error)}`);
  const body = JSON.stringify(parsed.data);
  if (Buffer.byteLength(body) > SQS_MAX_BODY_BYTES)
    throw new BackfillBatchError(
      `backfill batch: body of ${Buffer.byteLength(body)} bytes exceeds SQS's 256 KB`,
    );
  return body;
}

/** Reads a message body; throws BackfillBatchError naming the first bad field. */
export function decodeBackfillBatch(body: string | undefined): BackfillBatch {
  if (body === undefined || body.trim() === '')
    throw new BackfillBatchError('backfill batch: empty message body');
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (err) {
    throw new BackfillBatchError('backfill batch: the message body is not JSON', { cause: err });
  }
  const parsed = BackfillBatchSchema.safeParse(json);
  if (!parsed.success) throw new BackfillBatchError(`backfill batch: ${firstIssue(parsed.error)}`);
  return parsed.data;
}

/** True when a parsed JSON value claims to be a batch message (whatever its version or validity). */
export function looksLikeBackfillBatch(json: unknown): boolean {
  return (
    typeof json === 'object' && json !== null && (json as { kind?: unknown }).kind === BACKFILL_BATCH_KIND
  );
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  const path = issue.path.length > 0 ? issue.path.map(String).join('.') : 'body';
  return `${path}: ${issue.message}`;
}
