import { AlertDelivery } from '../../lambdas/core/alert-delivery';
import { FULL_FAILURES_PER_SERVICE } from '../../lambdas/core/alert-overflow';
import type { AlertLedger, AlertPublisher } from '../../lambdas/core/alert-ports';
import type { NormalizedEvent } from '../../lambdas/core/normalized-event';
import { LOG_FILE as FILE, T0, waitingDeliveryWithClock } from '../helpers/alert-clock';
import { distinctFailures, failure } from '../helpers/alert-events';
import { crashAt, howItEnded, type CrashPoint, type PortCall } from '../helpers/crash-ports';
import { InMemoryAlertLedger, InMemoryPublisher } from '../helpers/in-memory-alert-ports';
import {
  gatedLedger,
  Moments,
  SPLIT_AFTER,
  SPLIT_CASES,
  splitGates,
  type Timing,
  type Who,
} from '../helpers/split-claims';

// Two copies of one log file (S3 delivered its notification twice) whose claim writes interleave: copy A
// claims the first half of the file's failures, copy B then claims them all (getting the second half),
// and A's claim of the second half finds them B's. Then the two race for the file's message record in
// each of the three ways the loser can find the winner there: still publishing, sent before the loser
// read the record, sent between the read and the loser's claim. Every alertable failure must be in
// exactly one published message, and marked alerted only if it was in one. The moments are scripted
// (test/helpers/split-claims.ts), so no run depends on timing; the integration suite
// (alerts-split-claims.test.ts) runs the same against dynalite and moto.

const heldFailures = (count: number): NormalizedEvent[] => distinctFailures(1, count);

// A delivery whose clock moves only while it waits for another invocation's claims (1 s per look).
const waiting = (
  ledger: AlertLedger,
  publisher: AlertPublisher,
  startMs: number,
  chatPublisher?: AlertPublisher,
): AlertDelivery => waitingDeliveryWithClock(ledger, publisher, startMs, { chatPublisher }).delivery;

/** How a split run is set up: where the loser stops, what happened before, a chat topic too. */
interface SplitOptions {
  readonly crash?: CrashPoint;
  /** Which copy stops at `crash` (default the loser). */
  readonly stopped?: 'loser' | 'winner';
  readonly before?: (ledger: InMemoryAlertLedger, publisher: InMemoryPublisher) => Promise<void>;
  readonly chat?: boolean;
}

/**
 * Runs the two copies with split claims; the loser (the one that does not get the message record) may
 * stop at `crash`. Then the loser's retry (the Lambda's, two minutes later) runs the file once more.
 */
async function splitRun(
  failures: () => NormalizedEvent[],
  winner: Who,
  timing: Timing,
  { crash, stopped = 'loser', before, chat }: SplitOptions = {},
) {
  const ledger = new InMemoryAlertLedger();
  const publisher = new InMemoryPublisher();
  const chatPublisher = chat ? new InMemoryPublisher() : undefined;
  if (before) {
    await before(ledger, publisher);
    publisher.published.length = 0;
  }
  const moments = new Moments();
  const gates = splitGates(winner, timing);
  const loser: Who = winner === 'A' ? 'B' : 'A';
  const crashing = crashAt(ledger, publisher, crash, chatPublisher);
  const stopping = stopped === 'loser' ? loser : winner;
  const ports = (who: Who) => (who === stopping ? crashing : { ledger, publisher, chatPublisher });
  const copy = (who: Who) => {
    const own = ports(who);
    const gated = gatedLedger(own.ledger, who, moments, gates[who], who === 'A' ? SPLIT_AFTER : undefined);
    const run = howItEnded(waiting(gated, own.publisher, T0, own.chatPublisher).alertFile(failures(), FILE));
    return run.finally(() => moments.fire(`${who}.ended`));
  };
  const [a, b] = await Promise.all([copy('A'), copy('B')]);
  const retry = await howItEnded(
    waiting(ledger, publisher, T0 + 120_000, chatPublisher).alertFile(failures(), FILE),
  );
  return { ledger, publisher, chatPublisher, ended: { A: a, B: b, retry }, stoppedCalls: crashing.calls };
}

// Per eventId, how many published messages list it.
function carried(publisher: InMemoryPublisher): Map<string, number> {
  const counts = new Map<string, number>();
  for (const message of publisher.published) {
    for (const e of message.document.events) counts.set(e.eventId, (counts.get(e.eventId) ?? 0) + 1);
  }
  return counts;
}

