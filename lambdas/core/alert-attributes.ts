import type { AlertAttribute } from './alert-document';
import { ATTRIBUTE_ERROR_CODES, errorCodes } from './alert-summary';
import type { NormalizedEvent } from './normalized-event';
import type { ServiceName } from './services';

/** The message attributes subscription filter policies match on. */
export function alertAttributes(
  service: ServiceName,
  events: readonly NormalizedEvent[],
  accountId: string,
  region: string,
  maxErrorCodes = ATTRIBUTE_ERROR_CODES,
  failureCount = events.length,
): Record<string, AlertAttribute> {
  const codes = errorCodes(events).slice(0, maxErrorCodes);
  return {
    service: { DataType: 'String', StringValue: service },
    // Left out rather than sent empty when no failure carries a code: there is nothing to match.
    ...(codes.length > 0
      ? { errorCode: { DataType: 'String.Array' as const, StringValue: JSON.stringify(codes) } }
      : {}),
    accountId: { DataType: 'String', StringValue: accountId },
    region: { DataType: 'String', StringValue: region },
    failureCount: { DataType: 'Number', StringValue: String(failureCount) },
  };
}

/** Bytes SNS counts for the attributes: names, types and values. */
export function attributeBytes(attributes: Record<string, AlertAttribute>): number {
  return Object.entries(attributes).reduce(
    (sum, [name, value]) =>
      sum +
      Buffer.byteLength(name) +
      Buffer.byteLength(value.DataType) +
      Buffer.byteLength(value.StringValue),
    0,
  );
}
