import * as z from 'zod';
import { TrailwatchError } from './errors';
import { omitDefaults, restoreDefaults } from './item-defaults';
import { NormalizedEvent, NormalizedEventSchema, PrincipalSchema } from './normalized-event';
import { SERVICE_NAMES, ServiceName } from './services';
import { eventPartitionKey, resourceKeyOf, shardOf } from './table-contract';

/** Default retention of events in the table, counted from the event's time (docs/table.md). */
export const DEFAULT_RETENTION_DAYS = 365;
/** Default cap, in UTF-8 bytes, of each of requestParameters and responseElements (as JSON text). */
export const DEFAULT_PAYLOAD_MAX_BYTES = 32_768;
/** Largest allowed payload cap: two capped payloads plus the rest stay far below DynamoDB's 400 KB item limit. */
export const MAX_PAYLOAD_MAX_BYTES = 131_072;
// Room kept below DynamoDB's 400 KB item limit for our own size estimate's error.
const ITEM_BUDGET_BYTES = 380_000;
const SECONDS_PER_DAY = 86_400;

// The item with every attribute present, as fromEventItem reads it once the left-out ones are back.
const FullItemSchema = NormalizedEventSchema.omit({
  requestParameters: true,
  responseElements: true,
}).extend({
  pk: z.string(),
  sk: z.string(),
  service: z.enum(SERVICE_NAMES as [ServiceName, ...ServiceName[]]),
  /** The identity's ARN: partition key of the `byPrincipal` index (absent when the identity has no ARN). */
  principalArn: z.string().optional(),
  /** Set when resources were dropped to keep the item under DynamoDB's size limit. */
  resourcesTruncated: z.literal(true).optional(),
  /** `<accountId>#<region>#<type>#<id>` of the first resource: partition key of the `byResource` index. */
  resourceKey: z.string().optional(),
  /** The item's own pk, on failed events only: partition key of the sparse `failures` index. */
  failurePk: z.string().optional(),
  /** JSON text, cut at the payload cap (then not valid JSON) when requestParametersTruncated is set. */
  requestParameters: z.string().optional(),
  requestParametersTruncated: z.literal(true).optional(),
  responseElements: z.string().optional(),
  responseElementsTruncated: z.literal(true).optional(),
  s3Bucket: z.string(),
  s3Key: z.string(),
  /** ISO-8601 UTC: when the log file that carried the event was delivered (see docs/table.md). */
  ingestedAt: z.string(),
  /** Epoch seconds: eventTime + retention. The table's TTL attribute. */
  expiresAt: z.number().int(),
});

/**
 * One stored event as a DynamoDB item (docs/table.md is the public description of these attributes):
 * the normalized event's fields, with the payloads as capped JSON text, plus keys and bookkeeping,
 * less what the item already says (`eventId` is in `sk`; see docs/table.md, "Attributes left out").
 */
export const EventItemSchema = FullItemSchema.extend({
  /** Absent: the part of `sk` after `#`. */
  eventId: z.string().optional(),
  /** Absent: the service's main eventSource (`glue.amazonaws.com`, `elasticmapreduce.amazonaws.com`, ...). */
  eventSource: z.string().optional(),
  /** Absent: `AwsApiCall`; null: the event has no eventType. */
  eventType: z.string().nullable().optional(),
  /** Absent: `"null"` (CloudTrail's null response, as reads have); null: the event has no responseElements. */
  responseElements: z.string().nullable().optional(),
  /** Of a role session (principalArn `...:assumed-role/...`), fields left out are rebuilt from the ARN; null: none. */
  principal: z.object(
    Object.fromEntries(
      Object.keys(PrincipalSchema.shape).map((name) => [name, z.string().nullable().optional()]),
    ) as Record<keyof typeof PrincipalSchema.shape, z.ZodOptional<z.ZodNullable<z.ZodString>>>,
  ),
});
/** One stored event as a DynamoDB item (attribute names are the public contract). */
export type EventItem = z.infer<typeof EventItemSchema>;

/** How events become items. */
export interface EventItemOptions {
  /** Days an event is kept, counted from its eventTime. */
  readonly retentionDays: number;
  /** Cap in UTF-8 bytes of each payload's JSON text. */
  readonly payloadMaxBytes: number;
  /** The `ingestedAt` value: the delivery time of the log file (must not vary between re-writes of the file). */
  readonly ingestedAt: Date;
}

