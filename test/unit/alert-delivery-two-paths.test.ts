import { AlertInProgressError } from '../../lambdas/core/alert-delivery';
import type { AlertLedger, AlertPublisher } from '../../lambdas/core/alert-ports';
import type { NormalizedEvent } from '../../lambdas/core/normalized-event';
import { EVENTBRIDGE_BUCKET } from '../../lambdas/core/object-ref';
import type { LogObjectRef } from '../../lambdas/core/ports';
import { failure } from '../helpers/alert-events';
import { Crash, crashAt } from '../helpers/crash-ports';
import { InMemoryAlertLedger, InMemoryPublisher } from '../helpers/in-memory-alert-ports';
import { waitingDelivery } from '../helpers/waiting-delivery';

// The same failed call reaching the protocol by EventBridge (one event, within seconds) and in its
// log file (minutes later, with other events): the per-event claims make it one alert whichever
// comes first, and also when both run at the same moment.

const T0 = Date.parse('2026-11-22T12:00:00Z');
const minutes = (n: number) => new Date(T0 + n * 60_000);
const LOG_FILE: LogObjectRef = {
  bucket: 'trail-bucket',
  key: 'AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/22/f.json.gz',
};
const EVENT: LogObjectRef = { bucket: EVENTBRIDGE_BUCKET, key: 'eb-0001' };

const theCall = () => failure(3);
/** The log file holds the call and a Glue failure that EventBridge never delivered. */
const fileFailures = (): NormalizedEvent[] => [
  theCall(),
  failure(4, { service: 'glue', eventName: 'GetTable', errorCode: 'EntityNotFoundException' }),
];

// A delivery whose clocks move only while it waits for claims another invocation holds.
function delivery(ledger: AlertLedger, publisher: AlertPublisher, start: Date) {
  return waitingDelivery(ledger, publisher, start.getTime()).delivery;
}

const alertedIds = (publisher: InMemoryPublisher) =>
  publisher.published.flatMap((m) => m.document.events.map((e) => e.eventId)).sort();

// Runs an attempt, then, as Lambda does with a failed invocation, retries it later until it finishes.
async function untilDone(run: (at: Date) => Promise<unknown>, first: Date): Promise<number> {
  let attempts = 0;
  for (let at = first; ; at = new Date(at.getTime() + 2 * 60_000)) {
    attempts += 1;
    try {
      await run(at);
      return attempts;
    } catch (err) {
      if (!(err instanceof AlertInProgressError) || attempts > 5) throw err;
    }
  }
}

describe('one failed call by EventBridge and in its log file', () => {
  test('EventBridge first, then the log file: one alert of the call, the other failure from the file', async () => {
    // Prepare
    const ledger = new InMemoryAlertLedger();
    const publisher = new InMemoryPublisher();

    // Act
    const realTime = await delivery(ledger, publisher, minutes(0)).alertFile([theCall()], EVENT);
    const file = await delivery(ledger, publisher, minutes(9)).alertFile(fileFailures(), LOG_FILE);

    // Assess
    expect(realTime.eventsAlerted).toBe(1);
    expect(file).toMatchObject({ eventsAlerted: 1, eventsAlreadyAlerted: 1 });
    expect(alertedIds(publisher)).toEqual(['evt-000003', 'evt-000004']);
    expect(publisher.published[0]?.document.source).toEqual(EVENT);
  });

  test('the log file first, then EventBridge (delayed): the late real-time event alerts nothing', async () => {
    // Prepare
    const ledger = new InMemoryAlertLedger();
    const publisher = new InMemoryPublisher();

    // Act
    await delivery(ledger, publisher, minutes(0)).alertFile(fileFailures(), LOG_FILE);
    const realTime = await delivery(ledger, publisher, minutes(1)).alertFile([theCall()], EVENT);

    // Assess
    expect(realTime).toMatchObject({ eventsAlerted: 0, eventsAlreadyAlerted: 1, messagesPublished: 0 });
    expect(alertedIds(publisher)).toEqual(['evt-000003', 'evt-000004']);
  });

  test.each(Array.from({ length: 12 }, (_, ticks) => ticks))(
    'both at once (the log file starting %i port calls later): each failure alerted once',
    async (ticks) => {
      // Prepare
      const ledger = new InMemoryAlertLedger();
      const publisher = new InMemoryPublisher();
      const later = async () => {
        for (let i = 0; i < ticks; i++) await new Promise<void>((resolve) => setImmediate(resolve));
      };

      // Act: the loser of a race on the call's claim fails and is retried, as Lambda retries it.
      await Promise.all([
        untilDone((at) => delivery(ledger, publisher, at).alertFile([theCall()], EVENT), minutes(0)),
        later().then(() =>
          untilDone((at) => delivery(ledger, publisher, at).alertFile(fileFailures(), LOG_FILE), minutes(0)),
        ),
      ]);

      // Assess
      expect(alertedIds(publisher)).toEqual(['evt-000003', 'evt-000004']);
      expect(ledger.markers.get('evt-000003')).toBe('alerted');
      expect(ledger.markers.get('evt-000004')).toBe('alerted');
    },
  );

  test('only in the log file (EventBridge dropped it): the file alerts it', async () => {
    // Prepare
    const ledger = new InMemoryAlertLedger();
    const publisher = new InMemoryPublisher();

    // Act
    const file = await delivery(ledger, publisher, minutes(9)).alertFile(fileFailures(), LOG_FILE);

    // Assess
    expect(file.eventsAlerted).toBe(2);
    expect(alertedIds(publisher)).toEqual(['evt-000003', 'evt-000004']);
  });

  test('a real-time attempt that died holding the claim: the file waits out its lease, then alerts the call', async () => {
    // Prepare: the function stopped after claiming the call, before publishing.
    const ledger = new InMemoryAlertLedger();
    const publisher = new InMemoryPublisher();
    const crashing = crashAt(ledger, publisher, { call: 'claimEvents', phase: 'after' });
    await expect(
      delivery(crashing.ledger, crashing.publisher, minutes(0)).alertFile([theCall()], EVENT),
    ).rejects.toBeInstanceOf(Crash);

    // Act: the log file arrives half a minute later, within the dead claim's 60-second lease.
    const file = await delivery(ledger, publisher, minutes(0.5)).alertFile(fileFailures(), LOG_FILE);

    // Assess: the Glue failure went out at once, the call after the lease; each once.
    expect(file.eventsAlerted).toBe(2);
    expect(alertedIds(publisher)).toEqual(['evt-000003', 'evt-000004']);
    expect(publisher.published.map((m) => m.document.delivery?.sentAt)).toEqual([
      minutes(0.5).toISOString(),
      expect.stringMatching(/^2026-11-22T12:01:0/),
    ]);
  });
});
