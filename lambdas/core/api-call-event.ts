import * as z from 'zod';
import { normalizeRecord, type NormalizeSkipReason } from './normalize';
import type { NormalizedEvent } from './normalized-event';
import { EVENTBRIDGE_BUCKET } from './object-ref';
import type { LogObjectRef } from './ports';

/** The detail-type CloudTrail gives the management events it sends to EventBridge. */
export const API_CALL_DETAIL_TYPE = 'AWS API Call via CloudTrail';

/**
 * An EventBridge event carrying one CloudTrail record (docs/alerts.md#two-paths): the envelope is
 * checked here, the record in `detail` by the same normalizer as a log file's records.
 */
export const ApiCallEventSchema = z.looseObject({
  id: z.string('required: the EventBridge event id').min(1, 'must not be empty'),
  'detail-type': z.literal(API_CALL_DETAIL_TYPE),
  source: z.string(),
  time: z.string().optional(),
  account: z.string().optional(),
  region: z.string().optional(),
  detail: z.record(z.string(), z.unknown()),
});
/** The envelope of an "AWS API Call via CloudTrail" event. */
export type ApiCallEvent = z.infer<typeof ApiCallEventSchema>;

/** Why an EventBridge event gave no stored event: not this kind of event, or its record could not be normalized. */
export type ApiCallSkipReason = 'not-an-api-call-event' | NormalizeSkipReason;

/** An EventBridge event read: the normalized call and the source it is stored and alerted under. */
export type ApiCallReadResult =
  | {
      readonly ok: true;
      readonly event: NormalizedEvent;
      readonly source: LogObjectRef;
      /** When EventBridge says the event happened (its `time`), if given. */
      readonly receivedAt?: string;
    }
  | {
      readonly ok: false;
      readonly reason: ApiCallSkipReason;
      readonly message: string;
      readonly id?: string;
    };

/** The source of an EventBridge event: keyed by its id, which EventBridge keeps on every redelivery. */
export function eventBridgeSource(eventBridgeId: string): LogObjectRef {
  return { bucket: EVENTBRIDGE_BUCKET, key: eventBridgeId };
}

/** Validates an EventBridge event and normalizes the CloudTrail record it carries; never throws. */
export function readApiCallEvent(raw: unknown): ApiCallReadResult {
  const parsed = ApiCallEventSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : 'event';
    const id = isRecord(raw) && typeof raw.id === 'string' ? raw.id : undefined;
    return {
      ok: false,
      reason: 'not-an-api-call-event',
      message: `not an "${API_CALL_DETAIL_TYPE}" event: ${where}: ${issue?.message ?? 'invalid'}`,
      ...(id !== undefined ? { id } : {}),
    };
  }
  const envelope = parsed.data;
  const result = normalizeRecord(envelope.detail);
  if (!result.ok)
    return { ok: false, reason: result.reason, message: `detail: ${result.message}`, id: envelope.id };
  return {
    ok: true,
    event: result.event,
    source: eventBridgeSource(envelope.id),
    ...(envelope.time !== undefined ? { receivedAt: envelope.time } : {}),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
