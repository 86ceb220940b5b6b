import { AlertDelivery } from '../../lambdas/core/alert-delivery';
import { readApiCallEvent } from '../../lambdas/core/api-call-event';
import type { NormalizedEvent } from '../../lambdas/core/normalized-event';
import type { LogObjectRef, SingleEventSink } from '../../lambdas/core/ports';
import {
  ApiCallFailedError,
  handleApiCallEvent,
  type ApiCallObserver,
} from '../../lambdas/app/api-call-handler';
import { apiCallEntry, failedStartJobRun } from '../../local/api-call-sample';
import { InMemoryAlertLedger, InMemoryPublisher } from '../helpers/in-memory-alert-ports';

// The real-time path's entry: an EventBridge "AWS API Call via CloudTrail" event in, the same
// normalized event, item and alert as its log file's record out.

const CALL_TIME = new Date('2026-11-22T03:00:00Z');

/** The event EventBridge delivers to the rule's target for one CloudTrail record. */
function busEvent(record: Record<string, unknown>, id = 'eb-0001'): Record<string, unknown> {
  const entry = apiCallEntry(record);
  return {
    version: '0',
    id,
    'detail-type': entry.DetailType,
    source: entry.Source,
    account: '123456789012',
    time: '2026-11-22T03:00:02Z',
    region: 'us-east-1',
    resources: [],
    detail: JSON.parse(entry.Detail) as unknown,
  };
}

class MemorySink implements SingleEventSink {
  readonly items = new Map<string, { event: NormalizedEvent; source: LogObjectRef }>();
  failWith: Error | undefined;
  async putEventIfAbsent(event: NormalizedEvent, source: LogObjectRef): Promise<boolean> {
    if (this.failWith) throw this.failWith;
    if (this.items.has(event.eventId)) return false;
    this.items.set(event.eventId, { event, source });
    return true;
  }
}

function world() {
  const ledger = new InMemoryAlertLedger();
  const publisher = new InMemoryPublisher();
  const sink = new MemorySink();
  const at = new Date(CALL_TIME.getTime() + 4_200);
  const alerts = new AlertDelivery({ ledger, publisher, now: () => at, monotonicNow: () => 0 });
  const seen: string[] = [];
  const observer: ApiCallObserver = {
    eventProcessed: (s) => seen.push(`processed ${s.eventId}`),
    eventSkipped: (s, message) => seen.push(`skipped ${s.skipReason}: ${message}`),
    eventFailed: (id) => seen.push(`failed ${id}`),
  };
  return { ledger, publisher, sink, alerts, observer, seen };
}

describe('readApiCallEvent', () => {
  test('normalizes the record in detail exactly as the log file reader does, under the eventbridge: source', () => {
    // Prepare
    const record = failedStartJobRun(CALL_TIME, 'evt-rt-1');

    // Act
    const read = readApiCallEvent(busEvent(record));

    // Assess
    expect(read).toMatchObject({
      ok: true,
      source: { bucket: 'eventbridge:', key: 'eb-0001' },
      event: { eventId: 'evt-rt-1', service: 'glue', eventName: 'StartJobRun', failed: true },
    });
  });

  test.each([
    [
      'another detail-type',
      (e: Record<string, unknown>) => ({ ...e, 'detail-type': 'Glue Job State Change' }),
      /^not an "AWS API Call via CloudTrail" event: detail-type: /,
    ],
    [
      'no id',
      (e: Record<string, unknown>) => ({ ...e, id: undefined }),
      /: id: required: the EventBridge event id/,
    ],
    ['a detail that is not an object', (e: Record<string, unknown>) => ({ ...e, detail: 'x' }), /: detail: /],
  ])('%s: skipped with one line naming the field', (_name, change, message) => {
    const read = readApiCallEvent(change(busEvent(failedStartJobRun(CALL_TIME))));
    expect(read).toMatchObject({
      ok: false,
      reason: 'not-an-api-call-event',
      message: expect.stringMatching(message),
    });
  });

  test('a record the normalizer rejects is skipped with its reason, prefixed by detail', () => {
    const record = { ...failedStartJobRun(CALL_TIME), eventTime: 'yesterday' };
    const read = readApiCallEvent(busEvent(record));
    expect(read).toMatchObject({ ok: false, id: 'eb-0001', message: expect.stringMatching(/^detail: /) });
  });
});