/** The log file (S3 object) an event came from: stored with the event as `s3Bucket` and `s3Key`. */
export interface LogObjectRef {
  readonly bucket: string;
  readonly key: string;
}

/** A stored event read back from the table: the normalized event plus where and when it was stored. */
export type StoredEvent = NormalizedEvent & {
  readonly source: LogObjectRef;
  readonly ingestedAt: string;
  readonly expiresAt: number;
  /** When set, requestParameters is the cut JSON text (a string), not the parsed value. */
  readonly requestParametersTruncated?: true;
  readonly responseElementsTruncated?: true;
  readonly resourcesTruncated?: true;
};

/** An item in the table does not have the documented shape. */
export class EventItemError extends TrailwatchError {}

/** `YYYY-MM-DD`, the UTC day of an ISO-8601 UTC eventTime. */
export function utcDayOf(eventTime: string): string {
  return new Date(Date.parse(eventTime)).toISOString().slice(0, 10);
}

/**
 * Sort key `<eventTime to the second>#<eventId>` (also the sort key of every index), e.g.
 * `2017-10-11T22:29:49Z#<eventId>`. A fraction of a second is dropped from the key (the eventTime
 * attribute keeps it): `...:59.500Z` would sort before `...:59Z` (`.` < `Z`), so keys with and
 * without fractions would not be in time order. Within one second, events order by eventId.
 */
export function eventSortKey(eventTime: string, eventId: string): string {
  return `${sortKeySecond(eventTime)}#${eventId}`;
}

// `YYYY-MM-DDTHH:MM:SSZ`, fixed width, so lexical order is time order; CloudTrail's own whole-second
// form comes out byte-identical. Any other form (an offset, a fraction) is read as the instant it names.
function sortKeySecond(eventTime: string): string {
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(eventTime)) return eventTime;
  const ms = Date.parse(eventTime);
  if (Number.isNaN(ms)) {
    throw new EventItemError(`eventTime '${eventTime}' is not an ISO-8601 time`);
  }
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/**
 * Builds the item of one event. Pure and deterministic: the same event, source and options give the
 * same item, which is what makes re-writing a log file idempotent.
 */
export function toEventItem(
  event: NormalizedEvent,
  source: LogObjectRef,
  options: EventItemOptions,
): EventItem {
  const eventMs = Date.parse(event.eventTime);
  if (Number.isNaN(eventMs)) {
    throw new EventItemError(
      `event ${event.eventId}: eventTime '${event.eventTime}' is not an ISO-8601 time`,
    );
  }
  const day = utcDayOf(event.eventTime);
  const first = event.resources[0];
  const pk = eventPartitionKey(event.service, day, shardOf(event.service, event.eventId));
  const principalArn = indexKey(event.principal.arn);
  const item: EventItem = {
    pk,
    sk: eventSortKey(event.eventTime, event.eventId),
    service: event.service,
    eventSource: event.eventSource,
    eventName: event.eventName,
    eventTime: event.eventTime,
    eventId: event.eventId,
    requestId: event.requestId,
    eventType: event.eventType,
    eventVersion: event.eventVersion,
    readOnly: event.readOnly,
    accountId: event.accountId,
    region: event.region,
    // The ARN is stored once: in principalArn when it can be an index key, else in the map.
    principal: definedOnly({ ...event.principal, arn: principalArn ? undefined : event.principal.arn }),
    principalArn,
    sourceIp: event.sourceIp,
    userAgent: event.userAgent,
    failed: event.failed,
    errorCode: event.errorCode,
    errorMessage: event.errorMessage,
    resources: event.resources.map((r) => ({ type: r.type, id: r.id })),
    payloadsClipped: event.payloadsClipped,
    resourceKey: indexKey(
      first && resourceKeyOf({ accountId: event.accountId, region: event.region, ...first }),
    ),
    failurePk: event.failed ? pk : undefined,
    s3Bucket: source.bucket,
    s3Key: source.key,
    ingestedAt: options.ingestedAt.toISOString(),
    // Retention counts from the event, not from the write, so a re-write yields the same value.
    expiresAt: Math.floor(eventMs / 1000) + options.retentionDays * SECONDS_PER_DAY,
  };
  setPayload(item, 'requestParameters', event.requestParameters, options.payloadMaxBytes);
  setPayload(item, 'responseElements', event.responseElements, options.payloadMaxBytes);
  fitResources(item);
  return omitDefaults(definedOnly(item));
}

