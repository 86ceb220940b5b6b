// Two copies of one log file (a duplicated S3 notification) whose claim writes interleave, on the real
// stores: the alert state table on dynalite (one conditional PutItem per claim) and on moto (claims in
// transactions), SNS and SQS on moto. The same scripted interleavings as the unit suite
// (test/unit/alert-delivery-split.test.ts; the moments in test/helpers/split-claims.ts), so no run
// depends on timing: every alertable failure is in exactly one message, marked alerted only if it was.
import { randomUUID } from 'node:crypto';
import { DynamoDBClient, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { ClaimWrites } from '../../lambdas/adapters/alert-state-store';
import { alertStateTableDefinition } from '../../lambdas/adapters/alert-state-table';
import { LOCAL_CREDENTIALS } from '../../lambdas/adapters/aws-clients';
import { ensureTable } from '../../lambdas/adapters/table-definitions';
import type { AlertDocument } from '../../lambdas/core/alert-document';
import { FULL_FAILURES_PER_SERVICE } from '../../lambdas/core/alert-overflow';
import type { NormalizedEvent } from '../../lambdas/core/normalized-event';
import { LOG_FILE as FILE, T0 } from '../helpers/alert-clock';
import { distinctFailures } from '../helpers/alert-events';
import { startAlertHarness, type AlertHarness } from '../helpers/alert-harness';
import { howItEnded, type CrashPoint } from '../helpers/crash-ports';
import { describeWithMoto } from '../helpers/moto';
import { snsAlertDelivery } from '../helpers/sns-alert-delivery';
import {
  gatedLedger,
  Moments,
  SPLIT_AFTER,
  SPLIT_CASES,
  splitGates,
  type Timing,
  type Who,
} from '../helpers/split-claims';

const failures = (count: number): NormalizedEvent[] => distinctFailures(1, count);

describeWithMoto('two copies of one file that split its claims, on the real stores', () => {
  let harness: AlertHarness;
  let moto: DynamoDBClient;

  beforeAll(async () => {
    harness = (await startAlertHarness()) as AlertHarness;
    moto = new DynamoDBClient({
      region: 'us-east-1',
      credentials: LOCAL_CREDENTIALS,
      endpoint: harness.motoEndpoint,
    });
  });
  afterAll(async () => {
    moto?.destroy();
    await harness?.stop();
  });

  // moto's DynamoDB is slow (seconds for a run, minutes for a big file's claims): there, the three timings
  // with one winner and the loser's retry; on dynalite every case and the overflow.
  const STORES: ReadonlyArray<readonly [string, ClaimWrites, () => DynamoDBClient, boolean]> = [
    ['dynalite, a conditional PutItem per claim', 'single', () => harness.dynamodb, true],
    ['moto, claims in transactions', 'transactions', () => moto, false],
  ];

  /** Both copies, then the loser's retry two minutes later; what SNS delivered and the table's markers. */
  async function splitRun(
    store: readonly [string, ClaimWrites, () => DynamoDBClient, boolean],
    count: number,
    winner: Who,
    timing: Timing,
    options: { crash?: CrashPoint; claimWaitSeconds?: number } = {},
  ) {
    const [, claimWrites, clientOf] = store;
    const dynamodb = clientOf();
    const topicArn = await harness.newTopic();
    const queue = await harness.subscribeQueue(topicArn);
    const stateTableName = `alert-state-${randomUUID()}`;
    await ensureTable(dynamodb, alertStateTableDefinition(stateTableName), { pollMs: 20 });
    const moments = new Moments();
    const gates = splitGates(winner, timing);
    const loser: Who = winner === 'A' ? 'B' : 'A';
    const make = (startMs: number, who?: Who) => {
      let t = startMs;
      return snsAlertDelivery({
        topicArn,
        stateTableName,
        sns: harness.sns,
        dynamodb,
        claimWrites,
        now: () => new Date(t),
        // The clock moves only while the protocol waits for another invocation's claims (not in the
        // store's or the publisher's backoffs, which depend on the machine's load).
        waitSleep: async (ms) => {
          t += ms;
        },
        ...(options.claimWaitSeconds !== undefined ? { claimWaitSeconds: options.claimWaitSeconds } : {}),
        ...(who === loser && options.crash ? { crash: options.crash } : {}),
        ...(who
          ? {
              wrapLedger: (ledger) =>
                gatedLedger(ledger, who, moments, gates[who], who === 'A' ? SPLIT_AFTER : undefined),
            }
          : {}),
      });
    };
    const copy = (who: Who) =>
      howItEnded(make(T0, who).alertFile(failures(count), FILE)).finally(() => moments.fire(`${who}.ended`));
    const [a, b] = await Promise.all([copy('A'), copy('B')]);
    const retry = await howItEnded(make(T0 + 120_000).alertFile(failures(count), FILE));
    const messages = (await harness.drain(queue)).map(
      (m) => JSON.parse((JSON.parse(m.Body as string) as { Message: string }).Message) as AlertDocument,
    );
    const items: Array<Record<string, AttributeValue>> = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const out = await dynamodb.send(
        new ScanCommand({ TableName: stateTableName, ExclusiveStartKey: start }),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    const markers = new Map(
      items
        .filter((i) => (i.pk?.S ?? '').startsWith('evt#') && i.state?.S !== 'claimed')
        .map((i: Record<string, AttributeValue>) => [(i.pk?.S ?? '').slice(4), i.state?.S ?? ''] as const),
    );
    return { ended: { A: a, B: b, retry }, messages, markers };
  }

  // Per eventId, how many delivered messages list it.
  const listed = (messages: readonly AlertDocument[]): Map<string, number> => {
    const counts = new Map<string, number>();
    for (const m of messages)
      for (const e of m.events) counts.set(e.eventId, (counts.get(e.eventId) ?? 0) + 1);
    return counts;
  };

  describe.each(STORES)('%s', (...store) => {
    const every = store[3];
    test.each(every ? SPLIT_CASES : SPLIT_CASES.filter(([winner]) => winner === 'A'))(
      'held failures: copy %s gets the message record (%s); each failure is in exactly one message',
      async (winner, timing) => {
        const ids = failures(6).map((e) => e.eventId);

        const run = await splitRun(store, 6, winner, timing);

        expect(run.ended).toEqual({ A: 'finished', B: 'finished', retry: 'finished' });
        expect(run.messages).toHaveLength(2);
        expect(Object.fromEntries(listed(run.messages))).toEqual(
          Object.fromEntries(ids.map((id) => [id, 1])),
        );
        expect(Object.fromEntries(run.markers)).toEqual(Object.fromEntries(ids.map((id) => [id, 'alerted'])));
      },
    );

    if (every) {
      test('with overflow (1,200 failures): every failure is counted in exactly one message', async () => {
        const total = FULL_FAILURES_PER_SERVICE + 200;
        const held = failures(FULL_FAILURES_PER_SERVICE).map((e) => e.eventId);

        const run = await splitRun(store, total, 'B', 'publishing');

        expect(run.ended).toEqual({ A: 'finished', B: 'finished', retry: 'finished' });
        expect(run.messages.map((m) => m.failureCount).reduce((sum, n) => sum + n, 0)).toBe(total);
        expect(run.messages).toHaveLength(2);
        expect(Math.max(...listed(run.messages).values())).toBe(1);
        expect(held.filter((id) => run.markers.get(id) !== 'alerted')).toEqual([]);
      });
    }

    test('the loser stopped before publishing its part: its retry sends that part, once', async () => {
      const ids = failures(6).map((e) => e.eventId);

      // The winner gives up waiting for the loser's claims after 5 s (its own retry would find them done).
      const run = await splitRun(store, 6, 'A', 'sent at the claim', {
        crash: { call: 'publish', phase: 'before' },
        claimWaitSeconds: 5,
      });

      expect(run.ended.B).toBe('crashed');
      expect(run.ended.retry).toBe('finished');
      expect(Object.fromEntries(listed(run.messages))).toEqual(Object.fromEntries(ids.map((id) => [id, 1])));
      expect(Object.fromEntries(run.markers)).toEqual(Object.fromEntries(ids.map((id) => [id, 'alerted'])));
    });
  });
});
