import type { IngestObserver } from '../lambdas/app/ingest-observer';
import type { LogObjectRef } from '../lambdas/core/ports';
import type { ResumeNotice } from '../lambdas/core/resumable-log-source';
import { describeObject } from '../lambdas/core/object-ref';

/** The line a command prints when an S3 body broke off and was reopened where it stopped. */
export function readResumedLine(ref: LogObjectRef, notice: ResumeNotice): string {
  const of = notice.size !== undefined ? ` of ${notice.size}` : '';
  return (
    `${describeObject(ref)}: the read broke off (${notice.reason}); ` +
    `resumed at byte ${notice.offset}${of} (reopen ${notice.reopens})`
  );
}

/**
 * The observer part that reports resumed reads through `say`, looked up at each report (a command makes
 * its processor before its progress display exists).
 */
export function reportResumedReads(say: () => (line: string) => void): Pick<IngestObserver, 'readResumed'> {
  return { readResumed: (ref, notice) => say()(readResumedLine(ref, notice)) };
}
