import { AlertDelivery } from '../../lambdas/core/alert-delivery';
import type { AlertLedger, AlertPublisher } from '../../lambdas/core/alert-ports';
import type { NormalizedEvent } from '../../lambdas/core/normalized-event';
import { LOG_FILE, T0, waitingDeliveryWithClock, OTHER_LOG_FILE as OTHER_FILE } from '../helpers/alert-clock';
import { distinctFailures, onceEach } from '../helpers/alert-events';
import { crashAt, howItEnded, type CrashPoint, type PortCall } from '../helpers/crash-ports';
import { InMemoryAlertLedger, InMemoryPublisher } from '../helpers/in-memory-alert-ports';

// The takeover window (docs/alerts.md "The unrecorded duplicates"): the first file's message went out and
// was recorded `sent`, and the process stopped before the markers. Another file with the same calls takes
// the expired claims over, which makes them name its own message; if it stops right there, its retry must
// still find that the first file's message carried them, and publish nothing again, on either topic.

const failures = distinctFailures;

const delivery = (
  ledger: AlertLedger,
  publisher: AlertPublisher,
  chatPublisher: AlertPublisher | undefined,
  startMs: number,
): AlertDelivery => waitingDeliveryWithClock(ledger, publisher, startMs, { chatPublisher }).delivery;

/** The first file's alert, sent on every channel and stopped before its markers (claims left to expire). */
async function sentNotMarked(events: readonly NormalizedEvent[], chat: boolean) {
  const ledger = new InMemoryAlertLedger();
  const publisher = new InMemoryPublisher();
  const chatPublisher = chat ? new InMemoryPublisher() : undefined;
  const stopped = crashAt(ledger, publisher, { call: 'markEvents', phase: 'before' }, chatPublisher);
  const ended = await howItEnded(
    delivery(stopped.ledger, stopped.publisher, stopped.chatPublisher, T0).alertFile(events, LOG_FILE),
  );
  return { ledger, publisher, chatPublisher, ended };
}

describe.each([
  ['the alert topic only', false],
  ['the alert and chat topics', true],
])('a takeover of claims whose message was sent (%s)', (_, chat) => {
  test('the other file stopped before or after any port call: each failure once on each topic, none lost', async () => {
    // Prepare: every port call of the other file's clean run is a place it can stop.
    const events = failures(1, 3);
    const clean = await sentNotMarked(events, chat);
    expect(clean.ended).toBe('crashed');
    expect(clean.publisher.timesCarried()).toEqual(onceEach(events));
    const calls = crashAt(clean.ledger, clean.publisher, undefined, clean.chatPublisher);
    await delivery(calls.ledger, calls.publisher, calls.chatPublisher, T0 + 120_000).alertFile(
      failures(1, 3),
      OTHER_FILE,
    );
    const points: CrashPoint[] = [];
    const seen = new Map<PortCall, number>();
    for (const call of calls.calls) {
      const nth = seen.get(call) ?? 0;
      seen.set(call, nth + 1);
      points.push({ call, nth, phase: 'before' }, { call, nth, phase: 'after' });
    }
    // The window: the takeover is its first write, right after the markers' read.
    expect(calls.calls.slice(0, 2)).toEqual(['eventMarkers', 'claimEvents']);

    for (const point of points) {
      // Act: the other file stops there; two minutes on (its lease ran out), its retry, then the first file's.
      const run = await sentNotMarked(events, chat);
      const stopped = crashAt(run.ledger, run.publisher, point, run.chatPublisher);
      const other = await howItEnded(
        delivery(stopped.ledger, stopped.publisher, stopped.chatPublisher, T0 + 120_000).alertFile(
          failures(1, 3),
          OTHER_FILE,
        ),
      );
      const otherRetry = await howItEnded(
        delivery(run.ledger, run.publisher, run.chatPublisher, T0 + 240_000).alertFile(
          failures(1, 3),
          OTHER_FILE,
        ),
      );
      const retry = await howItEnded(
        delivery(run.ledger, run.publisher, run.chatPublisher, T0 + 360_000).alertFile(
          failures(1, 3),
          LOG_FILE,
        ),
      );

      // Assess: the first file's message is the only one, on each topic.
      expect({ point, other, otherRetry, retry }).toEqual({
        point,
        other: 'crashed',
        otherRetry: 'finished',
        retry: 'finished',
      });
      expect({ point, topic: run.publisher.timesCarried() }).toEqual({ point, topic: onceEach(events) });
      if (run.chatPublisher) {
        expect({ point, chat: run.chatPublisher.timesCarried() }).toEqual({ point, chat: onceEach(events) });
      }
      expect({ point, markers: Object.fromEntries(run.ledger.markers) }).toEqual({
        point,
        markers: Object.fromEntries(events.map((e) => [e.eventId, 'alerted'])),
      });
    }
  });

  test('stopped right after the takeover, its retry takes the claims over twice more: still nothing again', async () => {
    // Prepare: a chain of takeovers, each stopped right after its write (the claims name the last one's message).
    const events = failures(1, 3);
    const run = await sentNotMarked(events, chat);
    const sources = [OTHER_FILE, { ...OTHER_FILE, key: `${OTHER_FILE.key}.2` }, OTHER_FILE];
    for (const [i, source] of sources.entries()) {
      const stopped = crashAt(
        run.ledger,
        run.publisher,
        { call: 'claimEvents', phase: 'after' },
        run.chatPublisher,
      );
      const ended = await howItEnded(
        delivery(stopped.ledger, stopped.publisher, stopped.chatPublisher, T0 + 120_000 * (i + 1)).alertFile(
          failures(1, 3),
          source,
        ),
      );
      expect(ended).toBe('crashed');
    }

    // Act: a last file with the calls and one new failure.
    const last = await howItEnded(
      delivery(run.ledger, run.publisher, run.chatPublisher, T0 + 600_000).alertFile(
        failures(1, 4),
        OTHER_FILE,
      ),
    );

    // Assess: the three once (the first file's message), the new one once (a message of its own).
    expect(last).toBe('finished');
    expect(run.publisher.timesCarried()).toEqual(onceEach(failures(1, 4)));
    if (run.chatPublisher) expect(run.chatPublisher.timesCarried()).toEqual(onceEach(failures(1, 4)));
    expect(Object.fromEntries(run.ledger.markers)).toEqual(
      Object.fromEntries(failures(1, 4).map((e) => [e.eventId, 'alerted'])),
    );
  });
});
