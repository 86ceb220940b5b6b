import * as z from 'zod';
import { normalizeEventTime } from './event-time';

// The record schema of cloudtrail-record.ts, in a module of its own so that zod is loaded only when a
// record first needs the schema (cloudTrailRecordSchema requires this module then).

// A field logged as null says no more than a field left out; only where null is itself the logged
// value (requestParameters, responseElements, ...: typed unknown below) is it kept.
function looseObjectWithoutNulls<S extends z.core.$ZodLooseShape>(shape: S) {
  const isUnknown = (schema: unknown): boolean =>
    schema instanceof z.ZodUnknown ||
    (schema instanceof z.ZodOptional && schema.unwrap() instanceof z.ZodUnknown);
  const keepNull = new Set(Object.keys(shape).filter((k) => isUnknown(shape[k])));
  return z.preprocess((value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (!entries.some(([k, v]) => v === null && !keepNull.has(k))) return value;
    return Object.fromEntries(entries.filter(([k, v]) => v !== null || keepNull.has(k)));
  }, z.looseObject(shape));
}

/** Builds the schemas (see cloudTrailRecordSchema for why this is a function). */
export function buildRecordSchemas() {
  /** The session issuer of temporary credentials (the role or user the session was made from). */
  const sessionIssuer = looseObjectWithoutNulls({
    type: z.string().optional(),
    principalId: z.string().optional(),
    arn: z.string().optional(),
    accountId: z.string().optional(),
    userName: z.string().optional(),
  });

  /** userIdentity.sessionContext: how temporary credentials were obtained. */
  const sessionContext = looseObjectWithoutNulls({
    sessionIssuer: sessionIssuer.optional(),
    webIdFederationData: looseObjectWithoutNulls({
      federatedProvider: z.string().optional(),
      attributes: z.unknown().optional(),
    }).optional(),
    attributes: z.unknown().optional(),
    sourceIdentity: z.string().optional(),
  });

  /** CloudTrail's userIdentity element; which fields appear depends on `type`. */
  const userIdentity = looseObjectWithoutNulls({
    type: z.string().optional(),
    principalId: z.string().optional(),
    arn: z.string().optional(),
    accountId: z.string().optional(),
    accessKeyId: z.string().optional(),
    userName: z.string().optional(),
    invokedBy: z.string().optional(),
    identityProvider: z.string().optional(),
    credentialId: z.string().optional(),
    sessionContext: sessionContext.optional(),
    /** IAM Identity Center: the identity store user the call was made for. */
    onBehalfOf: looseObjectWithoutNulls({
      userId: z.string().optional(),
      identityStoreArn: z.string().optional(),
    }).optional(),
  });

  /** One entry of a record's `resources` list. */
  const recordResource = looseObjectWithoutNulls({
    ARN: z.string().optional(),
    accountId: z.string().optional(),
    type: z.string().optional(),
  });

  const requiredString = z.string().min(1);

  /** One element of a CloudTrail log file's `Records` array, as the watched services write it. */
  const record = looseObjectWithoutNulls({
    eventVersion: z.string().optional(),
    userIdentity: userIdentity.optional(),
    eventTime: requiredString.refine((v) => normalizeEventTime(v) !== undefined, {
      message: 'is not an ISO-8601 time',
    }),
    eventSource: requiredString,
    eventName: requiredString,
    awsRegion: z.string().optional(),
    sourceIPAddress: z.string().optional(),
    userAgent: z.string().optional(),
    errorCode: z.string().optional(),
    errorMessage: z.string().optional(),
    requestParameters: z.unknown().optional(),
    responseElements: z.unknown().optional(),
    additionalEventData: z.unknown().optional(),
    requestID: z.string().optional(),
    eventID: requiredString,
    readOnly: z.boolean().optional(),
    resources: z.array(recordResource).optional(),
    eventType: z.string().optional(),
    recipientAccountId: z.string().optional(),
    // Known but unused here: typed loosely so that a service's variation never costs the event.
    apiVersion: z.unknown().optional(),
    managementEvent: z.unknown().optional(),
    sharedEventID: z.unknown().optional(),
    vpcEndpointId: z.unknown().optional(),
    eventCategory: z.unknown().optional(),
    tlsDetails: z.unknown().optional(),
    addendum: z.unknown().optional(),
    sessionCredentialFromConsole: z.unknown().optional(),
    edgeDeviceDetails: z.unknown().optional(),
    serviceEventDetails: z.unknown().optional(),
  });
  return { record, userIdentity, sessionContext, sessionIssuer, recordResource };
}

/** The schemas buildRecordSchemas builds. */
export type RecordSchemas = ReturnType<typeof buildRecordSchemas>;
