import { gzipSync } from 'node:zlib';
import { AlertDelivery, NOTHING_PUBLISHED } from '../../lambdas/core/alert-delivery';
import {
  FULL_FAILURES_PER_SERVICE,
  MAX_OVERFLOW_KINDS,
  OVERFLOW_CHUNK_EVENTS,
} from '../../lambdas/core/alert-overflow';
import type { AlertLedger, AlertPublisher } from '../../lambdas/core/alert-ports';
import { signatureKey, signatureOf } from '../../lambdas/core/alert-policy';
import { normalizeRecord } from '../../lambdas/core/normalize';
import { runLogPipeline, type LogObjectSource } from '../../lambdas/core/pipeline';
import type { AlertSink, EventSink, FileAlerts, LogObjectRef } from '../../lambdas/core/ports';
import type { ServiceName } from '../../lambdas/core/services';
import { seedRecord } from '../../local/seed-records';
import { T0 } from '../helpers/alert-clock';
import { Crash, crashAt } from '../helpers/crash-ports';
import { InMemoryAlertLedger, InMemoryPublisher } from '../helpers/in-memory-alert-ports';

// Issue 15, case 6: the alert step held every failed call of a file (150,000 distinct ones peaked at
// 746 MB). Now it holds the first FULL_FAILURES_PER_SERVICE per service whole and claims the rest in
// chunks while the file is read, keeping counts per kind: its holdings do not grow with the file.

const FILE: LogObjectRef = {
  bucket: 'trail-bucket',
  key: 'AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/22/big.json.gz',
};
const ORG_COPY: LogObjectRef = {
  bucket: 'org-trail-bucket',
  key: 'AWSLogs/o-example/123456789012/CloudTrail/us-east-1/2026/11/22/big.json.gz',
};
const PER_SERVICE = 10_000;
// Athena's failures come in more kinds than the overflow keeps: the rest are counted together.
const ATHENA_KINDS = MAX_OVERFLOW_KINDS + 300;

/** 20,000 distinct failed calls, Glue and Athena alternating, Athena's of ATHENA_KINDS error codes. */
function bigFileRecords(): Record<string, unknown>[] {
  const seed = seedRecord('athena-start-query-execution-failed').record as Record<string, unknown>;
  return Array.from({ length: 2 * PER_SERVICE }, (_, i) => {
    const glue = i % 2 === 0;
    const n = Math.floor(i / 2);
    return {
      ...seed,
      eventID: `${glue ? 'glue' : 'athena'}-${String(n).padStart(6, '0')}`,
      eventTime: new Date(Date.UTC(2026, 10, 22, 3, 0, 0) + i * 10).toISOString(),
      ...(glue
        ? {
            eventSource: 'glue.amazonaws.com',
            eventName: 'StartJobRun',
            errorCode: 'ConcurrentRunsExceededException',
            requestParameters: { jobName: `etl-${n % 7}` },
          }
        : { errorCode: `InvalidRequestException${n % ATHENA_KINDS}` }),
    };
  });
}

function source(records: readonly Record<string, unknown>[]): LogObjectSource {
  const body = gzipSync(JSON.stringify({ Records: records }));
  return {
    async open() {
      return (async function* () {
        yield body;
      })();
    },
  };
}

const events: EventSink = { putEvents: async () => undefined };

/** The most one file's alert held at once, per service, as its holdings report them after each add. */
interface Peaks {
  held: Partial<Record<ServiceName, number>>;
  chunk: Partial<Record<ServiceName, number>>;
  kinds: Partial<Record<ServiceName, number>>;
}

