import { TrailwatchError } from '../core/errors';
import { describeObject, ObjectProcessingError } from '../core/pipeline';
import type { ObjectSummary } from '../core/ports';
import { parseIngestEvent } from '../core/s3-event';
import { SILENT_OBSERVER, type IngestObserver } from './ingest-observer';
import type { LogObjectProcessor, ProcessOptions } from './object-processor';

/** One object that could not be processed, as the aggregate error lists it. */
export interface FailedObject {
  readonly bucket: string;
  readonly key: string;
  readonly message: string;
}

/** Some objects of an event failed at file level; every object was attempted first. Names each failed one. */
export class IngestFailedError extends TrailwatchError {
  constructor(
    readonly failures: readonly FailedObject[],
    readonly attempted: number,
    causes: readonly unknown[],
  ) {
    super(`${failures.length} of ${attempted} log objects failed: ${listFailures(failures)}`, {
      cause: causes.length === 1 ? causes[0] : new AggregateError(causes, 'failed log objects'),
    });
  }
}

/** Failures named in full in IngestFailedError's message; each object's own log line names the rest. */
export const FAILURES_LISTED = 10;

// Bounded whatever the number of objects: the message is logged, and Lambda carries it into the
// dead-letter record and the destination's responsePayload, which have size limits of their own.
function listFailures(failures: readonly FailedObject[]): string {
  const listed = failures.slice(0, FAILURES_LISTED).map((f) => clip(f.message, 500));
  const rest = failures.length - listed.length;
  return listed.join(' | ') + (rest > 0 ? ` | and ${rest} more` : '');
}

function clip(text: string, chars: number): string {
  return text.length <= chars ? text : `${text.slice(0, chars)}…`;
}

/** The event is not an S3 notification or EventBridge Object Created event the function understands. */
export class InvalidEventError extends TrailwatchError {}

/** What handleS3Event returns: one summary per object the event announced (processed or skipped). */
export interface IngestResult {
  readonly objects: ObjectSummary[];
}

/**
 * Handles one S3 notification (every record) or EventBridge Object Created event: decodes keys,
 * processes each announced object, and only after all were attempted throws IngestFailedError
 * naming every object that failed, so one bad object never hides the others.
 */
export async function handleS3Event(
  event: unknown,
  processor: LogObjectProcessor,
  observer: IngestObserver = SILENT_OBSERVER,
  options: ProcessOptions = {},
): Promise<IngestResult> {
  const parsed = parseIngestEvent(event);
  if (!parsed.ok) throw new InvalidEventError(`invalid event: ${parsed.message}`);
  const objects: ObjectSummary[] = [];
  const failures: FailedObject[] = [];
  const causes: unknown[] = [];
  // A malformed record costs only itself: the others are processed, then the invocation fails naming
  // it, so the event reaches the dead-letter path instead of being dropped.
  for (const record of parsed.rejected) {
    failures.push({
      bucket: record.bucket ?? '',
      key: record.key ?? '',
      message: `invalid event: ${record.message}`,
    });
    causes.push(new InvalidEventError(`invalid event: ${record.message}`));
  }
  for (const announced of parsed.objects) {
    const ref = { bucket: announced.bucket, key: announced.key };
    if (!announced.created) {
      observer.eventIgnored(ref, announced.eventName);
      continue;
    }
    try {
      objects.push(
        await processor.processObject(
          {
            ...ref,
            ...(announced.size !== undefined ? { size: announced.size } : {}),
            ...(announced.deliveredAt ? { deliveredAt: announced.deliveredAt } : {}),
          },
          options,
        ),
      );
    } catch (err) {
      const message =
        err instanceof ObjectProcessingError ? err.message : `${describeObject(ref)}: ${String(err)}`;
      failures.push({ ...ref, message });
      causes.push(err);
    }
  }
  if (failures.length > 0) throw new IngestFailedError(failures, failures.length + objects.length, causes);
  return { objects };
}
