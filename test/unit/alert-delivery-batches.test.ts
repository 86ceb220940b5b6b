import { AlertDelivery } from '../../lambdas/core/alert-delivery';
import type { AlertLedger, AlertPublisher } from '../../lambdas/core/alert-ports';
import { signatureKey, signatureOf } from '../../lambdas/core/alert-policy';
import type { NormalizedEvent } from '../../lambdas/core/normalized-event';
import { failure } from '../helpers/alert-events';
import { Crash, crashAt, howItEnded, type CrashPoint, type PortCall } from '../helpers/crash-ports';
import { InMemoryAlertLedger, InMemoryPublisher } from '../helpers/in-memory-alert-ports';
import { waitingDeliveryWithClock as waitingDelivery } from '../helpers/alert-clock';

// The ledger's batch operations (claims, releases, markers, reads, window counts and openings), each
// stopped in its middle: half of its items done, as when a Lambda dies while some of a batch's
// parallel requests have landed and others have not. The retry must still alert every event once and
// count every suppressed one once.

const T0 = Date.parse('2026-11-22T12:00:00Z');
const minutes = (n: number) => new Date(T0 + n * 60_000);
const FILE = {
  bucket: 'trail-bucket',
  key: 'AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/22/big.json.gz',
};

function delivery(ledger: AlertLedger, publisher: AlertPublisher, at: Date) {
  return new AlertDelivery({ ledger, publisher, now: () => at, monotonicNow: () => 0, claimWaitSeconds: 0 });
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const SUPPRESSED = range(2, 11); // the signature alerted at T0: its window is open
const ATHENA = range(12, 21);
const GLUE = range(22, 31);
const fileFailures = (): NormalizedEvent[] => [
  ...SUPPRESSED.map((n) => failure(n)),
  ...ATHENA.map((n) => failure(n, { errorCode: 'TooManyRequestsException' })),
  ...GLUE.map((n) =>
    failure(n, { service: 'glue', eventName: 'GetTable', errorCode: 'EntityNotFoundException' }),
  ),
];
const id = (n: number) => `evt-${String(n).padStart(6, '0')}`;

async function crashThenRetry(point: CrashPoint | undefined) {
  const ledger = new InMemoryAlertLedger();
  const publisher = new InMemoryPublisher();
  await delivery(ledger, publisher, minutes(0)).alertFile([failure(1)], { bucket: 'b', key: 'earlier' });
  publisher.published.length = 0;
  const crashing = crashAt(ledger, publisher, point);
  const first = await howItEnded(
    delivery(crashing.ledger, crashing.publisher, minutes(10)).alertFile(fileFailures(), FILE),
  );
  // The Lambda's retry after the lease of the crashed claims, then a rerun.
  await delivery(ledger, publisher, minutes(11.5)).alertFile(fileFailures(), FILE);
  const rerun = await delivery(ledger, publisher, minutes(12)).alertFile(fileFailures(), FILE);
  const copies = new Map<string, number>();
  for (const message of publisher.published) {
    for (const event of message.document.events)
      copies.set(event.eventId, (copies.get(event.eventId) ?? 0) + 1);
  }
  const window = ledger.signatureWindows.get(signatureKey(signatureOf(failure(1))));
  return { first, calls: crashing.calls, copies, rerun, ledger, suppressedTotal: window?.suppressedTotal };
}

describe('AlertDelivery: a crash in the middle of a batch', () => {
  test('every batch call stopped half done: each event alerted once, each suppressed one counted once', async () => {
    // Prepare: every call of a clean run, stopped in its middle.
    const clean = await crashThenRetry(undefined);
    const batchCalls = new Set<PortCall>([
      'eventMarkers',
      'claimEvents',
      'windows',
      'countSuppressed',
      'markEvents',
      'recordAlerted',
    ]);
    const points: CrashPoint[] = [];
    const seen = new Map<PortCall, number>();
    for (const call of clean.calls) {
      const nth = seen.get(call) ?? 0;
      seen.set(call, nth + 1);
      if (batchCalls.has(call)) points.push({ call, nth, phase: 'middle' });
    }
    expect(new Set(points.map((p) => p.call))).toEqual(batchCalls);

    for (const point of points) {
      // Act
      const outcome = await crashThenRetry(point);

      // Assess
      const where = `${point.call} #${point.nth ?? 0}`;
      expect([where, outcome.first]).toEqual([where, 'crashed']);
      for (const n of [...ATHENA, ...GLUE]) {
        expect([where, id(n), outcome.copies.get(id(n))]).toEqual([where, id(n), 1]);
        expect([where, outcome.ledger.markers.get(id(n))]).toEqual([where, 'alerted']);
      }
      for (const n of SUPPRESSED) {
        expect([where, outcome.copies.has(id(n)), outcome.ledger.markers.get(id(n))]).toEqual([
          where,
          false,
          'suppressed',
        ]);
      }
      expect([where, outcome.suppressedTotal]).toEqual([where, SUPPRESSED.length]);
      expect([where, outcome.rerun.messagesPublished]).toEqual([where, 0]);
    }
  });

  test('a batch with some events another file holds: the rest go out now, the held ones after that file', async () => {
    // Prepare: another file claimed three of the Glue failures and died (its lease runs to 11.0).
    const ledger = new InMemoryAlertLedger();
    const publisher = new InMemoryPublisher();
    const other = crashAt(ledger, publisher, { call: 'claimEvents', phase: 'after' });
    await delivery(other.ledger, other.publisher, minutes(10))
      .alertFile(
        GLUE.slice(0, 3).map((n) => fileFailures().find((e) => e.eventId === id(n)) as NormalizedEvent),
        {
          bucket: 'b',
          key: 'other-trail',
        },
      )
      .catch((err: unknown) => {
        if (!(err instanceof Crash)) throw err;
      });
    const { delivery: waiting, now } = waitingDelivery(ledger, publisher, minutes(10.5).getTime());

    // Act
    const outcome = await waiting.alertFile(fileFailures(), FILE);

    // Assess: the free Glue failures in one message; the three taken over after the other file's lease
    // come after that message opened their signature's window, so they are counted as its repeats.
    const glue = publisher.published
      .filter((m) => m.document.service === 'glue')
      .map((m) => m.document.events.map((e) => e.eventId));
    expect(glue).toEqual([GLUE.slice(3).map(id)]);
    expect(outcome).toMatchObject({ eventsAlerted: fileFailures().length - 3, eventsSuppressed: 3 });
    for (const n of GLUE.slice(0, 3)) expect(ledger.markers.get(id(n))).toBe('suppressed');
    expect(now()).toBeGreaterThanOrEqual(minutes(11).getTime());
  });
});
