import { ALERT_DOCUMENT_VERSION, type AlertDocument, type AlertMessageInput } from './alert-document';
import { cut, SUMMARY_FIELD_CHARS, type Summary, type SummaryLimits } from './alert-summary';
import type { NormalizedEvent } from './normalized-event';

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
  return {
    version: ALERT_DOCUMENT_VERSION,
    type: 'trailwatch.failed-calls',
    service: input.service,
    accountId,
    region,
    source: { bucket: input.source.bucket, key: input.source.key },
    failureCount: events.length,
    included: included.length,
    omitted: events.length - included.length,
    firstEventTime: cut((events[0] as NormalizedEvent).eventTime, SUMMARY_FIELD_CHARS),
    lastEventTime: cut((events[events.length - 1] as NormalizedEvent).eventTime, SUMMARY_FIELD_CHARS),
    errorCodes: codes.slice(0, shown),
    errorCodesOmitted: Math.max(0, codes.length - shown),
    groups: groups.slice(0, shown),
    groupsOmitted: Math.max(0, groups.length - shown),
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
