import type { AlertSignature, SuppressedReport } from './alert-policy';
import { signatureKey, signatureOf, sortOldestFirst } from './alert-policy';
import { cloudTrailEventUrl, resourceConsoleUrl } from './console-links';
import type { NormalizedEvent, Principal } from './normalized-event';
import { TrailwatchError } from './errors';
import { describeObject } from './object-ref';
import type { LogObjectRef } from './ports';
import { SERVICES, type ServiceName } from './services';

/** SNS's limit on one publish: message, subject and attributes together (256 KiB). */
export const SNS_MAX_PUBLISH_BYTES = 262_144;

/** SNS's limit on a subject, in characters (printable ASCII here, so also bytes). */
export const SNS_MAX_SUBJECT_CHARS = 100;

/** Version of the JSON document; bumped only on incompatible changes (fields may be added within one). */
export const ALERT_DOCUMENT_VERSION = '1';

/** Kinds of failure (signatures) shown as blocks in the email text; the rest are counted. */
const EMAIL_GROUPS = 10;
/** Suppression lines in the email text. */
const SUMMARY_LINES = 10;
/** Entries in the document's `groups`, `errorCodes` and `suppressed.earlier`. */
const DOCUMENT_GROUPS = 50;
/** Distinct error codes in the `errorCode` attribute (filter policies rarely need more). */
const ATTRIBUTE_ERROR_CODES = 50;
// Keeps bad input (a multi-kilobyte error message, a giant ARN) from crowding the email.
const TEXT_FIELD_CHARS = 300;
const TEXT_MESSAGE_CHARS = 600;
/** Longest string in the document's summary (groups, errorCodes, suppressed) and the errorCode attribute. */
export const SUMMARY_FIELD_CHARS = 256;
// A link is useless once cut: a longer one (a giant resource id or eventId) is left out of the text.
const TEXT_URL_CHARS = 1024;
// S3 keys are at most 1024 bytes; a longer source (a local path) is cut in the text and the document.
const SOURCE_KEY_CHARS = 2048;

/** How much of the summary an alert shows; shrunk step by step when the summary alone would not fit. */
interface SummaryLimits {
  readonly emailGroups: number;
  readonly summaryLines: number;
  readonly documentGroups: number;
  readonly attributeErrorCodes: number;
}

const FULL_SUMMARY: SummaryLimits = {
  emailGroups: EMAIL_GROUPS,
  summaryLines: SUMMARY_LINES,
  documentGroups: DOCUMENT_GROUPS,
  attributeErrorCodes: ATTRIBUTE_ERROR_CODES,
};

// Full, then halved until nothing but counts is left. The last step always fits: what remains is the
// 2048-character key and a few 256-character fields, under 140 KB even if every character needs
// escaping (7 bytes in each of the 4 document copies, 6 in each of the 2 text copies).
function summaryLevels(): SummaryLimits[] {
  const levels: SummaryLimits[] = [];
  for (let divisor = 1; divisor <= 64; divisor *= 2) {
    levels.push({
      emailGroups: Math.floor(EMAIL_GROUPS / divisor),
      summaryLines: Math.floor(SUMMARY_LINES / divisor),
      documentGroups: Math.floor(DOCUMENT_GROUPS / divisor),
      attributeErrorCodes: Math.floor(ATTRIBUTE_ERROR_CODES / divisor),
    });
  }
  levels.push({ emailGroups: 0, summaryLines: 0, documentGroups: 0, attributeErrorCodes: 0 });
  return levels;
}

/** Everything one alert message says: one service's new failures from one log file. */
export interface AlertMessageInput {
  readonly service: ServiceName;
  readonly source: LogObjectRef;
  /** The failures this message alerts on (any order; rendered oldest first). */
  readonly events: readonly NormalizedEvent[];
  /** Failures of this file and service not listed because their signature alerted within the window. */
  readonly suppressedInFile: number;
  /** Failures suppressed since the previous alert of the signatures in this message. */
  readonly earlierSuppressed: readonly SuppressedReport[];
  /** The noise-control window, for the explanation in the text. */
  readonly windowMinutes: number;
}

/** Options of renderAlert. */
export interface RenderOptions {
  /** Upper bound of the whole publish in bytes; default SNS_MAX_PUBLISH_BYTES minus a 1 KiB margin. */
  readonly maxPublishBytes?: number;
}

