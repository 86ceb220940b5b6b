import { AlertDelivery, AlertInProgressError, NOTHING_PUBLISHED } from '../../lambdas/core/alert-delivery';
import {
  PublishOutcomeUnknownError,
  type AlertLedger,
  type AlertPublisher,
} from '../../lambdas/core/alert-ports';
import type { NormalizedEvent } from '../../lambdas/core/normalized-event';
import { LOG_FILE as FILE, minutes, T0, waitingDelivery } from '../helpers/alert-clock';
import { failure } from '../helpers/alert-events';
import { Crash, crashAt, howItEnded, type CrashPoint, type PortCall } from '../helpers/crash-ports';
import { InMemoryAlertLedger, InMemoryPublisher } from '../helpers/in-memory-alert-ports';

// The exactly-once protocol over in-memory ports: every crash point and concurrent duplicates, in
// milliseconds. test/integration/alerts-exactly-once.test.ts runs the main points against moto and
// dynalite, proving the real adapters keep the same conditions.

// A delivery on a stopped clock that does not wait for other invocations' claims (it throws at once).
function delivery(ledger: AlertLedger, publisher: AlertPublisher, at: Date, monotonic = () => 0) {
  return new AlertDelivery({
    ledger,
    publisher,
    now: () => at,
    monotonicNow: monotonic,
    claimWaitSeconds: 0,
  });
}

/** A file with one repeat of an alerted Athena failure (suppressed), a new Athena failure and a Glue one. */
const fileFailures = (): NormalizedEvent[] => [
  failure(2),
  failure(3, { errorCode: 'TooManyRequestsException' }),
  failure(4, { service: 'glue', eventName: 'GetTable', errorCode: 'EntityNotFoundException' }),
];

/** The world before the file: failure 1 alerted at T0, which opened its signature's window. */
async function world() {
  const ledger = new InMemoryAlertLedger();
  const publisher = new InMemoryPublisher();
  await delivery(ledger, publisher, minutes(0)).alertFile([failure(1)], { bucket: 'b', key: 'earlier' });
  publisher.published.length = 0;
  return { ledger, publisher };
}

const sent = (publisher: InMemoryPublisher) =>
  publisher.published.map(
    (m) => `${m.document.service}:${m.document.events.map((e) => e.eventId).join(',')}`,
  );

/** Runs the file once, stopped at `point`, then the Lambda's retry after the lease, then a duplicate. */
async function crashThenRetry(point: CrashPoint | undefined) {
  const { ledger, publisher } = await world();
  const crashing = crashAt(ledger, publisher, point);
  const first = await howItEnded(
    delivery(crashing.ledger, crashing.publisher, minutes(10)).alertFile(fileFailures(), FILE),
  );
  const retry = await delivery(ledger, publisher, minutes(11.5)).alertFile(fileFailures(), FILE);
  const rerun = await delivery(ledger, publisher, minutes(12)).alertFile(fileFailures(), FILE);
  // The next failure of the suppressed signature after its window: it reports the repeat, once.
  const fileMessages = sent(publisher);
  await delivery(ledger, publisher, minutes(61)).alertFile([failure(5)], { bucket: 'b', key: 'later' });
  const later = publisher.published[publisher.published.length - 1]?.document;
  return {
    first,
    calls: crashing.calls,
    fileMessages,
    retry,
    rerun,
    markers: Object.fromEntries([...ledger.markers].sort()),
    laterReportsSuppressed: later?.suppressed.earlierTotal,
  };
}

const MARKED = {
  'evt-000001': 'alerted',
  'evt-000002': 'suppressed',
  'evt-000003': 'alerted',
  'evt-000004': 'alerted',
  'evt-000005': 'alerted',
};

