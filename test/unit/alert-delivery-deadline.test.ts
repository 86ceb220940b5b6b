import { AlertDelivery, OVERFLOW_LEASE_MAX_MS } from '../../lambdas/core/alert-delivery';
import { FULL_FAILURES_PER_SERVICE } from '../../lambdas/core/alert-overflow';
import type { RenderedAlert } from '../../lambdas/core/alert-document';
import type { AlertLedger, AlertPublisher } from '../../lambdas/core/alert-ports';
import { OutOfTimeError, TIME_RESERVE_MS } from '../../lambdas/core/out-of-time';
import { failure } from '../helpers/alert-events';
import { crashAt } from '../helpers/crash-ports';
import { InMemoryAlertLedger, InMemoryPublisher } from '../helpers/in-memory-alert-ports';
import { waitingDeliveryWithClock as waitingDelivery } from '../helpers/alert-clock';

// The alert step given the caller's remaining time (issue 19): it stops with OutOfTimeError before a
// claim, a wait or a publish it could not finish, releases what it claimed so the retry need not wait out
// the lease, and no publish may run into the reserve.

const FILE = {
  bucket: 'trail-bucket',
  key: 'AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/22/f.json.gz',
};
const T0 = Date.parse('2026-11-22T12:00:00Z');
const FAILURES = [failure(1), failure(2, { errorCode: 'TooManyRequestsException' })];

function delivery(ledger: AlertLedger, publisher: AlertPublisher, at = T0) {
  return new AlertDelivery({ ledger, publisher, now: () => new Date(at), monotonicNow: () => 1_000 });
}

/** A publisher that accepts every message and records the deadline it was given. */
function recordingPublisher(): { publisher: AlertPublisher; deadlines: number[] } {
  const deadlines: number[] = [];
  const publisher: AlertPublisher = {
    publish: async (_message: RenderedAlert, deadlineMs: number) => {
      deadlines.push(deadlineMs);
      return `m-${deadlines.length}`;
    },
  };
  return { publisher, deadlines };
}

/** Remaining time that loses `stepMs` at each look, starting from `startMs`. */
function countdown(startMs: number, stepMs: number): () => number {
  let left = startMs + stepMs;
  return () => (left -= stepMs);
}

describe('AlertDelivery within the caller remaining time', () => {
  test('too little time left before the claims: nothing is claimed, the error says where it stood', async () => {
    const ledger = new InMemoryAlertLedger();
    const publisher = new InMemoryPublisher();

    const err: unknown = await delivery(ledger, publisher)
      .alertFile(FAILURES, FILE, { remainingMs: () => TIME_RESERVE_MS - 1 })
      .catch((e: unknown) => e);

    expect(err).toBeInstanceOf(OutOfTimeError);
    expect((err as Error).message).toMatch(
      /^out of time: 10\.0 s left before claiming 2 athena failures for s3:\/\/trail-bucket\//,
    );
    expect(ledger.eventClaims.size).toBe(0);
    expect(publisher.published).toHaveLength(0);
  });

  test('time running out after the claims: no publish, the claims released, the retry alerts at once', async () => {
    // Prepare: enough time at the claim, not at the publish (each look takes 3 s).
    const ledger = new InMemoryAlertLedger();
    const publisher = new InMemoryPublisher();

    // Act
    const err: unknown = await delivery(ledger, publisher)
      .alertFile(FAILURES, FILE, { remainingMs: countdown(TIME_RESERVE_MS + 4_000, 3_000) })
      .catch((e: unknown) => e);
    const retry = await delivery(ledger, publisher, T0 + 1_000).alertFile(FAILURES, FILE, {
      remainingMs: () => 300_000,
    });

    // Assess
    expect(err).toBeInstanceOf(OutOfTimeError);
    expect((err as Error).message).toContain('before publishing the athena alert');
    expect(retry).toMatchObject({ messagesPublished: 1, eventsAlerted: 2 });
    expect(publisher.published).toHaveLength(1);
  });

  test('a publish gets no deadline past half the reserve before the caller time ends', async () => {
    const ledger = new InMemoryAlertLedger();
    const { publisher, deadlines } = recordingPublisher();

    await delivery(ledger, publisher).alertFile(FAILURES, FILE, { remainingMs: () => 25_000 });
    await delivery(ledger, publisher, T0 + 1).alertFile([failure(3, { service: 'glue' })], FILE);

    // Monotonic clock at 1,000 ms: 25 s left less 5 s; without a limit the lease's 60 s less 5 s.
    expect(deadlines).toEqual([1_000 + 25_000 - TIME_RESERVE_MS / 2, 1_000 + 55_000]);
  });

  test('waiting for another invocation stops when the wait would run into the reserve', async () => {
    // Prepare: another invocation claimed the events and died (its lease runs 60 s).
    const ledger = new InMemoryAlertLedger();
    const publisher = new InMemoryPublisher();
    const dead = crashAt(ledger, publisher, { call: 'claimEvents', phase: 'after' });
    await delivery(dead.ledger, dead.publisher)
      .alertFile(FAILURES, FILE)
      .catch(() => undefined);
    let left = TIME_RESERVE_MS + 3_500;
    const { delivery: waiting, now } = waitingDelivery(ledger, publisher, T0 + 1_000, {
      onSleep: (ms) => {
        left -= ms;
      },
    });

    // Act
    const err: unknown = await waiting
      .alertFile(FAILURES, { bucket: 'b', key: 'other-copy' }, { remainingMs: () => left })
      .catch((e: unknown) => e);

    // Assess: three 1 s looks fit, the fourth would not; nothing was published meanwhile.
    expect(err).toBeInstanceOf(OutOfTimeError);
    expect((err as Error).message).toContain('before waiting for 2 athena failures another invocation holds');
    expect(now() - (T0 + 1_000)).toBe(3_000);
    expect(publisher.published).toHaveLength(0);
  });

  test('a big file publishes before its overflow claims run out, not only before its own lease', async () => {
    // Prepare: 1,500 failures of one service (500 overflow, claimed with the 15-minute lease of a caller
    // without deadline); a held lease of an hour, so only the overflow's bounds the publish.
    const ledger = new InMemoryAlertLedger();
    const { publisher, deadlines } = recordingPublisher();
    const failures = Array.from({ length: FULL_FAILURES_PER_SERVICE + 500 }, (_, i) => failure(i));
    const alerts = new AlertDelivery({
      ledger,
      publisher,
      leaseSeconds: 3_600,
      now: () => new Date(T0),
      monotonicNow: () => 1_000,
    });

    // Act
    await alerts.alertFile(failures, FILE);

    // Assess: the overflow's lease less the 5 s margin, on the monotonic clock (1,000); every failure alerted.
    expect(deadlines).toEqual([1_000 + OVERFLOW_LEASE_MAX_MS - 5_000]);
    expect(ledger.markers.size).toBe(FULL_FAILURES_PER_SERVICE);
    expect(
      [...ledger.eventClaims.values()].filter((c) => c.leaseUntil === T0 + OVERFLOW_LEASE_MAX_MS),
    ).toHaveLength(500);
  });
});