/** A message attribute in the shape of the SDK's MessageAttributeValue (the core cannot import it). */
export interface AlertAttribute {
  readonly DataType: 'String' | 'String.Array' | 'Number';
  readonly StringValue: string;
}

/** A group of identical failures (one signature) in the document. */
export interface AlertGroup {
  readonly eventName: string;
  readonly errorCode: string;
  readonly principal: string;
  readonly count: number;
}

/** Suppressed failures of one signature reported by the document. */
export interface AlertSuppressedEntry {
  readonly eventName: string;
  readonly errorCode: string;
  readonly principal: string;
  readonly count: number;
  readonly since?: string;
}

/** The versioned JSON document sent to sqs, lambda, https and email-json subscribers (docs/alerts.md). */
export interface AlertDocument {
  readonly version: typeof ALERT_DOCUMENT_VERSION;
  readonly type: 'trailwatch.failed-calls';
  readonly service: ServiceName;
  readonly accountId: string;
  readonly region: string;
  readonly source: { readonly bucket: string; readonly key: string };
  /** Failures this message alerts on. */
  readonly failureCount: number;
  /** Events in `events`. */
  readonly included: number;
  /** failureCount − included: alerted, counted, not listed (they are in the event table). */
  readonly omitted: number;
  readonly firstEventTime: string;
  readonly lastEventTime: string;
  /** Distinct error codes, sorted; at most 50. */
  readonly errorCodes: string[];
  readonly errorCodesOmitted: number;
  /** Failures by (eventName, errorCode, principal), largest first; at most 50 groups. */
  readonly groups: AlertGroup[];
  readonly groupsOmitted: number;
  readonly suppressed: {
    readonly windowMinutes: number;
    /** Failures of this file not listed: their signature alerted within the window. */
    readonly inThisFile: number;
    /** Failures suppressed since the previous alert of the signatures in this message, all of them. */
    readonly earlierTotal: number;
    /** The same by signature, largest first; at most 50 entries. */
    readonly earlier: AlertSuppressedEntry[];
  };
  /** eventIds of included events whose requestParameters and responseElements were dropped to fit. */
  readonly trimmed: string[];
  readonly events: NormalizedEvent[];
}

/** A ready-to-publish alert. */
export interface RenderedAlert {
  readonly subject: string;
  /** The `MessageStructure: json` body: `{"default", "email", "sqs", "lambda", "https", "email-json"}`. */
  readonly message: string;
  readonly messageAttributes: Record<string, AlertAttribute>;
  readonly text: string;
  readonly document: AlertDocument;
  /** Bytes SNS counts against its limit (message + subject + attribute names, types and values). */
  readonly publishBytes: number;
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
  if (events.length === 0) throw new RangeError('renderAlert needs at least one event');
  const accountId = cut(single(events.map((e) => e.accountId)), SUMMARY_FIELD_CHARS);
  const region = cut(single(events.map((e) => e.region)), SUMMARY_FIELD_CHARS);
  const subject = alertSubject(input.service, events.length, accountId, region);
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

interface Summary {
  readonly groups: AlertGroup[];
  readonly errorCodes: string[];
  readonly earlier: AlertSuppressedEntry[];
  readonly earlierTotal: number;
}

// The document's summary with every free-text field clipped; computed once, cut per limits.
function summarize(input: AlertMessageInput, events: readonly NormalizedEvent[]): Summary {
  return {
    groups: groupEvents(events).map((g) => ({ ...clipSignature(g), count: g.count })),
    errorCodes: errorCodes(events),
    earlier: input.earlierSuppressed.map((r) => ({
      ...clipSignature(r.signature),
      count: r.count,
      ...(r.since !== undefined ? { since: cut(r.since, SUMMARY_FIELD_CHARS) } : {}),
    })),
    earlierTotal: input.earlierSuppressed.reduce((sum, r) => sum + r.count, 0),
  };
}

function clipSignature(signature: {
  eventName: string;
  errorCode: string;
  principal: string;
}): Omit<AlertGroup, 'count'> {
  return {
    eventName: cut(signature.eventName, SUMMARY_FIELD_CHARS),
    errorCode: cut(signature.errorCode, SUMMARY_FIELD_CHARS),
    principal: cut(signature.principal, SUMMARY_FIELD_CHARS),
  };
}

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
  const messageAttributes = alertAttributes(
    input.service,
    events,
    accountId,
    region,
    limits.attributeErrorCodes,
  );
  const fixedBytes = utf8(subject) + attributeBytes(messageAttributes);
  const build = (included: readonly NormalizedEvent[], trimmed: string[]): AlertDocument =>
    buildDocument(input, events, summary, limits, accountId, region, included, trimmed);

