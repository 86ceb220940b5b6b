import type { NormalizedEvent, Principal } from './normalized-event';

// The email text clips error messages at 600 characters; a slim failure keeps no more than that.
const SLIM_ERROR_MESSAGE_CHARS = 600;

const NO_RESOURCES: NormalizedEvent['resources'] = Object.freeze(
  [],
) as unknown as NormalizedEvent['resources'];

/**
 * A failure without its payloads (no requestParameters, responseElements or resources; error message
 * clipped), every value copied out of the record it was read from: what an overflow kind keeps as its
 * example, a few hundred bytes that hold nothing of the record.
 */
// Every field built in one object literal (no `delete`, which would turn it into a far larger
// dictionary-mode object), in the order the normalizer writes them.
export function slimFailure(event: NormalizedEvent): NormalizedEvent {
  const message = event.errorMessage;
  return {
    service: event.service,
    eventSource: ownString(event.eventSource),
    eventName: ownString(event.eventName),
    eventTime: ownString(event.eventTime),
    eventId: ownString(event.eventId),
    ...(event.requestId !== undefined ? { requestId: ownString(event.requestId) } : {}),
    ...(event.eventType !== undefined ? { eventType: ownString(event.eventType) } : {}),
    ...(event.eventVersion !== undefined ? { eventVersion: ownString(event.eventVersion) } : {}),
    ...(event.readOnly !== undefined ? { readOnly: event.readOnly } : {}),
    ...(event.accountId !== undefined ? { accountId: ownString(event.accountId) } : {}),
    ...(event.region !== undefined ? { region: ownString(event.region) } : {}),
    principal: ownPrincipal(event.principal),
    ...(event.sourceIp !== undefined ? { sourceIp: ownString(event.sourceIp) } : {}),
    ...(event.userAgent !== undefined ? { userAgent: ownString(event.userAgent) } : {}),
    failed: event.failed,
    ...(event.errorCode !== undefined ? { errorCode: ownString(event.errorCode) } : {}),
    ...(message !== undefined
      ? {
          errorMessage: ownString(
            message.length > SLIM_ERROR_MESSAGE_CHARS ? message.slice(0, SLIM_ERROR_MESSAGE_CHARS) : message,
          ),
        }
      : {}),
    resources: NO_RESOURCES,
  };
}

function ownPrincipal(principal: Principal): Principal {
  return {
    type: ownString(principal.type),
    ...(principal.arn !== undefined ? { arn: ownString(principal.arn) } : {}),
    ...(principal.accountId !== undefined ? { accountId: ownString(principal.accountId) } : {}),
    ...(principal.principalId !== undefined ? { principalId: ownString(principal.principalId) } : {}),
    ...(principal.userName !== undefined ? { userName: ownString(principal.userName) } : {}),
    ...(principal.sessionIssuerArn !== undefined
      ? { sessionIssuerArn: ownString(principal.sessionIssuerArn) }
      : {}),
    ...(principal.invokedBy !== undefined ? { invokedBy: ownString(principal.invokedBy) } : {}),
  };
}

/** A copy of the string that does not point into the (much larger) text it may have been cut from. */
export function ownString(value: string): string {
  return value.length < 13 ? value : Buffer.from(value, 'utf8').toString('utf8');
}