describe('AlertDelivery: the exactly-once protocol over in-memory ports', () => {
  test('without a crash: one message per service, the repeat counted, and a rerun sends nothing', async () => {
    const outcome = await crashThenRetry(undefined);

    expect(outcome.first).toBe('finished');
    expect(outcome.fileMessages.sort()).toEqual(['athena:evt-000003', 'glue:evt-000004']);
    expect(outcome.retry).toMatchObject({ messagesPublished: 0, eventsAlreadyAlerted: 3 });
    expect(outcome.rerun).toMatchObject({ messagesPublished: 0, eventsAlreadyAlerted: 3 });
    expect(outcome.markers).toEqual(MARKED);
    expect(outcome.laterReportsSuppressed).toBe(1);
  });

  test('a crash before or after any port call loses no alert, counts no repeat twice, and duplicates only between publish and the sent record', async () => {
    // Prepare: every port call of a clean run is a place the process can stop.
    const clean = await crashThenRetry(undefined);
    const points: CrashPoint[] = [];
    const seen = new Map<PortCall, number>();
    for (const call of clean.calls) {
      const nth = seen.get(call) ?? 0;
      seen.set(call, nth + 1);
      points.push({ call, nth, phase: 'before' }, { call, nth, phase: 'after' });
    }
    expect(points.length).toBeGreaterThanOrEqual(30); // two services, each with claim, publish, marks, windows

    for (const point of points) {
      // Act
      const outcome = await crashThenRetry(point);

      // Assess: the only duplicate is the message SNS took just before the process died.
      // (after the publish and before the sent record are the same instant).
      const duplicate =
        (point.call === 'publish' && point.phase === 'after') ||
        (point.call === 'markMessageSent' && point.phase === 'before');
      const expectedMessages = ['athena:evt-000003', 'glue:evt-000004'];
      if (duplicate) {
        const service = point.nth === 0 ? outcome.fileMessages[0] : outcome.fileMessages[1];
        expectedMessages.push(service as string);
      }
      expect({ point, crashed: outcome.first }).toEqual({ point, crashed: 'crashed' });
      expect({ point, messages: [...outcome.fileMessages].sort() }).toEqual({
        point,
        messages: expectedMessages.sort(),
      });
      expect({ point, markers: outcome.markers }).toEqual({ point, markers: MARKED });
      expect({ point, rerun: outcome.rerun.messagesPublished }).toEqual({ point, rerun: 0 });
      expect({ point, suppressed: outcome.laterReportsSuppressed }).toEqual({ point, suppressed: 1 });
    }
  });

  test('a file whose failures are all suppressed, stopped before or after any port call: each counted once, none sent, its message record settled', async () => {
    // Prepare: two repeats of the alerted failure 1, within its window.
    const repeats = () => [failure(2), failure(3)];
    const run = async (point: CrashPoint | undefined) => {
      const { ledger, publisher } = await world();
      const before = new Set(ledger.messages.keys());
      const crashing = crashAt(ledger, publisher, point);
      const first = await howItEnded(
        delivery(crashing.ledger, crashing.publisher, minutes(10)).alertFile(repeats(), FILE),
      );
      const retry = await delivery(ledger, publisher, minutes(11.5)).alertFile(repeats(), FILE);
      // The file's own message records (the world's earlier alert has one too).
      const records = [...ledger.messages.values()].filter((r) => !before.has(r.key));
      return { first, retry, calls: crashing.calls, ledger, publisher, records };
    };
    const clean = await run(undefined);
    const points: CrashPoint[] = [];
    const seen = new Map<PortCall, number>();
    for (const call of clean.calls) {
      const nth = seen.get(call) ?? 0;
      seen.set(call, nth + 1);
      points.push({ call, nth, phase: 'before' }, { call, nth, phase: 'after' });
    }
    expect(clean.calls).toContain('claimMessage');

    for (const point of [undefined, ...points]) {
      // Act
      const outcome = await run(point);

      // Assess
      const window = [...outcome.ledger.signatureWindows.values()][0];
      expect({ point, sent: outcome.publisher.published.length }).toEqual({ point, sent: 0 });
      expect({ point, counted: window?.suppressedTotal }).toEqual({ point, counted: 2 });
      expect({
        point,
        markers: [outcome.ledger.markers.get('evt-000002'), outcome.ledger.markers.get('evt-000003')],
      }).toEqual({
        point,
        markers: ['suppressed', 'suppressed'],
      });
      // Stopped between the markers and the record, the retry finds every failure final and leaves the
      // record as it was: claimed, its lease run out (nothing waits for it then).
      const unsettled =
        (point?.call === 'markEvents' && point.phase === 'after') ||
        (point?.call === 'markMessageSent' && point.phase === 'before');
      const records = outcome.records.map((r) => [r.state, r.messageId, r.carried?.size]);
      expect({ point, records }).toEqual({
        point,
        records: unsettled ? [['publishing', undefined, undefined]] : [['sent', NOTHING_PUBLISHED, 0]],
      });
    }
  });

  test('a retry while the crashed claim is still leased waits (throws), and after the lease publishes', async () => {
    // Prepare
    const { ledger, publisher } = await world();
    const crashing = crashAt(ledger, publisher, { call: 'publish', phase: 'before' });
    await expect(
      delivery(crashing.ledger, crashing.publisher, minutes(10)).alertFile(fileFailures(), FILE),
    ).rejects.toBeInstanceOf(Crash);

    // Act
    const tooSoon = delivery(ledger, publisher, minutes(10.5)).alertFile(fileFailures(), FILE);
    await expect(tooSoon).rejects.toBeInstanceOf(AlertInProgressError);
    await expect(tooSoon).rejects.toThrow(
      /being published by another invocation until 2026-11-22T12:11:00.000Z/,
    );
    const later = await delivery(ledger, publisher, minutes(11.5)).alertFile(fileFailures(), FILE);

    // Assess
    expect(later.messagesPublished).toBe(2);
    expect(sent(publisher).sort()).toEqual(['athena:evt-000003', 'glue:evt-000004']);
  });

  test.each([2, 5])('%i concurrent duplicates of the same file publish each alert once', async (copies) => {
    // Prepare
    const { ledger, publisher } = await world();

    // Act: duplicate S3 notifications handled at the same time by separate Lambda instances.
    const results = await Promise.allSettled(
      Array.from({ length: copies }, () =>
        delivery(ledger, publisher, minutes(10)).alertFile(fileFailures(), FILE),
      ),
    );

    // Assess: the others found the work done or in progress (and would be retried).
    for (const r of results) {
      if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(AlertInProgressError);
    }
    expect(results.some((r) => r.status === 'fulfilled')).toBe(true);
    expect(sent(publisher).sort()).toEqual(['athena:evt-000003', 'glue:evt-000004']);
    expect(Object.fromEntries([...ledger.markers].sort())).toMatchObject({
      'evt-000002': 'suppressed',
      'evt-000003': 'alerted',
      'evt-000004': 'alerted',
    });
    expect(ledger.signatureWindows.size).toBe(3);
  });

  test('one failed event in two files processed at the same time is alerted once (issue 15 case 2)', async () => {
    // Prepare: an organization trail and an account trail deliver the same failed call (evt 3);
    // each file also has a failure of its own, with a signature of its own.
    const { ledger, publisher } = await world();
    const orgFile = { bucket: 'org-trail', key: 'AWSLogs/o-abc/123456789012/CloudTrail/us-east-1/f.json.gz' };
    const shared = () => failure(3, { errorCode: 'TooManyRequestsException' });
    const own = (n: number, errorCode: string) => failure(n, { errorCode });

    // Act
    const results = await Promise.allSettled([
      waitingDelivery(ledger, publisher, minutes(10)).alertFile([shared(), own(6, 'A')], FILE),
      waitingDelivery(ledger, publisher, minutes(10)).alertFile([shared(), own(7, 'B')], orgFile),
    ]);

    // Assess: both finish, and evt 3 is in exactly one message.
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    const carrying = publisher.published.filter((m) =>
      m.document.events.some((e) => e.eventId === 'evt-000003'),
    );
    expect(carrying).toHaveLength(1);
    expect(
      sent(publisher)
        .flatMap((m) => m.split(':')[1]?.split(',') ?? [])
        .sort(),
    ).toEqual(['evt-000003', 'evt-000006', 'evt-000007']);
    expect(ledger.markers.get('evt-000003')).toBe('alerted');
  });

  test('files that share failures both ways do not wait on each other (no deadlock)', async () => {
    // Prepare: file A has evt 3 and 4, file B has 4 and 3: each may claim one the other wants.
    const ledger = new InMemoryAlertLedger();
    const publisher = new InMemoryPublisher();
    const a = () => [failure(3, { errorCode: 'X' }), failure(4, { errorCode: 'Y' })];
    const b = () => [failure(4, { errorCode: 'Y' }), failure(3, { errorCode: 'X' })];

    // Act
    const results = await Promise.allSettled([
      waitingDelivery(ledger, publisher, minutes(0)).alertFile(a(), FILE),
      waitingDelivery(ledger, publisher, minutes(0)).alertFile(b(), { bucket: 'other', key: 'k' }),
    ]);

    // Assess
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    const ids = publisher.published.flatMap((m) => m.document.events.map((e) => e.eventId)).sort();
    expect(ids).toEqual(['evt-000003', 'evt-000004']);
  });

  test.each([2, 5])(
    '%i concurrent duplicates that wait for the first claim all succeed, and each alert is sent once (issue 15 case 10)',
    async (copies) => {
      // Prepare
      const { ledger, publisher } = await world();

      // Act
      const results = await Promise.allSettled(
        Array.from({ length: copies }, () =>
          waitingDelivery(ledger, publisher, minutes(10)).alertFile(fileFailures(), FILE),
        ),
      );

      // Assess: no invocation fails (a Lambda error would trip FunctionErrors), nothing is sent twice.
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      expect(sent(publisher).sort()).toEqual(['athena:evt-000003', 'glue:evt-000004']);
    },
  );

  test('a duplicate that waits for a claimant that died takes over after its lease and sends the alert (issue 15 case 10)', async () => {
    // Prepare: the first invocation claims and dies before publishing.
    const { ledger, publisher } = await world();
    const crashing = crashAt(ledger, publisher, { call: 'publish', phase: 'before' });
    await expect(
      delivery(crashing.ledger, crashing.publisher, minutes(10)).alertFile(fileFailures(), FILE),
    ).rejects.toBeInstanceOf(Crash);

    // Act: the duplicate notification arrives 30 s later, within the 60 s lease.
    const outcome = await waitingDelivery(ledger, publisher, minutes(10.5)).alertFile(fileFailures(), FILE);

    // Assess
    expect(outcome.messagesPublished).toBe(2);
    expect(sent(publisher).sort()).toEqual(['athena:evt-000003', 'glue:evt-000004']);
  });

  test('a refused publish marks nothing and releases the claim, so the next attempt sends at once', async () => {
    // Prepare
    const ledger = new InMemoryAlertLedger();
    const refusing = new InMemoryPublisher(1);

    // Act
    const failing = delivery(ledger, refusing, minutes(0)).alertFile([failure(1)], FILE);
    await expect(failing).rejects.toThrow('publish refused');
    const retry = await delivery(ledger, refusing, minutes(0.1)).alertFile([failure(1)], FILE);

    // Assess
    expect(retry.messagesPublished).toBe(1);
    expect(sent(refusing)).toEqual(['athena:evt-000001']);
  });

  test('the publish deadline is the lease less 5 s, on the monotonic clock from the claim', async () => {
    // Prepare
    const ledger = new InMemoryAlertLedger();
    const deadlines: number[] = [];
    const publisher: AlertPublisher = {
      publish: async (_message, deadline) => {
        deadlines.push(deadline);
        return 'id';
      },
    };

    // Act
    await new AlertDelivery({
      ledger,
      publisher,
      now: () => minutes(0),
      monotonicNow: () => 1_000,
      leaseSeconds: 30,
    }).alertFile([failure(1)], FILE);

    // Assess
    expect(deadlines).toEqual([1_000 + 30_000 - 5_000]);
  });
});