describe('two copies of one file that split its claims (docs/alerts.md, exactly once)', () => {
  test.each(SPLIT_CASES)(
    'held failures: copy %s gets the message record (%s); each failure is in exactly one message',
    async (winner, timing) => {
      // Prepare
      const ids = heldFailures(6).map((e) => e.eventId);

      // Act
      const run = await splitRun(() => heldFailures(6), winner, timing);

      // Assess: the claims were split (both copies published), nothing lost, nothing sent twice.
      expect(run.ended).toEqual({ A: 'finished', B: 'finished', retry: 'finished' });
      expect(Object.fromEntries(carried(run.publisher))).toEqual(
        Object.fromEntries(ids.map((id) => [id, 1])),
      );
      expect(run.publisher.published).toHaveLength(2);
      expect(Object.fromEntries(run.ledger.markers)).toEqual(
        Object.fromEntries(ids.map((id) => [id, 'alerted'])),
      );
    },
  );

  test.each(SPLIT_CASES)(
    'with a chat topic too: copy %s gets the message records (%s); each failure is in exactly one message on each topic',
    async (winner, timing) => {
      // Prepare
      const ids = heldFailures(6).map((e) => e.eventId);

      // Act
      const run = await splitRun(() => heldFailures(6), winner, timing, { chat: true });

      // Assess: the chat topic's messages say what the alert topic's say.
      expect(run.ended).toEqual({ A: 'finished', B: 'finished', retry: 'finished' });
      const once = Object.fromEntries(ids.map((id) => [id, 1]));
      expect(Object.fromEntries(carried(run.publisher))).toEqual(once);
      expect(Object.fromEntries(carried(run.chatPublisher as InMemoryPublisher))).toEqual(once);
      expect(Object.fromEntries(run.ledger.markers)).toEqual(
        Object.fromEntries(ids.map((id) => [id, 'alerted'])),
      );
    },
  );

  test.each(SPLIT_CASES)(
    'with overflow (more than 1,000 failures): copy %s gets the message record (%s); every failure is counted in exactly one message',
    async (winner, timing) => {
      // Prepare: 1,000 held whole, 400 more claimed in chunks by both copies (the file's own claims).
      const total = FULL_FAILURES_PER_SERVICE + 400;
      const held = heldFailures(FULL_FAILURES_PER_SERVICE).map((e) => e.eventId);

      // Act
      const run = await splitRun(() => heldFailures(total), winner, timing);

      // Assess: the messages count every failure once between them; each held one is marked alerted
      // and listed (where listed) in one message only.
      expect(run.ended).toEqual({ A: 'finished', B: 'finished', retry: 'finished' });
      const counted = run.publisher.published.map((m) => m.document.failureCount);
      expect(counted.reduce((sum, n) => sum + n, 0)).toBe(total);
      expect(counted).toHaveLength(2);
      expect(Math.max(...carried(run.publisher).values())).toBe(1);
      expect(held.filter((id) => run.ledger.markers.get(id) !== 'alerted')).toEqual([]);
    },
  );

  test.each(SPLIT_CASES)(
    'suppressed failures: copy %s gets the message record (%s); each part is counted on its window once',
    async (winner, timing) => {
      // Prepare: the failures' one signature alerted a minute before, so all six are suppressed.
      const same = () => Array.from({ length: 6 }, (_, i) => failure(i + 1));
      const ids = same().map((e) => e.eventId);
      const earlier = async (ledger: InMemoryAlertLedger, publisher: InMemoryPublisher) => {
        await waiting(ledger, publisher, T0 - 60_000).alertFile([failure(100)], {
          bucket: 'b',
          key: 'earlier',
        });
      };

      // Act
      const run = await splitRun(same, winner, timing, { before: earlier });

      // Assess: nothing sent, every failure marked suppressed and counted once (both parts, each under
      // the message it was settled in), so the next alert of the signature reports all six.
      expect(run.ended).toEqual({ A: 'finished', B: 'finished', retry: 'finished' });
      expect(run.publisher.published).toEqual([]);
      expect(Object.fromEntries([...run.ledger.markers].filter(([id]) => ids.includes(id)))).toEqual(
        Object.fromEntries(ids.map((id) => [id, 'suppressed'])),
      );
      expect([...run.ledger.signatureWindows.values()].map((w) => w.suppressedTotal)).toEqual([6]);
    },
  );

  test.each(
    ([false, true] as const).flatMap((chat) =>
      (['loser', 'winner'] as const).flatMap((stopped) =>
        SPLIT_CASES.map(
          ([winner, timing]) => [stopped, winner, timing, chat ? ', with a chat topic' : ''] as const,
        ),
      ),
    ),
  )(
    'the %s (copy %s wins, %s%s) stopped before or after any port call: the retry loses nothing, and sends twice only between its publish and its sent record',
    async (stopped, winner, timing, withChat) => {
      // Prepare: every port call of that copy in a clean run is a place it can stop.
      const chat = withChat !== '';
      const ids = heldFailures(6).map((e) => e.eventId);
      const clean = await splitRun(() => heldFailures(6), winner, timing, { stopped, chat });
      const points: CrashPoint[] = [];
      const seen = new Map<PortCall, number>();
      for (const call of clean.stoppedCalls) {
        const nth = seen.get(call) ?? 0;
        seen.set(call, nth + 1);
        points.push({ call, nth, phase: 'before' }, { call, nth, phase: 'after' });
      }
      expect(points.length).toBeGreaterThanOrEqual(12);

      for (const point of points) {
        // Act
        const run = await splitRun(() => heldFailures(6), winner, timing, { crash: point, stopped, chat });

        // Assess: on each topic, twice only if it stopped between that topic's publish and its record.
        const topics = chat
          ? ([
              ['topic', run.publisher, 'publish', 0],
              ['chat', run.chatPublisher as InMemoryPublisher, 'publishChat', 1],
            ] as const)
          : ([['topic', run.publisher, 'publish', 0]] as const);
        expect({ point, retry: run.ended.retry }).toEqual({ point, retry: 'finished' });
        for (const [topic, publisher, publish, nthRecord] of topics) {
          const counts = carried(publisher);
          const duplicate =
            (point.call === publish && point.phase === 'after') ||
            (point.call === 'markMessageSent' &&
              point.phase === 'before' &&
              (!chat || (point.nth ?? 0) % 2 === nthRecord));
          expect({ point, topic, lost: ids.filter((id) => !counts.has(id)) }).toEqual({
            point,
            topic,
            lost: [],
          });
          expect({ point, topic, twice: Math.max(...counts.values()) <= (duplicate ? 2 : 1) }).toEqual({
            point,
            topic,
            twice: true,
          });
        }
        expect({ point, markers: Object.fromEntries(run.ledger.markers) }).toEqual({
          point,
          markers: Object.fromEntries(ids.map((id) => [id, 'alerted'])),
        });
      }
    },
  );
});