/** Reads an item back into a StoredEvent; throws EventItemError naming the field when the item is not one of ours. */
export function fromEventItem(raw: Record<string, unknown>): StoredEvent {
  const parsed = FullItemSchema.safeParse(restoreDefaults(raw));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') || '(item)';
    throw new EventItemError(
      `item ${String(raw.pk)}/${String(raw.sk)} is not a trailwatch event: ${where}: ${issue?.message ?? 'invalid'}`,
    );
  }
  const item = parsed.data;
  const event = {
    service: item.service,
    eventSource: item.eventSource,
    eventName: item.eventName,
    eventTime: item.eventTime,
    eventId: item.eventId,
    requestId: item.requestId,
    eventType: item.eventType,
    eventVersion: item.eventVersion,
    readOnly: item.readOnly,
    accountId: item.accountId,
    region: item.region,
    principal: definedOnly({ ...item.principal, arn: item.principal.arn ?? item.principalArn }),
    sourceIp: item.sourceIp,
    userAgent: item.userAgent,
    failed: item.failed,
    errorCode: item.errorCode,
    errorMessage: item.errorMessage,
    resources: item.resources,
    payloadsClipped: item.payloadsClipped,
    requestParameters: readPayload(item.requestParameters, item.requestParametersTruncated),
    responseElements: readPayload(item.responseElements, item.responseElementsTruncated),
    source: { bucket: item.s3Bucket, key: item.s3Key },
    ingestedAt: item.ingestedAt,
    expiresAt: item.expiresAt,
    requestParametersTruncated: item.requestParametersTruncated,
    responseElementsTruncated: item.responseElementsTruncated,
    resourcesTruncated: item.resourcesTruncated,
  };
  return definedOnly(event) as StoredEvent;
}

/** UTF-8 length of a string. */
export function utf8Length(text: string): number {
  return encoder.encode(text).length;
}

/** Cuts text to at most maxBytes UTF-8 bytes without splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = encoder.encode(text);
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  // Back off over continuation bytes (10xxxxxx) so the cut falls on a character boundary.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return decoder.decode(bytes.subarray(0, end));
}

// An index partition key must be a non-empty string of at most 2048 bytes; DynamoDB rejects the
// whole batch otherwise. Such a value (an empty ARN, a giant id) just leaves the event out of that index.
const MAX_INDEX_KEY_BYTES = 2048;

function indexKey(value: string | undefined): string | undefined {
  return value && utf8Length(value) <= MAX_INDEX_KEY_BYTES ? value : undefined;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function setPayload(
  item: EventItem,
  name: 'requestParameters' | 'responseElements',
  value: unknown,
  maxBytes: number,
): void {
  if (value === undefined) return;
  const json = JSON.stringify(value);
  if (utf8Length(json) <= maxBytes) {
    item[name] = json;
    return;
  }
  item[name] = truncateUtf8(json, maxBytes);
  item[`${name}Truncated`] = true;
}

function readPayload(text: string | undefined, truncated: true | undefined): unknown {
  if (text === undefined) return undefined;
  // A cut payload is no longer JSON: hand back the text so callers still see what was kept.
  if (truncated) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new EventItemError(
      `stored payload is not JSON although not marked truncated: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

// Payloads are capped, but a call naming thousands of resources could still outgrow an item: keep
// the first resources that fit (resourceKey comes from the first, so it never changes).
function fitResources(item: EventItem): void {
  let size = estimateItemBytes(item);
  if (size <= ITEM_BUDGET_BYTES) return;
  const kept = [...item.resources];
  while (kept.length > 1 && size > ITEM_BUDGET_BYTES) {
    const dropped = kept.pop();
    if (dropped) size -= utf8Length(dropped.type) + utf8Length(dropped.id) + 16;
  }
  item.resources = kept;
  item.resourcesTruncated = true;
}

// DynamoDB counts attribute names plus values; JSON length is a close upper bound for our shapes.
function estimateItemBytes(item: EventItem): number {
  return utf8Length(JSON.stringify(item));
}

function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
