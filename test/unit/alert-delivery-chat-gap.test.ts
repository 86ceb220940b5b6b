import { AlertDelivery } from '../../lambdas/core/alert-delivery';
import type { AlertLedger, AlertPublisher } from '../../lambdas/core/alert-ports';
import { FULL_FAILURES_PER_SERVICE } from '../../lambdas/core/alert-overflow';
import type { NormalizedEvent } from '../../lambdas/core/normalized-event';
import type { LogObjectRef } from '../../lambdas/core/ports';
import { LOG_FILE, T0, waitingDeliveryWithClock, OTHER_LOG_FILE as OTHER_FILE } from '../helpers/alert-clock';
import { distinctFailures, onceEach } from '../helpers/alert-events';
import { crashAt, howItEnded, type CrashPoint, type PortCall } from '../helpers/crash-ports';
import { InMemoryAlertLedger, InMemoryPublisher } from '../helpers/in-memory-alert-ports';
import { gatedLedger, Moments, type Gates } from '../helpers/split-claims';

// The chat topic is a second channel of one message (docs/alerts.md#chat): when the process stops after
// the topic's message was recorded `sent` and before the chat's was published, the claims still name
// that message. Whoever takes them over, under whatever message name of its own (another file carrying
// the same calls, once the lease ran out), must not read them as alerted on the strength of the
// topic's record alone: each failure must reach each topic exactly once.

const failures = distinctFailures;

const delivery = (
  ledger: AlertLedger,
  publisher: AlertPublisher,
  chatPublisher: AlertPublisher,
  startMs: number,
): AlertDelivery => waitingDeliveryWithClock(ledger, publisher, startMs, { chatPublisher }).delivery;

/**
 * The first file's alert stops right after the topic's `sent` record (before the chat publish); then
 * `after` runs the later invocations, two minutes on (the claims' lease has run out).
 */
async function stoppedBetweenTheTopics(first: readonly NormalizedEvent[]) {
  const ledger = new InMemoryAlertLedger();
  const publisher = new InMemoryPublisher();
  const chatPublisher = new InMemoryPublisher();
  const stopped = crashAt(
    ledger,
    publisher,
    { call: 'markMessageSent', phase: 'after', nth: 0 },
    chatPublisher,
  );
  const ended = await howItEnded(
    delivery(stopped.ledger, stopped.publisher, stopped.chatPublisher as AlertPublisher, T0).alertFile(
      first,
      LOG_FILE,
    ),
  );
  const later = (events: readonly NormalizedEvent[], source: LogObjectRef, atMs = T0 + 120_000) =>
    howItEnded(delivery(ledger, publisher, chatPublisher, atMs).alertFile(events, source));
  return { ledger, publisher, chatPublisher, ended, later };
}

