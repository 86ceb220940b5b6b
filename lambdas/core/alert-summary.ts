import type { AlertGroup, AlertMessageInput, AlertSuppressedEntry } from './alert-document';
import { signatureKey, signatureOf, type AlertSignature } from './alert-policy';
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

/** The document's summary with every free-text field clipped; computed once, cut per limits. */
export function summarize(input: AlertMessageInput, events: readonly NormalizedEvent[]): Summary {
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

/** Events by signature, largest group first (ties: first seen first, as sort is stable), each in the given order. */
export function eventsBySignature(events: readonly NormalizedEvent[]): NormalizedEvent[][] {
  const groups = new Map<string, NormalizedEvent[]>();
  for (const event of events) {
    const key = eventSignatureKey(event);
    const list = groups.get(key);
    if (list) list.push(event);
    else groups.set(key, [event]);
  }
  return [...groups.values()].sort((a, b) => b.length - a.length);
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