/** An AlertSink that hands every call on and records the peak holdings of each file's alert. */
function probed(sink: AlertSink): { sink: AlertSink; peaks: Peaks } {
  const peaks: Peaks = { held: {}, chunk: {}, kinds: {} };
  const note = (file: FileAlerts): void => {
    const now = file.holdings;
    for (const part of ['held', 'chunk', 'kinds'] as const) {
      for (const [service, n] of Object.entries(now[part]) as Array<[ServiceName, number]>) {
        peaks[part][service] = Math.max(peaks[part][service] ?? 0, n);
      }
    }
  };
  return {
    peaks,
    sink: {
      begin(ref, options) {
        const file = sink.begin(ref, options);
        return {
          add: async (event) => {
            await file.add(event);
            note(file);
          },
          finish: () => file.finish(),
          get holdings() {
            return file.holdings;
          },
        };
      },
    },
  };
}

// A short queue of chunks waiting to be claimed, so the cap bites in a file of this size.
const QUEUED = 5;

function delivery(ledger: AlertLedger, publisher: AlertPublisher, atMs = T0): AlertDelivery {
  let t = atMs;
  return new AlertDelivery({
    ledger,
    publisher,
    overflowChunksQueued: QUEUED,
    now: () => new Date(t),
    monotonicNow: () => t,
    // Waits move the clocks only: another invocation's claims are waited for in no real time.
    sleep: async (ms) => {
      await new Promise((resolve) => setImmediate(resolve));
      t += ms;
    },
  });
}

/** The eventIds of the file. */
function idsOf(records: readonly Record<string, unknown>[]): string[] {
  return records.map((r) => r.eventID as string);
}

/**
 * Every event is settled once: a final marker, or a claim naming a message the ledger records as sent
 * (an overflow claim, which is never replaced by a marker). Returns the message each one went out in.
 */
function settledIn(ledger: InMemoryAlertLedger, ids: readonly string[]): Map<string, string> {
  const messageOf = new Map<string, string>();
  for (const id of ids) {
    const marker = ledger.markers.get(id);
    if (marker !== undefined) {
      messageOf.set(id, `marker:${marker}`);
      continue;
    }
    const claim = ledger.eventClaims.get(id);
    if (claim === undefined) throw new Error(`${id} is neither marked nor claimed`);
    if (ledger.messages.get(claim.messageKey)?.state !== 'sent') {
      throw new Error(`${id} is claimed for ${claim.messageKey}, which was not sent`);
    }
    messageOf.set(id, claim.messageKey);
  }
  return messageOf;
}

