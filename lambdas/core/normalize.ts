import type * as z from 'zod';
import type { CloudTrailRecord } from './cloudtrail-record';
import { normalizeEventTime } from './event-time';
import type { NormalizedEvent } from './normalized-event';
import { athenaNormalizer } from './normalizers/athena-normalizer';
import { batchNormalizer } from './normalizers/batch-normalizer';
import { emrNormalizer } from './normalizers/emr-normalizer';
import { glueNormalizer } from './normalizers/glue-normalizer';
import type { ServiceNormalizer } from './normalizers/service-normalizer';
import { clipPayloadDepth } from './payload-depth';
import { principalFromIdentity } from './principal';
import { checkCloudTrailRecord } from './record-check';
import { isObject } from './resource-refs';
import { serviceForEventSource, type ServiceName } from './services';

/** Why a record was skipped; also the key under which LogStats.recordsSkipped counts it. */
export type NormalizeSkipReason =
  | 'invalid-record'
  | 'missing-field'
  | 'invalid-field'
  | 'invalid-time'
  | 'unwatched-service'
  | 'normalize-error';

/** Outcome of normalizing one record: the event, or why there is none (never an exception). */
export type NormalizeResult =
  | { readonly ok: true; readonly event: NormalizedEvent }
  | { readonly ok: false; readonly reason: NormalizeSkipReason; readonly message: string };

const NORMALIZERS: Readonly<Record<ServiceName, ServiceNormalizer>> = {
  glue: glueNormalizer,
  emr: emrNormalizer,
  athena: athenaNormalizer,
  batch: batchNormalizer,
};

// The fields every event has; reported first when several are wrong, in this order.
const REQUIRED = ['eventSource', 'eventName', 'eventTime', 'eventID'];

function skip(reason: NormalizeSkipReason, message: string): NormalizeResult {
  return { ok: false, reason, message };
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

// Turns the first schema problem into a reason and a message that names the field.
function explain(raw: Record<string, unknown>, issues: readonly z.core.$ZodIssue[]): NormalizeResult {
  const rank = (i: z.core.$ZodIssue) => {
    const at = REQUIRED.indexOf(String(i.path[0]));
    return at === -1 ? REQUIRED.length : at;
  };
  const issue = [...issues].sort((a, b) => rank(a) - rank(b))[0];
  const field = issue?.path.map(String).join('.') ?? '';
  const top = String(issue?.path[0] ?? '');
  const value = raw[top];
  if (REQUIRED.includes(top) && (value === undefined || value === null || value === '')) {
    return skip('missing-field', `${field} is missing`);
  }
  if (top === 'eventTime') {
    const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 64)) : describe(value);
    return skip('invalid-time', `eventTime ${shown} is not a time`);
  }
  return skip('invalid-field', `${field || 'record'} is not valid: ${issue?.message ?? 'unknown problem'}`);
}

function presentString(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function buildEvent(logged: CloudTrailRecord, service: ServiceName, eventTime: string): NormalizedEvent {
  // Clipped before anything walks them: the normalizers and every consumer of the event recurse.
  const request = clipPayloadDepth(logged.requestParameters);
  const response = clipPayloadDepth(logged.responseElements);
  const record: CloudTrailRecord =
    request.clipped || response.clipped
      ? { ...logged, requestParameters: request.value, responseElements: response.value }
      : logged;
  const normalizer = NORMALIZERS[service];
  const identity = record.userIdentity;
  let errorCode = presentString(record.errorCode);
  let errorMessage = presentString(record.errorMessage);
  let failed = errorCode !== undefined || errorMessage !== undefined;
  if (!failed) {
    const inResponse = normalizer.responseFailure(record);
    if (inResponse) {
      failed = true;
      errorCode = inResponse.errorCode;
      errorMessage = inResponse.errorMessage;
    }
  }
  // Keys are added in the documented order, and only when there is a value: absent means absent,
  // never `undefined`, so JSON lines and stored items look alike. (No helper closure: it would be made,
  // and named, once per record.)
  const event: Record<string, unknown> = {
    service,
    eventSource: record.eventSource,
    eventName: record.eventName,
  };
  event.eventTime = eventTime;
  event.eventId = record.eventID;
  const requestId = presentString(record.requestID);
  if (requestId !== undefined) event.requestId = requestId;
  const eventType = presentString(record.eventType);
  if (eventType !== undefined) event.eventType = eventType;
  const eventVersion = presentString(record.eventVersion);
  if (eventVersion !== undefined) event.eventVersion = eventVersion;
  if (record.readOnly !== undefined) event.readOnly = record.readOnly;
  const accountId = presentString(record.recipientAccountId) ?? presentString(identity?.accountId);
  if (accountId !== undefined) event.accountId = accountId;
  const region = presentString(record.awsRegion);
  if (region !== undefined) event.region = region;
  const principal = principalFromIdentity(identity);
  if (principal !== undefined) event.principal = principal;
  const sourceIp = presentString(record.sourceIPAddress);
  if (sourceIp !== undefined) event.sourceIp = sourceIp;
  const userAgent = presentString(record.userAgent);
  if (userAgent !== undefined) event.userAgent = userAgent;
  event.failed = failed;
  if (errorCode !== undefined) event.errorCode = errorCode;
  if (errorMessage !== undefined) event.errorMessage = errorMessage;
  event.resources = normalizer.resources(record);
  // Raw parameters are kept as logged, null included (Glue logs null responses for many Get* calls).
  if (record.requestParameters !== undefined) event.requestParameters = record.requestParameters;
  if (record.responseElements !== undefined) event.responseElements = record.responseElements;
  if (request.clipped || response.clipped) event.payloadsClipped = true;
  return event as NormalizedEvent;
}

/**
 * Validates one raw CloudTrail record and turns a Glue, EMR, Athena or Batch call into a
 * NormalizedEvent. Bad records give `{ok: false}` with a reason and a message naming the field.
 */
export function normalizeRecord(raw: unknown): NormalizeResult {
  if (!isObject(raw)) return skip('invalid-record', `record is ${describe(raw)}, not an object`);
  try {
    // The cheap check first: most records in a real file belong to other services.
    if (
      typeof raw.eventSource === 'string' &&
      raw.eventSource !== '' &&
      !serviceForEventSource(raw.eventSource)
    ) {
      return skip('unwatched-service', `eventSource ${raw.eventSource} is not a watched service`);
    }
    const checked = checkCloudTrailRecord(raw);
    if (!checked.ok) return explain(raw, checked.issues);
    const record = checked.record;
    const service = serviceForEventSource(record.eventSource);
    if (!service)
      return skip('unwatched-service', `eventSource ${record.eventSource} is not a watched service`);
    const eventTime = normalizeEventTime(record.eventTime);
    if (eventTime === undefined)
      return skip('invalid-time', `eventTime ${JSON.stringify(record.eventTime)} is not a time`);
    return { ok: true, event: buildEvent(record, service, eventTime) };
  } catch (err) {
    // A defect here must cost one record, not the file: callers count it like any other skip.
    return skip(
      'normalize-error',
      `record could not be normalized: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}
