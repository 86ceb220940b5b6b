import { ALERT_DOCUMENT_VERSION, type AlertDocument, type AlertMessageInput } from './alert-document';
import { cut, failureTotals, SUMMARY_FIELD_CHARS, type Summary, type SummaryLimits } from './alert-summary';
import type { NormalizedEvent } from './normalized-event';
import { secondsBetween } from './alert-latency';
import { deliveryPathOf } from './object-ref';

/** The document for the given included events, its summary cut to limits. */
export function buildDocument(
  input: AlertMessageInput,
  events: readonly NormalizedEvent[],
  summary: Summary,
  limits: SummaryLimits,
  accountId: string,
  region: string,
  included: readonly NormalizedEvent[],
  trimmed: string[],
): AlertDocument {
  const { groups, errorCodes: codes, earlier } = summary;
  const shown = limits.documentGroups;
  const totals = failureTotals(input, events);
  const ungrouped = input.overflow?.ungrouped ?? 0;
  return {
    version: ALERT_DOCUMENT_VERSION,
    type: 'trailwatch.failed-calls',
    service: input.service,
    accountId,
    region,
    source: { bucket: input.source.bucket, key: input.source.key },
    ...(input.sentAt
      ? {
          delivery: {
            path: deliveryPathOf(input.source),
            sentAt: input.sentAt.toISOString(),
            secondsAfterFirstCall: secondsBetween(totals.firstEventTime, input.sentAt),
            secondsAfterLastCall: secondsBetween(totals.lastEventTime, input.sentAt),
          },
        }
      : {}),
    failureCount: totals.count,
    included: included.length,
    omitted: totals.count - included.length,
    firstEventTime: cut(totals.firstEventTime, SUMMARY_FIELD_CHARS),
    lastEventTime: cut(totals.lastEventTime, SUMMARY_FIELD_CHARS),
    errorCodes: codes.slice(0, shown),
    errorCodesOmitted: Math.max(0, codes.length - shown),
    groups: groups.slice(0, shown),
    groupsOmitted: Math.max(0, groups.length - shown),
    ...(ungrouped > 0 ? { ungroupedFailures: ungrouped } : {}),
    suppressed: {
      windowMinutes: input.windowMinutes,
      inThisFile: input.suppressedInFile,
      earlierTotal: summary.earlierTotal,
      earlier: earlier.slice(0, shown),
    },
    trimmed,
    events: [...included],
  };
}

/** The `MessageStructure: json` body: the text for people, the document for every machine protocol. */
export function messageStructure(text: string, documentJson: string): string {
  return JSON.stringify({
    default: text,
    email: text,
    sqs: documentJson,
    lambda: documentJson,
    https: documentJson,
    'email-json': documentJson,
  });
}