describe('AlertDelivery: one clock for the lease and the publish deadline (issue 15 case 3)', () => {
  test('a slow read of the windows cannot push the publish deadline past the lease', async () => {
    // Prepare: wall and monotonic clock are one clock here; reading the windows takes 30 s.
    let t = T0;
    const inner = new InMemoryAlertLedger();
    const leases: number[] = [];
    const ledger: AlertLedger = Object.assign(Object.create(inner) as InMemoryAlertLedger, {
      windows: async (keys: readonly string[]) => {
        t += 30_000;
        return inner.windows(keys);
      },
      claimMessage: async (...args: Parameters<AlertLedger['claimMessage']>) => {
        leases.push(args[1].leaseUntil);
        return inner.claimMessage(...args);
      },
    });
    const deadlines: number[] = [];
    const publisher: AlertPublisher = {
      publish: async (_message, deadline) => {
        deadlines.push(deadline);
        return 'id';
      },
    };

    // Act
    await new AlertDelivery({
      ledger,
      publisher,
      now: () => new Date(t),
      monotonicNow: () => t,
    }).alertFile([failure(1)], FILE);

    // Assess: publishing stops 5 s before the lease ends, measured from the same instant.
    expect(leases).toHaveLength(1);
    expect(deadlines).toEqual([(leases[0] as number) - 5_000]);
  });
});