  const baseBytes = fixedBytes + utf8(structure(text, JSON.stringify(build([], []))));
  let count = 0;
  let total = baseBytes + 64; // the digits of included/omitted change as events are added
  while (count < events.length && total + 4 * (eventCosts[count] ?? 0) <= maxBytes) {
    total += 4 * (eventCosts[count] ?? 0);
    count += 1;
  }
  if (baseBytes > maxBytes) return undefined; // the summary itself is too big at these limits
  let included: NormalizedEvent[] = events.slice(0, count);
  let trimmed: string[] = [];
  if (count === 0) {
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
    const message = structure(text, JSON.stringify(document));
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

/**
 * The subject: `trailwatch: 3 failed Athena calls in 123456789012 us-east-1`. Printable ASCII only,
 * no line breaks, at most 100 characters (SNS rejects the whole publish otherwise).
 */
export function alertSubject(service: ServiceName, count: number, accountId: string, region: string): string {
  const noun = count === 1 ? 'call' : 'calls';
  const where = [accountId, region].filter((v) => v !== 'unknown').join(' ');
  return sanitizeSubject(
    `trailwatch: ${count} failed ${SERVICES[service].displayName} ${noun}${where ? ` in ${where}` : ''}`,
  );
}

/** Makes any text a valid SNS subject: ASCII letters kept (accents dropped), other characters `?`, ≤ 100 chars. */
export function sanitizeSubject(text: string): string {
  const ascii = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '') // combining accents: "é" → "e"
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/[^\x20-\x7e]/gu, '?') // one ? per character, emoji included
    .replace(/ {2,}/g, ' ')
    .trim();
  if (ascii.length <= SNS_MAX_SUBJECT_CHARS) return ascii;
  return `${ascii.slice(0, SNS_MAX_SUBJECT_CHARS - 3).trimEnd()}...`;
}

/** The message attributes subscription filter policies match on. */
export function alertAttributes(
  service: ServiceName,
  events: readonly NormalizedEvent[],
  accountId: string,
  region: string,
  maxErrorCodes = ATTRIBUTE_ERROR_CODES,
): Record<string, AlertAttribute> {
  const codes = errorCodes(events).slice(0, maxErrorCodes);
  return {
    service: { DataType: 'String', StringValue: service },
    // Left out rather than sent empty when no failure carries a code: there is nothing to match.
    ...(codes.length > 0
      ? { errorCode: { DataType: 'String.Array' as const, StringValue: JSON.stringify(codes) } }
      : {}),
    accountId: { DataType: 'String', StringValue: accountId },
    region: { DataType: 'String', StringValue: region },
    failureCount: { DataType: 'Number', StringValue: String(events.length) },
  };
}

