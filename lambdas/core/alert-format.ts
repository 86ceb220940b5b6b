import type { AlertSignature, SuppressedReport } from './alert-policy';
import { signatureKey, signatureOf, sortOldestFirst } from './alert-policy';
import { cloudTrailEventUrl, resourceConsoleUrl } from './console-links';
import type { NormalizedEvent, Principal } from './normalized-event';
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
    earlierSuppressed: [...given.earlierSuppressed].sort((a, b) => b.count - a.count),
  };
  const maxBytes = options.maxPublishBytes ?? SNS_MAX_PUBLISH_BYTES - 1024;
  const events = sortOldestFirst(input.events);
  if (events.length === 0) throw new RangeError('renderAlert needs at least one event');
  const accountId = single(events.map((e) => e.accountId));
  const region = single(events.map((e) => e.region));
  const subject = alertSubject(input.service, events.length, accountId, region);
  const text = renderAlertText(input, events, accountId, region);
  const messageAttributes = alertAttributes(input.service, events, accountId, region);
  const fixedBytes = utf8(subject) + attributeBytes(messageAttributes);

  // Each included event costs its JSON once per JSON protocol (4×), escaped inside the outer JSON.
  const eventCosts = events.map((e) => escapedBytes(JSON.stringify(e)) + 1);
  const emptyDocument = buildDocument(input, events, accountId, region, [], []);
  const baseBytes = fixedBytes + utf8(structure(text, JSON.stringify(emptyDocument)));
  let count = 0;
  let total = baseBytes + 64; // the digits of included/omitted change as events are added
  while (count < events.length && total + 4 * (eventCosts[count] ?? 0) <= maxBytes) {
    total += 4 * (eventCosts[count] ?? 0);
    count += 1;
  }
  let included: NormalizedEvent[] = events.slice(0, count);
  let trimmed: string[] = [];
  if (count === 0) {
    // Not even the first event fits whole (huge request parameters): send it without its payloads.
    included = [withoutPayloads(events[0] as NormalizedEvent)];
    trimmed = [included[0]?.eventId as string];
  }

  // The estimate above is exact but for the digits of the counts; verify, and back off if needed.
  for (;;) {
    const document = buildDocument(input, events, accountId, region, included, trimmed);
    const message = structure(text, JSON.stringify(document));
    const publishBytes = fixedBytes + utf8(message);
    if (publishBytes <= maxBytes || included.length === 0) {
      return { subject, message, messageAttributes, text, document, publishBytes };
    }
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
): Record<string, AlertAttribute> {
  const codes = errorCodes(events).slice(0, ATTRIBUTE_ERROR_CODES);
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
): string {
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
  groups.slice(0, EMAIL_GROUPS).forEach((group, i) => {
    lines.push(...groupLines(group, i + 1, groups.length));
    lines.push('');
  });
  if (groups.length > EMAIL_GROUPS) {
    const rest = groups.slice(EMAIL_GROUPS);
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
    for (const report of input.earlierSuppressed.slice(0, SUMMARY_LINES)) {
      const since = report.since ? ` since the alert at ${formatTime(report.since)}` : '';
      lines.push(
        `  ${report.count} identical ${report.count === 1 ? 'failure' : 'failures'} of ` +
          `${clip(report.signature.eventName)}: ${clip(report.signature.errorCode)}, by ` +
          `${clip(report.signature.principal)}${since}`,
      );
    }
    if (input.earlierSuppressed.length > SUMMARY_LINES) {
      const rest = input.earlierSuppressed.slice(SUMMARY_LINES).reduce((sum, r) => sum + r.count, 0);
      lines.push(`  ... and ${rest} more of ${input.earlierSuppressed.length - SUMMARY_LINES} other kinds`);
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
  const consoleUrl = resourceConsoleUrl(event.service, event.region, resource);
  const eventUrl = cloudTrailEventUrl(event.region, event.eventId);
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

interface FailureGroup {
  readonly events: NormalizedEvent[];
}

// Events by signature, largest group first (ties: first seen first, as sort is stable); each oldest first.
function failureGroups(events: readonly NormalizedEvent[]): FailureGroup[] {
  const groups = new Map<string, NormalizedEvent[]>();
  for (const event of events) {
    const key = signatureKey(signatureOf(event));
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
    const key = signatureKey(signature);
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
  accountId: string,
  region: string,
  included: readonly NormalizedEvent[],
  trimmed: string[],
): AlertDocument {
  const groups = groupEvents(events);
  const codes = errorCodes(events);
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
    firstEventTime: (events[0] as NormalizedEvent).eventTime,
    lastEventTime: (events[events.length - 1] as NormalizedEvent).eventTime,
    errorCodes: codes.slice(0, DOCUMENT_GROUPS),
    errorCodesOmitted: Math.max(0, codes.length - DOCUMENT_GROUPS),
    groups: groups.slice(0, DOCUMENT_GROUPS),
    groupsOmitted: Math.max(0, groups.length - DOCUMENT_GROUPS),
    suppressed: {
      windowMinutes: input.windowMinutes,
      inThisFile: input.suppressedInFile,
      earlierTotal: input.earlierSuppressed.reduce((sum, r) => sum + r.count, 0),
      earlier: input.earlierSuppressed.slice(0, DOCUMENT_GROUPS).map((r) => ({
        eventName: r.signature.eventName,
        errorCode: r.signature.errorCode,
        principal: r.signature.principal,
        count: r.count,
        ...(r.since !== undefined ? { since: r.since } : {}),
      })),
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

function errorCodes(events: readonly NormalizedEvent[]): string[] {
  return [...new Set(events.map((e) => e.errorCode).filter((c): c is string => c !== undefined))].sort();
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
  return match ? `${match[1]} ${match[2]} UTC` : iso;
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

function cleanLine(line: string): string {
  return line.replace(/\s+$/, '');
}
