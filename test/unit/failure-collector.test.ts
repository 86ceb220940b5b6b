import { gzipSync } from 'node:zlib';
import { AlertDelivery } from '../../lambdas/core/alert-delivery';
import {
  FailureCollector,
  FULL_FAILURES_PER_SERVICE,
  MAX_SHARED_VALUES,
} from '../../lambdas/core/failure-collector';
import type { NormalizedEvent } from '../../lambdas/core/normalized-event';
import { runLogPipeline, type LogObjectSource } from '../../lambdas/core/pipeline';
import {
  emptyAlertOutcome,
  type AlertOutcome,
  type AlertSink,
  type EventSink,
} from '../../lambdas/core/ports';
import { seedRecord } from '../../local/seed-records';
import { failure } from '../helpers/alert-events';
import { InMemoryAlertLedger, InMemoryPublisher } from '../helpers/in-memory-alert-ports';

// Issue 15, case 6: a file's failed calls were all held whole until the alert (3.3 GB for one
// file). Past the first FULL_FAILURES_PER_SERVICE of a service they are now held without payloads.

const REF = { bucket: 'logs', key: 'AWSLogs/123456789012/CloudTrail/us-east-1/2017/05/04/f.json.gz' };
const EXTRA = 150;
const PAYLOAD_CHARS = 4_000;

/** A file of FULL + EXTRA distinct Athena failures, each with a 4 KB query in requestParameters. */
function failingFile(): LogObjectSource {
  const seed = seedRecord('athena-start-query-execution-failed').record as Record<string, unknown>;
  const records = Array.from({ length: FULL_FAILURES_PER_SERVICE + EXTRA }, (_, i) => ({
    ...seed,
    eventID: `big-${i}`,
    requestParameters: { queryString: `SELECT ${'x'.repeat(PAYLOAD_CHARS)} -- ${i}` },
    errorMessage: `${'m'.repeat(5_000)} ${i}`,
  }));
  const body = gzipSync(JSON.stringify({ Records: records }));
  return {
    async open() {
      return (async function* () {
        yield body;
      })();
    },
  };
}

const sink: EventSink = { putEvents: async () => undefined };

describe('failed calls kept for the alert (bounded memory)', () => {
  it('keeps the first failures of a service whole and the rest without payloads', async () => {
    // Prepare
    let given: readonly NormalizedEvent[] = [];
    const alerts: AlertSink = {
      alertFile: async (failures): Promise<AlertOutcome> => {
        given = failures;
        return emptyAlertOutcome();
      },
    };

    // Act
    const summary = await runLogPipeline(REF, { source: failingFile(), sink, alerts });

    // Assess: every failure is there (each is claimed and marked once), only the first ones whole.
    expect(summary.failedCalls).toBe(FULL_FAILURES_PER_SERVICE + EXTRA);
    expect(given).toHaveLength(FULL_FAILURES_PER_SERVICE + EXTRA);
    const whole = given.filter((e) => e.requestParameters !== undefined);
    expect(whole.map((e) => e.eventId)).toEqual(
      Array.from({ length: FULL_FAILURES_PER_SERVICE }, (_, i) => `big-${i}`),
    );
    const rest = given.slice(FULL_FAILURES_PER_SERVICE);
    expect(rest.every((e) => e.requestParameters === undefined && (e.errorMessage ?? '').length <= 600)).toBe(
      true,
    );
    const restBytes = rest.reduce((n, e) => n + JSON.stringify(e).length, 0);
    expect(restBytes / EXTRA).toBeLessThan(2_000);
  });

  it('alerts every failure once, slim ones included', async () => {
    // Prepare
    const ledger = new InMemoryAlertLedger();
    const publisher = new InMemoryPublisher();
    const alerts = new AlertDelivery({ ledger, publisher, claimWaitSeconds: 0 });

    // Act
    const summary = await runLogPipeline(REF, { source: failingFile(), sink, alerts });

    // Assess: one message; every eventId marked alerted; the message counts all of them.
    expect(summary.alerts).toMatchObject({
      messagesPublished: 1,
      eventsAlerted: FULL_FAILURES_PER_SERVICE + EXTRA,
    });
    expect(ledger.markers.size).toBe(FULL_FAILURES_PER_SERVICE + EXTRA);
    expect(publisher.published[0]?.document.failureCount).toBe(FULL_FAILURES_PER_SERVICE + EXTRA);
  });

  it('holds each slim failure with its own ids and shared values, the shared table capped', () => {
    // Prepare: 3,000 failures past the whole ones, from one role in sessions of their own, every
    // one with its own user agent (so the shared table fills past its cap).
    const collector = new FailureCollector(10);
    const seed = failure(0);
    const count = 10 + MAX_SHARED_VALUES + 3_000;

    // Act
    for (let i = 0; i < count; i++) {
      collector.add(
        failure(i, {
          userAgent: `agent/${i}`,
          principal: { ...seed.principal, arn: `${seed.principal.arn ?? ''}-${i}` },
          requestParameters: { queryString: 'x'.repeat(1_000) },
          errorMessage: 'm'.repeat(5_000),
        }),
      );
    }

    // Assess: what it holds, counted.
    expect(collector.holdings).toEqual({ whole: 10, slim: count - 10, sharedValues: MAX_SHARED_VALUES });
    const slim = collector.failures.slice(10);
    expect(slim.every((e) => e.requestParameters === undefined && e.resources.length === 0)).toBe(true);
    const first = slim[0] as NormalizedEvent;
    const second = slim[1] as NormalizedEvent;
    // The error clipped to what the email shows; each session's ARN its own.
    expect(first.errorMessage).toHaveLength(600);
    expect(first.principal).not.toBe(second.principal);
    expect(first.principal).toEqual({ ...seed.principal, arn: `${seed.principal.arn ?? ''}-10` });
    expect(slim.map((e) => e.eventId)).toEqual(
      Array.from({ length: count - 10 }, (_, i) => `evt-${String(i + 10).padStart(6, '0')}`),
    );
  });
});