/** The plain text of the email and default bodies: what a person on call reads first. */
export function renderAlertText(
  input: AlertMessageInput,
  events: readonly NormalizedEvent[],
  accountId: string,
  region: string,
  limits: Pick<SummaryLimits, 'emailGroups' | 'summaryLines'> = FULL_SUMMARY,
): string {
  const { emailGroups, summaryLines } = limits;
  const name = SERVICES[input.service].displayName;
  const first = events[0] as NormalizedEvent;
  const last = events[events.length - 1] as NormalizedEvent;
  const lines: string[] = [];
  const calls = events.length === 1 ? 'call' : 'calls';
  lines.push(`${events.length} failed ${name} ${calls} in account ${accountId}, region ${region}`);
  lines.push(
    events.length === 1
      ? `at ${formatTime(first.eventTime)}.`
      : `between ${formatTime(first.eventTime)} and ${formatTime(last.eventTime)}.`,
  );
  lines.push('');

  // One block per kind of failure (signature), largest first: a storm of one failure reads as one
  // block with a count, not as ten identical ones.
  const groups = failureGroups(events);
  groups.slice(0, emailGroups).forEach((group, i) => {
    lines.push(...groupLines(group, i + 1, groups.length));
    lines.push('');
  });
  if (groups.length > emailGroups) {
    const rest = groups.slice(emailGroups);
    const count = rest.reduce((sum, g) => sum + g.events.length, 0);
    lines.push(
      `... and ${count} more ${count === 1 ? 'failure' : 'failures'} of ${rest.length} other ` +
        `${rest.length === 1 ? 'kind' : 'kinds'} not shown. The JSON message lists failures in full as far as ` +
        'it can; every one is in the trailwatch table (failures index).',
    );
    lines.push('');
  }

  if (input.earlierSuppressed.length > 0 || input.suppressedInFile > 0) {
    lines.push('Suppressed (counted, not sent one by one)');
    for (const report of input.earlierSuppressed.slice(0, summaryLines)) {
      const since = report.since ? ` since the alert at ${clip(formatTime(report.since))}` : '';
      lines.push(
        `  ${report.count} identical ${report.count === 1 ? 'failure' : 'failures'} of ` +
          `${clip(report.signature.eventName)}: ${clip(report.signature.errorCode)}, by ` +
          `${clip(report.signature.principal)}${since}`,
      );
    }
    if (input.earlierSuppressed.length > summaryLines) {
      const rest = input.earlierSuppressed.slice(summaryLines).reduce((sum, r) => sum + r.count, 0);
      lines.push(`  ... and ${rest} more of ${input.earlierSuppressed.length - summaryLines} other kinds`);
    }
    if (input.suppressedInFile > 0) {
      lines.push(
        `  ${input.suppressedInFile} more ${input.suppressedInFile === 1 ? 'failure' : 'failures'} in this log file ` +
          `repeat failures alerted in the last ${input.windowMinutes} minutes; the next alert of each reports them`,
      );
    }
    lines.push('');
  }

  lines.push(`Log file: ${describeObject(input.source)}`);
  lines.push('');
  lines.push(
    `trailwatch alerts each failed call once. Identical failures (same account, region, service, call, ` +
      `error code and caller) alert at most once per ${input.windowMinutes} minutes; the rest are counted.`,
  );
  return lines.map(cleanLine).join('\n');
}

function groupLines(group: FailureGroup, index: number, total: number): string[] {
  const event = group.events[0] as NormalizedEvent;
  const last = group.events[group.events.length - 1] as NormalizedEvent;
  const times = group.events.length === 1 ? '' : ` ${group.events.length} times`;
  const resource = event.resources[0];
  const consoleUrl = usableUrl(resourceConsoleUrl(event.service, event.region, resource));
  const eventUrl = usableUrl(cloudTrailEventUrl(event.region, event.eventId));
  const code = event.errorCode ?? 'no error code';
  const otherResources = new Set(group.events.map((e) => resourceLabel(e))).size - 1;
  const lines = [
    `[${index}/${total}] ${clip(event.eventName)} failed${times}: ${clip(code)}`,
    `  Message:  ${clip(event.errorMessage ?? '(no error message)', TEXT_MESSAGE_CHARS)}`,
    `  When:     ${formatTime(event.eventTime)}${
      group.events.length > 1 ? `, last at ${formatTime(last.eventTime)}` : ''
    }`,
    `  Caller:   ${clip(describePrincipal(event.principal))}`,
  ];
  const from = [event.sourceIp, event.userAgent ? `(${event.userAgent})` : undefined]
    .filter(Boolean)
    .join(' ');
  if (from) lines.push(`  From:     ${clip(from)}`);
  lines.push(
    `  Resource: ${resource ? clip(resourceLabel(event)) : 'none named in the call'}` +
      (otherResources > 0 ? ` (and ${otherResources} other${otherResources === 1 ? '' : 's'})` : ''),
  );
  if (consoleUrl) lines.push(`  Console:  ${consoleUrl}`);
  const first = group.events.length > 1 ? ' (the first one)' : '';
  if (eventUrl) lines.push(`  Event:    ${eventUrl}${first}`);
  else lines.push(`  Event ID: ${clip(event.eventId)}${first}`);
  return lines;
}

function resourceLabel(event: NormalizedEvent): string {
  const resource = event.resources[0];
  return resource ? `${resource.type} ${resource.id}` : '';
}

// The text is rendered once per summary size tried: hash each event's signature only once.
const signatureKeys = new WeakMap<NormalizedEvent, string>();

function eventSignatureKey(event: NormalizedEvent): string {
  let key = signatureKeys.get(event);
  if (key === undefined) {
    key = signatureKey(signatureOf(event));
    signatureKeys.set(event, key);
  }
  return key;
}

interface FailureGroup {
  readonly events: NormalizedEvent[];
}

