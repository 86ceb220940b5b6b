import { alertAttributes, attributeBytes } from './alert-attributes';
import type { AlertDocument, AlertMessageInput, RenderedAlert } from './alert-document';
import { buildDocument, messageStructure } from './alert-message';
import { sortOldestFirst } from './alert-policy';
import { alertSubject } from './alert-subject';
import {
  cut,
  failureKinds,
  failureTotals,
  summarize,
  summaryLevels,
  SUMMARY_FIELD_CHARS,
  type Summary,
  type SummaryLimits,
} from './alert-summary';
import { renderAlertText } from './alert-text';
import { TrailwatchError } from './errors';
import type { NormalizedEvent } from './normalized-event';
import { describeObject } from './object-ref';

/** SNS's limit on one publish: message, subject and attributes together (256 KiB). */
export const SNS_MAX_PUBLISH_BYTES = 262_144;

// S3 keys are at most 1024 bytes; a longer source (a local path) is cut in the text and the document.
const SOURCE_KEY_CHARS = 2048;

/** Options of renderAlert. */
export interface RenderOptions {
  /** Upper bound of the whole publish in bytes; default SNS_MAX_PUBLISH_BYTES minus a 1 KiB margin. */
  readonly maxPublishBytes?: number;
}

/**
 * Renders one alert: the subject, the plain text for people, the JSON document for machines and
 * the attributes for filter policies, with as many events in full as fit under the publish limit.
 */
export function renderAlert(given: AlertMessageInput, options: RenderOptions = {}): RenderedAlert {
  const input = {
    ...given,
    source: {
      ...given.source,
      bucket: cut(given.source.bucket, SUMMARY_FIELD_CHARS),
      key: cut(given.source.key, SOURCE_KEY_CHARS),
    },
    earlierSuppressed: [...given.earlierSuppressed].sort((a, b) => b.count - a.count),
  };
  const maxBytes = options.maxPublishBytes ?? SNS_MAX_PUBLISH_BYTES - 1024;
  const events = sortOldestFirst(input.events);
  const kinds = failureKinds(input, events);
  if (kinds.length === 0 && (input.overflow?.ungrouped ?? 0) === 0) {
    throw new RangeError('renderAlert needs at least one event');
  }
  // Every kind's example stands for its account and region (the signature holds both).
  const examples = kinds.map((k) => k.first);
  const accountId = cut(single(examples.map((e) => e.accountId)), SUMMARY_FIELD_CHARS);
  const region = cut(single(examples.map((e) => e.region)), SUMMARY_FIELD_CHARS);
  const subject = alertSubject(
    input.service,
    kinds.map((k) => ({ eventName: k.first.eventName, errorCode: k.first.errorCode, count: k.count })),
    accountId,
    region,
    input.overflow?.ungrouped ?? 0,
  );
  const summary = summarize(input, events);
  // Each included event costs its JSON once per JSON protocol (4×), escaped inside the outer JSON.
  const eventCosts = events.map((e) => escapedBytes(JSON.stringify(e)) + 1);
  // The summary alone (no events) must fit: shown in full unless hostile input (hundreds of
  // kilobytes of ARNs, names and codes) makes it too big, then with fewer entries until it fits.
  for (const limits of summaryLevels()) {
    const rendered = renderWithin(
      input,
      events,
      eventCosts,
      summary,
      accountId,
      region,
      subject,
      limits,
      maxBytes,
    );
    if (rendered) return rendered;
  }
  throw new AlertTooLargeError(
    `the alert for ${events.length} ${input.service} failures of ${describeObject(input.source)} ` +
      `does not fit in ${maxBytes} bytes even without events and summary`,
  );
}

/** An alert that cannot be made to fit SNS's limit (not expected: every part of the summary is bounded). */
export class AlertTooLargeError extends TrailwatchError {}

// The alert with the summary cut to limits and as many whole events as fit, or undefined when not
// even the summary without events fits.
function renderWithin(
  input: AlertMessageInput,
  events: readonly NormalizedEvent[],
  eventCosts: readonly number[],
  summary: Summary,
  accountId: string,
  region: string,
  subject: string,
  limits: SummaryLimits,
  maxBytes: number,
): RenderedAlert | undefined {
  const text = renderAlertText(input, events, accountId, region, limits);
  const kinds = failureKinds(input, events);
  const messageAttributes = alertAttributes(
    input.service,
    kinds.map((k) => k.first),
    accountId,
    region,
    limits.attributeErrorCodes,
    failureTotals(input, events).count,
  );
  const fixedBytes = utf8(subject) + attributeBytes(messageAttributes);
  const build = (included: readonly NormalizedEvent[], trimmed: string[]): AlertDocument =>
    buildDocument(input, events, summary, limits, accountId, region, included, trimmed);

  const baseBytes = fixedBytes + utf8(messageStructure(text, JSON.stringify(build([], []))));
  let count = 0;
  let total = baseBytes + 64; // the digits of included/omitted change as events are added
  while (count < events.length && total + 4 * (eventCosts[count] ?? 0) <= maxBytes) {
    total += 4 * (eventCosts[count] ?? 0);
    count += 1;
  }
  if (baseBytes > maxBytes) return undefined; // the summary itself is too big at these limits
  let included: NormalizedEvent[] = events.slice(0, count);
  let trimmed: string[] = [];
  if (count === 0 && events.length > 0) {
    // Not even the first event fits whole (huge request parameters): send it without its payloads,
    // if that fits (hostile input can make even the rest of the event too big).
    const bare = withoutPayloads(events[0] as NormalizedEvent);
    if (total + 4 * (escapedBytes(JSON.stringify(bare)) + 1) <= maxBytes) {
      included = [bare];
      trimmed = [bare.eventId];
    }
  }

  // The estimate above is exact but for the digits of the counts; verify, and back off if needed.
  for (;;) {
    const document = build(included, trimmed);
    const message = messageStructure(text, JSON.stringify(document));
    const publishBytes = fixedBytes + utf8(message);
    if (publishBytes <= maxBytes) {
      return { subject, message, messageAttributes, text, document, publishBytes };
    }
    if (included.length === 0) return undefined; // the summary itself is too big at these limits
    if (included.length > 1) {
      included = included.slice(0, -1);
    } else if (trimmed.length === 0) {
      included = [withoutPayloads(included[0] as NormalizedEvent)];
      trimmed = [included[0]?.eventId as string];
    } else {
      included = [];
      trimmed = [];
    }
  }
}

function withoutPayloads(event: NormalizedEvent): NormalizedEvent {
  const copy: NormalizedEvent = { ...event };
  delete copy.requestParameters;
  delete copy.responseElements;
  return copy;
}

/** The one value every event has, `multiple` when they differ, `unknown` when none has one. */
function single(values: ReadonlyArray<string | undefined>): string {
  const distinct = new Set(values.filter((v): v is string => v !== undefined && v !== ''));
  if (distinct.size === 0) return 'unknown';
  if (distinct.size > 1) return 'multiple';
  return [...distinct][0] as string;
}

function escapedBytes(json: string): number {
  return utf8(JSON.stringify(json)) - 2;
}

function utf8(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
