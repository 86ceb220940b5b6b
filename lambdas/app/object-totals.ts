/**
 * Counters summed over the object summaries of a run, shared by backfill and replay so both count
 * processed, skipped and stored the same way.
 */
import type { ObjectSkipReason, ObjectSummary } from '../core/ports';
import { SERVICE_NAMES, type ServiceName } from '../core/services';

/** What the objects of a run did, summed over their summaries. */
export interface ObjectTotals {
  processed: number;
  skipped: Partial<Record<ObjectSkipReason, number>>;
  bytesRead: number;
  eventsStored: Partial<Record<ServiceName, number>>;
  failedCalls: number;
  alertsSent: number;
  alertsSuppressed: number;
}

/** Totals with nothing counted yet. */
export function emptyObjectTotals(): ObjectTotals {
  return {
    processed: 0,
    skipped: {},
    bytesRead: 0,
    eventsStored: {},
    failedCalls: 0,
    alertsSent: 0,
    alertsSuppressed: 0,
  };
}

/** Adds one object's summary to the totals. */
export function addObjectSummary(totals: ObjectTotals, summary: ObjectSummary): void {
  if (summary.status === 'skipped') {
    const reason = summary.skipReason ?? 'not-a-log-key';
    totals.skipped[reason] = (totals.skipped[reason] ?? 0) + 1;
    return;
  }
  totals.processed += 1;
  totals.bytesRead += summary.bytesRead;
  for (const service of SERVICE_NAMES) {
    const n = summary.eventsStored[service];
    if (n) totals.eventsStored[service] = (totals.eventsStored[service] ?? 0) + n;
  }
  totals.failedCalls += summary.failedCalls;
  totals.alertsSent += summary.alerts?.messagesPublished ?? 0;
  totals.alertsSuppressed += summary.alerts?.eventsSuppressed ?? 0;
}