// Events by signature, largest group first (ties: first seen first, as sort is stable); each oldest first.
function failureGroups(events: readonly NormalizedEvent[]): FailureGroup[] {
  const groups = new Map<string, NormalizedEvent[]>();
  for (const event of events) {
    const key = eventSignatureKey(event);
    const list = groups.get(key);
    if (list) list.push(event);
    else groups.set(key, [event]);
  }
  return [...groups.values()]
    .map((list) => ({ events: list }))
    .sort((a, b) => b.events.length - a.events.length);
}

/** "johndoe (IAMUser arn:aws:iam::123456789012:user/johndoe)". */
function describePrincipal(principal: Principal): string {
  const name =
    principal.userName ?? lastSegment(principal.arn) ?? principal.invokedBy ?? principal.principalId;
  const identity = [principal.type, principal.arn ?? principal.invokedBy].filter(Boolean).join(' ');
  return name ? `${name} (${identity})` : identity;
}

function groupEvents(events: readonly NormalizedEvent[]): AlertGroup[] {
  const groups = new Map<string, AlertGroup>();
  for (const event of events) {
    const signature = signatureOf(event);
    const key = eventSignatureKey(event);
    const group = groups.get(key);
    if (group) groups.set(key, { ...group, count: group.count + 1 });
    else groups.set(key, { ...groupOf(signature), count: 1 });
  }
  // Largest first; ties in first-seen order (Map order) because sort is stable.
  return [...groups.values()].sort((a, b) => b.count - a.count);
}

function groupOf(signature: AlertSignature): Omit<AlertGroup, 'count'> {
  return { eventName: signature.eventName, errorCode: signature.errorCode, principal: signature.principal };
}

function buildDocument(
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

function structure(text: string, documentJson: string): string {
  return JSON.stringify({
    default: text,
    email: text,
    sqs: documentJson,
    lambda: documentJson,
    https: documentJson,
    'email-json': documentJson,
  });
}

function withoutPayloads(event: NormalizedEvent): NormalizedEvent {
  const copy: NormalizedEvent = { ...event };
  delete copy.requestParameters;
  delete copy.responseElements;
  return copy;
}

// Distinct codes, sorted, each clipped (a code is an identifier: no real one comes near the limit).
function errorCodes(events: readonly NormalizedEvent[]): string[] {
  const codes = events.map((e) => e.errorCode).filter((c): c is string => c !== undefined);
  return [...new Set(codes.map((c) => cut(c, SUMMARY_FIELD_CHARS)))].sort();
}

function usableUrl(url: string | undefined): string | undefined {
  return url !== undefined && url.length <= TEXT_URL_CHARS ? url : undefined;
}

/** The one value every event has, `multiple` when they differ, `unknown` when none has one. */
function single(values: ReadonlyArray<string | undefined>): string {
  const distinct = new Set(values.filter((v): v is string => v !== undefined && v !== ''));
  if (distinct.size === 0) return 'unknown';
  if (distinct.size > 1) return 'multiple';
  return [...distinct][0] as string;
}

function attributeBytes(attributes: Record<string, AlertAttribute>): number {
  return Object.entries(attributes).reduce(
    (sum, [name, value]) => sum + utf8(name) + utf8(value.DataType) + utf8(value.StringValue),
    0,
  );
}

function escapedBytes(json: string): number {
  return utf8(JSON.stringify(json)) - 2;
}

function utf8(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function formatTime(iso: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?Z$/.exec(iso);
  return match ? `${match[1]} ${match[2]} UTC` : clip(iso);
}

function lastSegment(arn: string | undefined): string | undefined {
  if (!arn) return undefined;
  const segment = arn.split(/[/:]/).pop();
  return segment ? segment : undefined;
}

// One line per field whatever the input: an error message with newlines must not break the layout.
function clip(value: string, max = TEXT_FIELD_CHARS): string {
  const flat = value.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return flat.length <= max ? flat : `${flat.slice(0, max - 3)}...`;
}

// Machine fields keep their characters (no flattening); only the length is bounded, ending in `...`,
// never splitting a surrogate pair.
function cut(value: string, max: number): string {
  if (value.length <= max) return value;
  let end = max - 3;
  if (/[\ud800-\udbff]/.test(value.charAt(end - 1))) end -= 1;
  return `${value.slice(0, end)}...`;
}

function cleanLine(line: string): string {
  return line.replace(/\s+$/, '');
}
