import * as z from 'zod';
import { SERVICE_NAMES } from './services';

/** Who made the call, flattened from CloudTrail's userIdentity. Fields appear only when present. */
export const PrincipalSchema = z.object({
  /** userIdentity.type: Root, IAMUser, AssumedRole, Role, FederatedUser, AWSAccount, AWSService, ... */
  type: z.string(),
  arn: z.string().optional(),
  accountId: z.string().optional(),
  principalId: z.string().optional(),
  /** userName, else the session issuer's userName, else the invoking service or identity store user. */
  userName: z.string().optional(),
  /** For AssumedRole / FederatedUser: the role or user that issued the session. */
  sessionIssuerArn: z.string().optional(),
  /** For AWSService identities and calls made on a principal's behalf: the service that called. */
  invokedBy: z.string().optional(),
});
export type Principal = z.infer<typeof PrincipalSchema>;

/** A resource the call touched, found in requestParameters or responseElements. */
export const ResourceRefSchema = z.object({
  /** Kind of resource, e.g. `glue:job-run`, `emr:cluster`, `emr-serverless:job-run`, `batch:job-queue`. */
  type: z.string(),
  /** The resource's id in the format docs/normalized-event.md lists per kind (ARNs reduced, tables qualified). */
  id: z.string(),
});
export type ResourceRef = z.infer<typeof ResourceRefSchema>;

/** One Glue, EMR, Athena or Batch API call in trailwatch's single shape (see docs/normalized-event.md). */
export const NormalizedEventSchema = z.object({
  service: z.enum(SERVICE_NAMES as [string, ...string[]]),
  eventSource: z.string(),
  eventName: z.string(),
  /** ISO-8601 UTC with second precision or better, always ending in `Z`. */
  eventTime: z.string(),
  eventId: z.string(),
  requestId: z.string().optional(),
  eventType: z.string().optional(),
  eventVersion: z.string().optional(),
  readOnly: z.boolean().optional(),
  /** recipientAccountId, else the identity's account. */
  accountId: z.string().optional(),
  region: z.string().optional(),
  principal: PrincipalSchema,
  sourceIp: z.string().optional(),
  userAgent: z.string().optional(),
  failed: z.boolean(),
  errorCode: z.string().optional(),
  errorMessage: z.string().optional(),
  resources: z.array(ResourceRefSchema),
  requestParameters: z.unknown().optional(),
  responseElements: z.unknown().optional(),
  /** Set when requestParameters or responseElements nested too deep to keep whole (docs/normalized-event.md). */
  payloadsClipped: z.literal(true).optional(),
});
export type NormalizedEvent = Omit<z.infer<typeof NormalizedEventSchema>, 'service'> & {
  service: import('./services').ServiceName;
};