describe('AlertDelivery: a publish whose outcome is unknown (issue 15 case 1)', () => {
  test('is recorded on its message before anything publishes again, and each retry adds at most one copy', async () => {
    // Prepare: a channel that takes the first two messages but whose answers are lost.
    const ledger = new InMemoryAlertLedger();
    const delivered: string[] = [];
    let lost = 2;
    const publisher: AlertPublisher = {
      publish: async (message) => {
        delivered.push(message.document.events.map((e) => e.eventId).join(','));
        if (lost > 0) {
          lost -= 1;
          throw new PublishOutcomeUnknownError('answer lost');
        }
        return 'id';
      },
    };

    // Act: two failed tries (the Lambda's retries), then one that gets the answer, then a rerun.
    for (let i = 0; i < 2; i++) {
      await expect(
        delivery(ledger, publisher, minutes(i * 0.1)).alertFile([failure(1)], FILE),
      ).rejects.toBeInstanceOf(PublishOutcomeUnknownError);
      expect([...ledger.messages.values()].map((r) => [r.state, r.uncertainPublishes])).toEqual([
        ['uncertain', i + 1],
      ]);
      expect(ledger.markers.size).toBe(0);
    }
    const ok = await delivery(ledger, publisher, minutes(0.3)).alertFile([failure(1)], FILE);
    const rerun = await delivery(ledger, publisher, minutes(0.4)).alertFile([failure(1)], FILE);

    // Assess: 2 unknown + 1 accepted publishes: 3 copies at most, and the record says so.
    expect(ok.messagesPublished).toBe(1);
    expect(rerun.messagesPublished).toBe(0);
    expect(delivered).toEqual(['evt-000001', 'evt-000001', 'evt-000001']);
    expect([...ledger.messages.values()].map((r) => [r.state, r.uncertainPublishes])).toEqual([['sent', 2]]);
    expect(ledger.markers.get('evt-000001')).toBe('alerted');
  });
});
