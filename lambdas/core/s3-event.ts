import * as z from 'zod';
import type { LogObjectRef } from './ports';

/** One record of an S3 event notification (S3 → Lambda, or S3 → SQS/SNS → Lambda). */
export const S3EventRecordSchema = z.looseObject({
  eventSource: z.literal('aws:s3'),
  eventName: z.string(),
  eventTime: z.string().optional(),
  awsRegion: z.string().optional(),
  s3: z.looseObject({
    bucket: z.looseObject({ name: z.string().min(1), arn: z.string().optional() }),
    object: z.looseObject({
      // URL-encoded the way HTML forms are: `+` is a space, `%2B` a plus.
      key: z.string().min(1),
      // Absent on ObjectRemoved events.
      size: z.number().int().nonnegative().optional(),
      eTag: z.string().optional(),
      versionId: z.string().optional(),
      sequencer: z.string().optional(),
    }),
  }),
});
export type S3EventRecord = z.infer<typeof S3EventRecordSchema>;

/** An S3 event notification: one or more records. */
export const S3NotificationEventSchema = z.looseObject({
  Records: z.array(S3EventRecordSchema).min(1),
});
export type S3NotificationEvent = z.infer<typeof S3NotificationEventSchema>;

/** The `s3:TestEvent` S3 sends once when a notification configuration is saved. */
export const S3TestEventSchema = z.looseObject({
  Service: z.literal('Amazon S3'),
  Event: z.literal('s3:TestEvent'),
  Bucket: z.string().optional(),
});

/** An S3 "Object Created" event delivered through EventBridge. */
export const EventBridgeObjectCreatedSchema = z.looseObject({
  source: z.literal('aws.s3'),
  'detail-type': z.literal('Object Created'),
  region: z.string().optional(),
  time: z.string().optional(),
  detail: z.looseObject({
    bucket: z.looseObject({ name: z.string().min(1) }),
    object: z.looseObject({
      // Not URL-encoded: EventBridge carries the key as stored.
      key: z.string().min(1),
      size: z.number().int().nonnegative().optional(),
      etag: z.string().optional(),
      'version-id': z.string().optional(),
      sequencer: z.string().optional(),
    }),
    reason: z.string().optional(),
  }),
});
export type EventBridgeObjectCreated = z.infer<typeof EventBridgeObjectCreatedSchema>;

/** An object an event announces, its key decoded. `size` is absent when the event does not give it. */
export interface AnnouncedObject extends LogObjectRef {
  readonly size?: number;
  /** The event's name, e.g. `ObjectCreated:Put` (S3) or `Object Created` (EventBridge). */
  readonly eventName: string;
  /** True for object-created events, the only ones the pipeline reads. */
  readonly created: boolean;
  /** When the event says the object was written (absent or invalid time: undefined). */
  readonly deliveredAt?: Date;
}

/** A record of an S3 notification that was not read (the others were): where it is and why. */
export interface RejectedRecord {
  /** Its index in `Records`. */
  readonly index: number;
  /** Says which field is wrong, e.g. `Records.2.s3.object.key: '%zz.json.gz' is not valid URL encoding`. */
  readonly message: string;
  /** The bucket and the key as sent (still encoded), when the record names them. */
  readonly bucket?: string;
  readonly key?: string;
}

/** The objects an event announces plus the records that could not be read, or why nothing could. */
export type ParsedIngestEvent =
  | {
      readonly ok: true;
      readonly objects: AnnouncedObject[];
      /** Records of an S3 notification that were not read; the objects of the valid ones are listed. */
      readonly rejected: RejectedRecord[];
    }
  | { readonly ok: false; readonly message: string };

// The envelope alone: records are validated one by one, so one bad record costs only itself.
const S3NotificationEnvelopeSchema = z.looseObject({ Records: z.array(z.unknown()).min(1) });

// A key in a message is cut: keys may be 1 KB, and a message names many records.
const SHOWN_KEY_CHARS = 200;

/**
 * Validates an S3 notification, an EventBridge "Object Created" event or S3's test event, and lists
 * the objects it announces (none for the test event), keys decoded. Each record of a notification is
 * validated on its own: a malformed one is listed in `rejected` and the others are still read; only
 * when no record is valid is the whole event not ok.
 */