describe('a file with many more failures than the alert holds (issue 15, case 6)', () => {
  test('the alert side holds at most the first failures plus a capped queue of chunks per service, and alerts every failure once', async () => {
    // Prepare
    const records = bigFileRecords();
    const ledger = new InMemoryAlertLedger();
    const publisher = new InMemoryPublisher();
    // A slow table: the overflow's chunks queue up while the file is read on, up to the cap.
    const slow = new Proxy(ledger, {
      get(target, name, receiver) {
        const value: unknown = Reflect.get(target, name, receiver);
        if (name !== 'claimEvents' || typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          await new Promise((resolve) => setTimeout(resolve, 5));
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const { sink, peaks } = probed(delivery(slow, publisher));

    // Act
    const summary = await runLogPipeline(FILE, { source: source(records), sink: events, alerts: sink });

    // Assess: bounded holdings, whatever the file's size.
    for (const service of ['glue', 'athena'] as const) {
      expect(peaks.held[service]).toBe(FULL_FAILURES_PER_SERVICE);
      expect(peaks.chunk[service]).toBeLessThanOrEqual((QUEUED + 2) * OVERFLOW_CHUNK_EVENTS);
      // The cap bites: far fewer than the service's 9,000 overflow failures were ever held at once.
      expect(peaks.chunk[service]).toBeGreaterThan(OVERFLOW_CHUNK_EVENTS);
      expect(peaks.kinds[service]).toBeLessThanOrEqual(MAX_OVERFLOW_KINDS);
    }
    expect(peaks.kinds.athena).toBe(MAX_OVERFLOW_KINDS);
    // One message per service, reporting every failure; each failure settled once.
    expect(summary.alerts).toMatchObject({ messagesPublished: 2, eventsAlerted: 2 * PER_SERVICE });
    expect(publisher.published.map((m) => [m.document.service, m.document.failureCount])).toEqual([
      ['glue', PER_SERVICE],
      ['athena', PER_SERVICE],
    ]);
    const athena = publisher.published[1]?.document;
    // Athena's kinds past the cap are counted together, the rest by kind.
    const grouped = (athena?.groups ?? []).reduce((n, g) => n + g.count, 0);
    expect(athena?.ungroupedFailures).toBeGreaterThan(0);
    expect(athena?.groupsOmitted).toBeGreaterThan(0);
    expect(athena?.omitted).toBe(PER_SERVICE - (athena?.included ?? 0));
    expect(grouped).toBeLessThan(PER_SERVICE);
    expect(publisher.published[1]?.text).toContain(`${PER_SERVICE} failed Athena calls`);
    expect(publisher.published[0]?.subject).toContain(`${PER_SERVICE} failed Glue calls`);
    const settled = settledIn(ledger, idsOf(records));
    expect([...settled.values()].filter((m) => m === 'marker:alerted')).toHaveLength(
      2 * FULL_FAILURES_PER_SERVICE,
    );
  });

  test('the overflow of a signature alerted within the window is suppressed, counted once, and settles its claims', async () => {
    // Prepare: Glue's failures (one kind) alerted a minute ago by another file.
    const records = bigFileRecords().filter((r) => r.eventSource === 'glue.amazonaws.com');
    const ledger = new InMemoryAlertLedger();
    const publisher = new InMemoryPublisher();
    const earlier = { ...records[0], eventID: 'earlier-glue' } as Record<string, unknown>;
    const normalized = normalizeRecord(earlier);
    if (!normalized.ok) throw new Error(normalized.message);
    await delivery(ledger, publisher, T0 - 60_000).alertFile([normalized.event], {
      bucket: 'b',
      key: 'earlier',
    });

    // Act
    const summary = await runLogPipeline(FILE, {
      source: source(records),
      sink: events,
      alerts: delivery(ledger, publisher),
    });

    // Assess: nothing more published; all 10,000 counted once on the window; the claims read as done.
    expect(publisher.published).toHaveLength(1);
    expect(summary.alerts).toMatchObject({ messagesPublished: 0, eventsSuppressed: PER_SERVICE });
    const key = signatureKey(signatureOf(normalized.event));
    expect(ledger.signatureWindows.get(key)?.suppressedTotal).toBe(PER_SERVICE);
    const settled = settledIn(ledger, idsOf(records));
    const records_ = [...new Set(settled.values())].filter((m) => m.startsWith('msg#'));
    expect(records_).toHaveLength(1);
    expect(ledger.messages.get(records_[0] as string)).toMatchObject({ messageId: NOTHING_PUBLISHED });
    // A rerun counts nothing twice.
    const again = await runLogPipeline(FILE, {
      source: source(records),
      sink: events,
      alerts: delivery(ledger, publisher),
    });
    expect(again.alerts).toMatchObject({ eventsSuppressed: 0, eventsAlreadyAlerted: PER_SERVICE });
    expect(ledger.signatureWindows.get(key)?.suppressedTotal).toBe(PER_SERVICE);
  });

  test.each([
    [
      'while the file is read, in the middle of an overflow chunk',
      { call: 'claimEvents', phase: 'middle', nth: 3 },
    ],
    ['after the overflow was claimed, before the first publish', { call: 'publish', phase: 'before' }],
    ['after the first message was recorded sent, before its marks', { call: 'markEvents', phase: 'before' }],
  ] as const)('a crash %s: the retry alerts each failure once', async (_, point) => {
    // Prepare: the first attempt dies at the point.
    const records = bigFileRecords();
    const ledger = new InMemoryAlertLedger();
    const publisher = new InMemoryPublisher();
    const crashing = crashAt(ledger, publisher, point);
    const first = runLogPipeline(FILE, {
      source: source(records),
      sink: events,
      alerts: delivery(crashing.ledger, crashing.publisher),
    });
    const err: unknown = await first.catch((e: unknown) => e);
    expect((err as Error).cause).toBeInstanceOf(Crash);
    expect(crashing.calls.filter((c) => c === 'claimEvents').length).toBeGreaterThan(3);

    // Act: the retry, in another invocation two minutes later (the held claims' lease has run out).
    const retry = await runLogPipeline(FILE, {
      source: source(records),
      sink: events,
      alerts: delivery(ledger, publisher, T0 + 120_000),
    });
    const rerun = await runLogPipeline(FILE, {
      source: source(records),
      sink: events,
      alerts: delivery(ledger, publisher, T0 + 180_000),
    });

    // Assess: one message per service in all, each reporting every failure of it; nothing on the rerun.
    const sent = publisher.published.map((m) => [m.document.service, m.document.failureCount]);
    expect(sent.sort()).toEqual([
      ['athena', PER_SERVICE],
      ['glue', PER_SERVICE],
    ]);
    const before = publisher.published.length - (retry.alerts?.messagesPublished ?? 0);
    expect((retry.alerts?.eventsAlerted ?? 0) + (retry.alerts?.eventsAlreadyAlerted ?? 0)).toBe(
      2 * PER_SERVICE,
    );
    expect(retry.alerts?.eventsAlreadyAlerted).toBe(before * PER_SERVICE);
    expect(rerun.alerts).toMatchObject({ messagesPublished: 0, eventsAlreadyAlerted: 2 * PER_SERVICE });
    settledIn(ledger, idsOf(records));
  });

  test('the same failures in two files processed at once (organization and account trail) alert once', async () => {
    // Prepare
    const records = bigFileRecords();
    const ledger = new InMemoryAlertLedger();
    const publisher = new InMemoryPublisher();

    // Act
    const [a, b] = await Promise.all([
      runLogPipeline(FILE, { source: source(records), sink: events, alerts: delivery(ledger, publisher) }),
      runLogPipeline(ORG_COPY, {
        source: source(records),
        sink: events,
        alerts: delivery(ledger, publisher),
      }),
    ]);

    // Assess: the messages of both files together report each failure once, or count it as suppressed
    // (whichever file alerts a kind first opens its window for the other); every one is settled.
    const reported = publisher.published.reduce((n, m) => n + m.document.failureCount, 0);
    const suppressed = (a.alerts?.eventsSuppressed ?? 0) + (b.alerts?.eventsSuppressed ?? 0);
    expect(reported + suppressed).toBe(2 * PER_SERVICE);
    const alerted = (a.alerts?.eventsAlerted ?? 0) + (b.alerts?.eventsAlerted ?? 0);
    expect(alerted).toBe(reported);
    const windows = [...ledger.signatureWindows.values()].reduce((n, w) => n + w.suppressedTotal, 0);
    expect(windows).toBe(suppressed);
    settledIn(ledger, idsOf(records));
  });

  test('a duplicate notification of the same big file, processed at once, publishes one message per service', async () => {
    // Prepare
    const records = bigFileRecords();
    const ledger = new InMemoryAlertLedger();
    const publisher = new InMemoryPublisher();

    // Act
    const runs = await Promise.all([
      runLogPipeline(FILE, { source: source(records), sink: events, alerts: delivery(ledger, publisher) }),
      runLogPipeline(FILE, { source: source(records), sink: events, alerts: delivery(ledger, publisher) }),
    ]);

    // Assess
    expect(publisher.published.map((m) => m.document.failureCount)).toEqual([PER_SERVICE, PER_SERVICE]);
    expect(runs.map((r) => r.alerts?.messagesPublished).sort()).toEqual([0, 2]);
    expect(runs.map((r) => r.alerts?.eventsAlreadyAlerted).sort((x, y) => (x ?? 0) - (y ?? 0))).toEqual([
      0,
      2 * PER_SERVICE,
    ]);
    settledIn(ledger, idsOf(records));
  });
});
