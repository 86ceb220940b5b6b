import type { AlertGroup, AlertMessageInput, AlertSuppressedEntry } from './alert-document';
import { signatureKey, signatureOf } from './alert-policy';
import type { NormalizedEvent } from './normalized-event';

/** Longest string in the document's summary (groups, errorCodes, suppressed) and the errorCode attribute. */
export const SUMMARY_FIELD_CHARS = 256;

/** Kinds of failure (signatures) shown as blocks in the email text; the rest are counted. */
const EMAIL_GROUPS = 10;
/** Suppression lines in the email text. */
const SUMMARY_LINES = 10;
/** Entries in the document's `groups`, `errorCodes` and `suppressed.earlier`. */
const DOCUMENT_GROUPS = 50;
/** Distinct error codes in the `errorCode` attribute (filter policies rarely need more). */
export const ATTRIBUTE_ERROR_CODES = 50;

/** How much of the summary an alert shows; shrunk step by step when the summary alone would not fit. */
export interface SummaryLimits {
  readonly emailGroups: number;
  readonly summaryLines: number;
  readonly documentGroups: number;
  readonly attributeErrorCodes: number;
}

/** The summary shown when it fits, which is always but for hostile input. */
export const FULL_SUMMARY: SummaryLimits = {
  emailGroups: EMAIL_GROUPS,
  summaryLines: SUMMARY_LINES,
  documentGroups: DOCUMENT_GROUPS,
  attributeErrorCodes: ATTRIBUTE_ERROR_CODES,
};

/** The summary sizes to try, full first, ending with counts only. */
// Full, then halved until nothing but counts is left. The last step always fits: what remains is the
// 2048-character key and a few 256-character fields, under 140 KB even if every character needs
// escaping (7 bytes in each of the 4 document copies, 6 in each of the 2 text copies).
export function summaryLevels(): SummaryLimits[] {
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

/** The document's summary of one alert's failures, before it is cut to limits. */
export interface Summary {
  readonly groups: AlertGroup[];
  readonly errorCodes: string[];
  readonly earlier: AlertSuppressedEntry[];
  readonly earlierTotal: number;
}

/** One kind of failure (signature) of a message: the listed events of it plus its overflow count. */
export interface FailureKind {
  /** Its first failure: a listed one when there is any, else the overflow's example. */
  readonly first: NormalizedEvent;
  /** Its listed failures (held whole or slim), oldest first as given. */
  readonly listed: readonly NormalizedEvent[];
  /** Every failure of the kind in the message: listed plus overflow. */
  readonly count: number;
  /** Its newest failure's time. */
  readonly lastEventTime: string;
}

/** How many failures a message alerts on, and the oldest and newest of them (listed and overflow). */
export interface FailureTotals {
  readonly count: number;
  readonly firstEventTime: string;
  readonly lastEventTime: string;
}

/** Events and overflow groups by signature, largest kind first (ties: first seen first, listed before overflow). */
export function failureKinds(
  input: Pick<AlertMessageInput, 'overflow'>,
  events: readonly NormalizedEvent[],
): FailureKind[] {
  const kinds = new Map<
    string,
    { first: NormalizedEvent; listed: NormalizedEvent[]; count: number; last: string }
  >();
  for (const event of events) {
    const key = eventSignatureKey(event);
    const kind = kinds.get(key);
    if (kind) {
      kind.listed.push(event);
      kind.count += 1;
      if (event.eventTime > kind.last) kind.last = event.eventTime;
    } else kinds.set(key, { first: event, listed: [event], count: 1, last: event.eventTime });
  }
  for (const group of input.overflow?.groups ?? []) {
    const key = eventSignatureKey(group.example);
    const kind = kinds.get(key);
    if (kind) {
      kind.count += group.count;
      if (group.lastEventTime > kind.last) kind.last = group.lastEventTime;
    } else
      kinds.set(key, { first: group.example, listed: [], count: group.count, last: group.lastEventTime });
  }
  return [...kinds.values()]
    .map((k) => ({ first: k.first, listed: k.listed, count: k.count, lastEventTime: k.last }))
    .sort((a, b) => b.count - a.count);
}

/** The message's failure count and time span, listed events and overflow together. */
export function failureTotals(
  input: Pick<AlertMessageInput, 'overflow'>,
  events: readonly NormalizedEvent[],
): FailureTotals {
  const overflow = input.overflow;
  const overflowCount = overflow
    ? overflow.groups.reduce((sum, g) => sum + g.count, 0) + overflow.ungrouped
    : 0;
  const times = [
    ...(events.length > 0
      ? [(events[0] as NormalizedEvent).eventTime, (events[events.length - 1] as NormalizedEvent).eventTime]
      : []),
    ...(overflow && overflowCount > 0 ? [overflow.firstEventTime, overflow.lastEventTime] : []),
  ].sort();
  return {
    count: events.length + overflowCount,
    firstEventTime: times[0] ?? '',
    lastEventTime: times[times.length - 1] ?? '',
  };
}

/** The document's summary with every free-text field clipped; computed once, cut per limits. */
export function summarize(input: AlertMessageInput, events: readonly NormalizedEvent[]): Summary {
  const kinds = failureKinds(input, events);
  return {
    groups: kinds.map((k) => ({ ...clipSignature(signatureOf(k.first)), count: k.count })),
    errorCodes: errorCodes(kinds.map((k) => k.first)),
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

// The text is rendered once per summary size tried: hash each event's signature only once.
const signatureKeys = new WeakMap<NormalizedEvent, string>();

/** The event's signature key, computed once per event. */
export function eventSignatureKey(event: NormalizedEvent): string {
  let key = signatureKeys.get(event);
  if (key === undefined) {
    key = signatureKey(signatureOf(event));
    signatureKeys.set(event, key);
  }
  return key;
}

/** Distinct error codes, sorted, each clipped (a code is an identifier: no real one comes near the limit). */
export function errorCodes(events: readonly NormalizedEvent[]): string[] {
  const codes = events.map((e) => e.errorCode).filter((c): c is string => c !== undefined);
  return [...new Set(codes.map((c) => cut(c, SUMMARY_FIELD_CHARS)))].sort();
}

/** Bounds a machine field's length, ending in `...`; keeps its characters, never splits a surrogate pair. */
export function cut(value: string, max: number): string {
  if (value.length <= max) return value;
  let end = max - 3;
  if (/[\ud800-\udbff]/.test(value.charAt(end - 1))) end -= 1;
  return `${value.slice(0, end)}...`;
}