export function parseIngestEvent(event: unknown): ParsedIngestEvent {
  const envelope = S3NotificationEnvelopeSchema.safeParse(event);
  if (envelope.success) {
    const objects: AnnouncedObject[] = [];
    const rejected: RejectedRecord[] = [];
    envelope.data.Records.forEach((raw, index) => {
      const read = readNotificationRecord(raw, index);
      if ('rejected' in read) rejected.push(read.rejected);
      else objects.push(read.object);
    });
    if (objects.length === 0 && rejected.length > 0) {
      const first = rejected[0] as RejectedRecord;
      const more = rejected.length > 1 ? ` (and ${rejected.length - 1} more records rejected)` : '';
      return { ok: false, message: `${first.message}${more}` };
    }
    return { ok: true, objects, rejected };
  }
  const bridged = EventBridgeObjectCreatedSchema.safeParse(event);
  if (bridged.success) {
    const { bucket, object } = bridged.data.detail;
    return {
      ok: true,
      objects: [
        {
          bucket: bucket.name,
          key: object.key,
          ...(object.size !== undefined ? { size: object.size } : {}),
          eventName: bridged.data['detail-type'],
          created: true,
          ...dateOf(bridged.data.time),
        },
      ],
      rejected: [],
    };
  }
  if (S3TestEventSchema.safeParse(event).success) return { ok: true, objects: [], rejected: [] };
  return { ok: false, message: describeEventError(event, envelope.error, bridged.error) };
}

function readNotificationRecord(
  raw: unknown,
  index: number,
): { object: AnnouncedObject } | { rejected: RejectedRecord } {
  const where = `Records.${index}`;
  const named = namesOf(raw);
  const parsed = S3EventRecordSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue && issue.path.length > 0 ? `.${issue.path.join('.')}` : '';
    return {
      rejected: { index, message: `${where}${path}: ${issue?.message ?? 'invalid record'}`, ...named },
    };
  }
  const record = parsed.data;
  const key = decodeS3EventKey(record.s3.object.key);
  if (key === undefined) {
    return {
      rejected: {
        index,
        message: `${where}.s3.object.key: '${shown(record.s3.object.key)}' is not valid URL encoding`,
        ...named,
      },
    };
  }
  return {
    object: {
      bucket: record.s3.bucket.name,
      key,
      ...(record.s3.object.size !== undefined ? { size: record.s3.object.size } : {}),
      eventName: record.eventName,
      created: record.eventName.startsWith('ObjectCreated:'),
      ...dateOf(record.eventTime),
    },
  };
}

// The bucket and raw key of a record that failed validation, when it has them as strings.
function namesOf(raw: unknown): { bucket?: string; key?: string } {
  const s3 = isRecord(raw) && isRecord(raw.s3) ? raw.s3 : undefined;
  const bucket = s3 && isRecord(s3.bucket) ? s3.bucket.name : undefined;
  const key = s3 && isRecord(s3.object) ? s3.object.key : undefined;
  return {
    ...(typeof bucket === 'string' ? { bucket } : {}),
    ...(typeof key === 'string' ? { key: shown(key) } : {}),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function shown(text: string): string {
  return text.length <= SHOWN_KEY_CHARS ? text : `${text.slice(0, SHOWN_KEY_CHARS)}…`;
}

/**
 * Decodes an S3 notification key: `+` is a space, then percent-decoding (so `%2B` is a plus).
 * Returns undefined for a malformed escape.
 */
export function decodeS3EventKey(encoded: string): string | undefined {
  try {
    return decodeURIComponent(encoded.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/** Encodes a key the way S3 does in its notifications (the inverse of decodeS3EventKey). */
export function encodeS3EventKey(key: string): string {
  // encodeURIComponent leaves a few characters alone that S3 escapes; `/` S3 keeps as is.
  return encodeURIComponent(key)
    .replace(/%20/g, '+')
    .replace(/%2F/g, '/')
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function dateOf(time: string | undefined): { deliveredAt?: Date } {
  if (time === undefined) return {};
  const date = new Date(time);
  return Number.isNaN(date.getTime()) ? {} : { deliveredAt: date };
}

function describeEventError(event: unknown, notificationError: z.ZodError, bridgedError: z.ZodError): string {
  if (typeof event !== 'object' || event === null)
    return `expected an event object, got ${event === null ? 'null' : typeof event}`;
  // Report against the shape the event claims to be, not every accepted shape.
  const issues =
    'Records' in event ? notificationError.issues : 'detail' in event ? bridgedError.issues : undefined;
  const first = issues?.[0];
  if (!issues || !first) return 'not an S3 notification, EventBridge Object Created or S3 test event';
  const where = first.path.length > 0 ? first.path.join('.') : 'event';
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problems)` : '';
  return `${where}: ${first.message}${more}`;
}