describe('a message sent on the alert topic and not yet on the chat topic (docs/alerts.md#chat)', () => {
  test('another file with the same calls takes the claims over: the chat gets them once, the topic not again', async () => {
    // Prepare
    const events = failures(1, 3);
    const run = await stoppedBetweenTheTopics(events);
    expect(run.ended).toBe('crashed');
    expect(run.publisher.timesCarried()).toEqual(onceEach(events));
    expect(run.chatPublisher.published).toEqual([]);

    // Act: the other file first, then the first file's retry.
    const other = await run.later(failures(1, 3), OTHER_FILE);
    const retry = await run.later(failures(1, 3), LOG_FILE, T0 + 180_000);

    // Assess
    expect({ other, retry }).toEqual({ other: 'finished', retry: 'finished' });
    expect(run.publisher.timesCarried()).toEqual(onceEach(events));
    expect(run.chatPublisher.timesCarried()).toEqual(onceEach(events));
    // The chat half of the first file's message, as its own retry would have sent it.
    expect(run.chatPublisher.published.map((m) => m.document.source)).toEqual([LOG_FILE]);
    expect(Object.fromEntries(run.ledger.markers)).toEqual(
      Object.fromEntries(events.map((e) => [e.eventId, 'alerted'])),
    );
  });

  test('the other file stopped before or after any port call: nothing is lost, and a copy more on the chat topic only where its publish was not recorded', async () => {
    // Prepare: every port call of the other file's clean run is a place it can stop.
    const events = failures(1, 3);
    const clean = await stoppedBetweenTheTopics(events);
    const calls = crashAt(clean.ledger, clean.publisher, undefined, clean.chatPublisher);
    await delivery(
      calls.ledger,
      calls.publisher,
      calls.chatPublisher as AlertPublisher,
      T0 + 120_000,
    ).alertFile(failures(1, 3), OTHER_FILE);
    const points: CrashPoint[] = [];
    const seen = new Map<PortCall, number>();
    for (const call of calls.calls) {
      const nth = seen.get(call) ?? 0;
      seen.set(call, nth + 1);
      points.push({ call, nth, phase: 'before' }, { call, nth, phase: 'after' });
    }
    expect(calls.calls).toContain('publishChat');

    for (const point of points) {
      // Act: the other file stops there; two minutes on, its retry, then the first file's.
      const run = await stoppedBetweenTheTopics(events);
      const stopped = crashAt(run.ledger, run.publisher, point, run.chatPublisher);
      const other = await howItEnded(
        delivery(
          stopped.ledger,
          stopped.publisher,
          stopped.chatPublisher as AlertPublisher,
          T0 + 120_000,
        ).alertFile(failures(1, 3), OTHER_FILE),
      );
      const otherRetry = await run.later(failures(1, 3), OTHER_FILE, T0 + 240_000);
      const retry = await run.later(failures(1, 3), LOG_FILE, T0 + 360_000);

      // Assess: twice on the chat only if it stopped between the chat's publish and its record.
      const duplicate =
        (point.call === 'publishChat' && point.phase === 'after') ||
        (point.call === 'markMessageSent' && point.phase === 'before');
      expect({ point, other, otherRetry, retry }).toEqual({
        point,
        other: 'crashed',
        otherRetry: 'finished',
        retry: 'finished',
      });
      const topic = run.publisher.timesCarried();
      expect({ point, lost: events.filter((e) => topic[e.eventId] === undefined) }).toEqual({
        point,
        lost: [],
      });
      expect({ point, twice: Math.max(...Object.values(topic)) <= 1 }).toEqual({
        point,
        twice: true,
      });
      const chat = run.chatPublisher.timesCarried();
      expect({ point, lost: events.filter((e) => chat[e.eventId] === undefined) }).toEqual({
        point,
        lost: [],
      });
      expect({ point, twice: Math.max(...Object.values(chat)) <= (duplicate ? 2 : 1) }).toEqual({
        point,
        twice: true,
      });
      expect({ point, markers: Object.fromEntries(run.ledger.markers) }).toEqual({
        point,
        markers: Object.fromEntries(events.map((e) => [e.eventId, 'alerted'])),
      });
    }
  });

  test('the other file shares only some of the calls: the first file’s retry sends them all to the chat', async () => {
    // Prepare: the first file's message carried six failures; the other file has three of them.
    const events = failures(1, 6);
    const run = await stoppedBetweenTheTopics(events);

    // Act
    const outcome = await delivery(run.ledger, run.publisher, run.chatPublisher, T0 + 120_000).alertFile(
      failures(1, 3),
      OTHER_FILE,
    );
    const retry = await run.later(failures(1, 6), LOG_FILE, T0 + 180_000);

    // Assess: the other file left the three to the first file's message, which its retry finished.
    expect(outcome).toMatchObject({ messagesPublished: 0, eventsAlerted: 0, eventsHeldElsewhere: 3 });
    expect(retry).toBe('finished');
    expect(run.publisher.timesCarried()).toEqual(onceEach(events));
    expect(run.chatPublisher.timesCarried()).toEqual(onceEach(events));
    expect(Object.fromEntries(run.ledger.markers)).toEqual(
      Object.fromEntries(events.map((e) => [e.eventId, 'alerted'])),
    );
  });

  test('the other file has the calls and new ones: the new ones go out on both topics, the taken-over ones only to the chat', async () => {
    // Prepare
    const events = failures(1, 3);
    const run = await stoppedBetweenTheTopics(events);

    // Act
    const other = await run.later(failures(1, 5), OTHER_FILE);
    const retry = await run.later(failures(1, 3), LOG_FILE, T0 + 180_000);

    // Assess
    expect({ other, retry }).toEqual({ other: 'finished', retry: 'finished' });
    expect(run.publisher.timesCarried()).toEqual(onceEach(failures(1, 5)));
    expect(run.chatPublisher.timesCarried()).toEqual(onceEach(failures(1, 5)));
    expect(Object.fromEntries(run.ledger.markers)).toEqual(
      Object.fromEntries(failures(1, 5).map((e) => [e.eventId, 'alerted'])),
    );
  });

  test('a big file’s overflow claims taken over by another file with the same calls: counted once on each topic', async () => {
    // Prepare: 1,000 failures held whole and 200 more claimed as the first file's overflow (a 15-minute
    // lease without a deadline); its alert stops between the two topics.
    const total = FULL_FAILURES_PER_SERVICE + 200;
    const run = await stoppedBetweenTheTopics(failures(1, total));
    expect(run.publisher.published.map((m) => m.document.failureCount)).toEqual([total]);

    // Act: the other file once the overflow's lease ran out, then the first file's retry.
    const other = await run.later(failures(1, total), OTHER_FILE, T0 + 16 * 60_000);
    const retry = await run.later(failures(1, total), LOG_FILE, T0 + 17 * 60_000);

    // Assess: every failure counted once on each topic, in the first file's message.
    expect({ other, retry }).toEqual({ other: 'finished', retry: 'finished' });
    const counted = (publisher: InMemoryPublisher) =>
      publisher.published.reduce((sum, m) => sum + m.document.failureCount, 0);
    expect({ topic: counted(run.publisher), chat: counted(run.chatPublisher) }).toEqual({
      topic: total,
      chat: total,
    });
  });

  test('the first file’s retry resumes while the other file holds some of the calls: the chat gets them all once', async () => {
    // Prepare: six failures sent on the alert topic only; the other file has three of them and has just
    // taken their claims over when the retry claims the six (scripted: test/helpers/split-claims.ts).
    const events = failures(1, 6);
    const run = await stoppedBetweenTheTopics(events);
    const moments = new Moments();
    const gated = (who: string, gates: Gates) => gatedLedger(run.ledger, who, moments, gates);
    const copy = (who: string, gates: Gates, all: readonly NormalizedEvent[], source: LogObjectRef) =>
      howItEnded(
        delivery(gated(who, gates), run.publisher, run.chatPublisher, T0 + 120_000).alertFile(all, source),
      ).finally(() => moments.fire(`${who}.ended`));

    // Act
    const [other, retry] = await Promise.all([
      copy('other', { messageRecord: ['retry.claimEvents', 'retry.ended'] }, failures(1, 3), OTHER_FILE),
      copy('retry', { claimEvents: ['other.claimEvents', 'other.ended'] }, failures(1, 6), LOG_FILE),
    ]);

    // Assess
    expect({ other, retry }).toEqual({ other: 'finished', retry: 'finished' });
    expect(run.publisher.timesCarried()).toEqual(onceEach(events));
    expect(run.chatPublisher.timesCarried()).toEqual(onceEach(events));
    expect(Object.fromEntries(run.ledger.markers)).toEqual(
      Object.fromEntries(events.map((e) => [e.eventId, 'alerted'])),
    );
  });
});
