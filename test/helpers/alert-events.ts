import { normalizeRecord } from '../../lambdas/core/normalize';
import type { NormalizedEvent } from '../../lambdas/core/normalized-event';
import type { ServiceName } from '../../lambdas/core/services';
import { SERVICES } from '../../lambdas/core/services';
import { seedRecord } from '../../local/seed-records';

/** The seed Athena failure (StartQueryExecution, InvalidRequestException) through the real normalizer. */
export function seedAthenaFailure(): NormalizedEvent {
  const result = normalizeRecord(seedRecord('athena-start-query-execution-failed').record);
  if (!result.ok) throw new Error(`the seed Athena failure does not normalize: ${result.message}`);
  return result.event;
}

/**
 * A synthetic failed call, like the seed but with its own eventId (`evt-<n>`), one second apart
 * per `n`, and any field overridden.
 */
export function failure(n: number, overrides: Partial<NormalizedEvent> = {}): NormalizedEvent {
  const service: ServiceName = overrides.service ?? 'athena';
  const time = new Date(Date.UTC(2026, 10, 22, 3, 0, 0) + n * 1000).toISOString().replace('.000Z', 'Z');
  return {
    service,
    eventSource: SERVICES[service].eventSource,
    eventName: 'StartQueryExecution',
    eventTime: time,
    eventId: `evt-${String(n).padStart(6, '0')}`,
    requestId: `req-${n}`,
    eventType: 'AwsApiCall',
    eventVersion: '1.08',
    accountId: '123456789012',
    region: 'us-east-1',
    principal: {
      type: 'AssumedRole',
      arn: 'arn:aws:sts::123456789012:assumed-role/etl-runner/session-1',
      accountId: '123456789012',
      principalId: 'AROAEXAMPLE:session-1',
      userName: 'etl-runner',
      sessionIssuerArn: 'arn:aws:iam::123456789012:role/etl-runner',
    },
    sourceIp: '10.0.0.12',
    userAgent: 'aws-sdk-js/3.0.0',
    failed: true,
    errorCode: 'InvalidRequestException',
    errorMessage: 'Invalid result configuration',
    resources: [{ type: 'athena:workgroup', id: 'analytics' }],
    requestParameters: { queryString: 'SELECT 1', workGroup: 'analytics' },
    responseElements: null,
    ...overrides,
  };
}

/**
 * Failures `from`..`to` (failure(n) each), with distinct error codes: every failure has a signature of
 * its own, so none is suppressed by another.
 */
export function distinctFailures(from: number, to: number): NormalizedEvent[] {
  return Array.from({ length: to - from + 1 }, (_, i) =>
    failure(from + i, { errorCode: `Error${from + i}` }),
  );
}

/** Each event's id counted once: what timesCarried() gives when every event went out in one message. */
export function onceEach(events: readonly NormalizedEvent[]): Record<string, number> {
  return Object.fromEntries(events.map((e) => [e.eventId, 1]));
}