describe('handleApiCallEvent', () => {
  test('stores and alerts a failed call; the alert says EventBridge and how long after the call', async () => {
    // Prepare
    const { sink, alerts, observer, publisher, seen } = world();

    // Act
    const summary = await handleApiCallEvent(busEvent(failedStartJobRun(CALL_TIME, 'evt-rt-2')), {
      sink,
      alerts,
      observer,
    });

    // Assess
    expect(summary).toMatchObject({
      status: 'processed',
      stored: true,
      alerts: { eventsAlerted: 1, secondsAfterFirstCall: [4] },
    });
    expect(sink.items.get('evt-rt-2')?.source).toEqual({ bucket: 'eventbridge:', key: 'eb-0001' });
    expect(publisher.published[0]?.document.delivery).toEqual({
      path: 'eventbridge',
      sentAt: '2026-11-22T03:00:04.200Z',
      secondsAfterFirstCall: 4,
      secondsAfterLastCall: 4,
    });
    expect(publisher.published[0]?.text).toContain('Sent:     2026-11-22 03:00:04 UTC, 4 s after the call');
    expect(seen).toEqual(['processed evt-rt-2']);
  });

  test('EventBridge delivering the same event twice (same id): one item, one alert', async () => {
    const { sink, alerts, publisher } = world();
    const event = busEvent(failedStartJobRun(CALL_TIME, 'evt-rt-3'));
    await handleApiCallEvent(event, { sink, alerts });
    const again = await handleApiCallEvent(event, { sink, alerts });
    expect(again).toMatchObject({ stored: false, alerts: { eventsAlerted: 0, eventsAlreadyAlerted: 1 } });
    expect(publisher.published).toHaveLength(1);
  });

  test('a successful call is stored and not alerted', async () => {
    const { sink, alerts, publisher } = world();
    const ok = failedStartJobRun(CALL_TIME, 'evt-rt-4');
    delete ok.errorCode;
    delete ok.errorMessage;
    const summary = await handleApiCallEvent(busEvent(ok), { sink, alerts });
    expect(summary).toMatchObject({ status: 'processed', failed: false, stored: true });
    expect(summary.alerts).toBeUndefined();
    expect(publisher.published).toHaveLength(0);
  });

  test('a store failure fails the invocation (Lambda retries it) and alerts nothing', async () => {
    const { sink, alerts, publisher, observer, seen } = world();
    sink.failWith = new Error('table unavailable');
    const handled = handleApiCallEvent(busEvent(failedStartJobRun(CALL_TIME, 'evt-rt-5')), {
      sink,
      alerts,
      observer,
    });
    await expect(handled).rejects.toBeInstanceOf(ApiCallFailedError);
    await expect(handled).rejects.toThrow(
      /^EventBridge event eb-0001 \(glue StartJobRun, eventId evt-rt-5\): table unavailable$/,
    );
    expect(publisher.published).toHaveLength(0);
    expect(seen).toEqual(['failed eb-0001']);
  });

  test('an event that is not an API call is skipped (not retried) and reported', async () => {
    const { sink, alerts, observer, seen } = world();
    const summary = await handleApiCallEvent({ source: 'aws.s3' }, { sink, alerts, observer });
    expect(summary).toMatchObject({ status: 'skipped', skipReason: 'not-an-api-call-event' });
    expect(seen).toEqual([
      expect.stringMatching(/^skipped not-an-api-call-event: not an "AWS API Call via CloudTrail" event/),
    ]);
  });
});
