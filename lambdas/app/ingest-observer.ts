import type { PipelineSummary } from '../core/pipeline';
import type { LogObjectRef, ObjectSkipReason } from '../core/ports';
import type { ResumeNotice } from '../core/resumable-log-source';

/** What the ingest app reports while it works: one call per object, whatever the outcome. */
export interface IngestObserver {
  objectProcessed(summary: PipelineSummary): void;
  objectSkipped(ref: LogObjectRef, reason: ObjectSkipReason, message: string): void;
  objectFailed(ref: LogObjectRef, error: Error): void;
  /** An event record that announces no new object (ObjectRemoved, ...): nothing to read. */
  eventIgnored(ref: LogObjectRef, eventName: string): void;
  /** DynamoDB throttled the writes of this many items (they are retried). */
  writesThrottled?(items: number): void;
  /** An S3 body broke off (idle timeout, dropped connection) and was reopened where it stopped. */
  readResumed?(ref: LogObjectRef, notice: ResumeNotice): void;
}

/** An observer that reports nothing (tests, library use). */
export const SILENT_OBSERVER: IngestObserver = {
  objectProcessed: () => undefined,
  objectSkipped: () => undefined,
  objectFailed: () => undefined,
  eventIgnored: () => undefined,
};
