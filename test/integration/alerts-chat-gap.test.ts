// A message sent on the alert topic and not yet on the chat topic (the process stopped between the two
// publishes), its claims then taken over by another file carrying the same calls, on the real stores:
// the alert state table on dynalite, SNS and SQS on moto. The unit suite
// (test/unit/alert-delivery-chat-gap.test.ts) runs these and every stop point in memory.
import { ChatNotificationSchema, type ChatNotification } from '../../lambdas/core/alert-chat';
import type { AlertDocument } from '../../lambdas/core/alert-document';
import type { NormalizedEvent } from '../../lambdas/core/normalized-event';
import type { LogObjectRef } from '../../lambdas/core/ports';
import { LOG_FILE, T0, OTHER_LOG_FILE as OTHER_FILE } from '../helpers/alert-clock';
import { distinctFailures } from '../helpers/alert-events';
import { startAlertHarness, type AlertHarness } from '../helpers/alert-harness';
import { howItEnded, type CrashPoint } from '../helpers/crash-ports';
import { describeWithMoto } from '../helpers/moto';
import { snsAlertDelivery } from '../helpers/sns-alert-delivery';

const failures = distinctFailures;

describeWithMoto(
  'a message sent on the alert topic only, taken over by another file, on the real stores',
  () => {
    let harness: AlertHarness;

    beforeAll(async () => {
      harness = (await startAlertHarness()) as AlertHarness;
    });
    afterAll(async () => {
      await harness?.stop();
    });

    /**
     * The first file stops after the topic's `sent` record (or at `firstStop`); then each later run, in
     * order, on its own clock, stopped where its entry says.
     */
    async function run(
      first: readonly NormalizedEvent[],
      later: ReadonlyArray<readonly [NormalizedEvent[], LogObjectRef, number, CrashPoint?]>,
      firstStop: CrashPoint = { call: 'markMessageSent', phase: 'after', nth: 0 },
    ) {
      const topicArn = await harness.newTopic();
      const chatTopicArn = await harness.newTopic();
      const emails = await harness.subscribeQueue(topicArn);
      const chat = await harness.subscribeQueue(chatTopicArn, { raw: true });
      const stateTableName = await harness.newStateTable();
      const make = (startMs: number, crash?: CrashPoint) =>
        snsAlertDelivery({
          topicArn,
          chatTopicArn,
          stateTableName,
          sns: harness.sns,
          dynamodb: harness.dynamodb,
          now: () => new Date(startMs),
          waitSleep: async () => undefined,
          ...(crash ? { crash } : {}),
        });
      const ended = [await howItEnded(make(T0, firstStop).alertFile(first, LOG_FILE))];
      for (const [events, source, atMs, crash] of later)
        ended.push(await howItEnded(make(atMs, crash).alertFile(events, source)));
      const documents = (await harness.drain(emails)).map(
        (m) => JSON.parse((JSON.parse(m.Body as string) as { Message: string }).Message) as AlertDocument,
      );
      const notifications: ChatNotification[] = (await harness.drain(chat)).map((m) =>
        ChatNotificationSchema.parse(JSON.parse(m.Body as string)),
      );
      const markers = (await harness.scan(stateTableName))
        .filter((i) => (i.pk as { S: string }).S.startsWith('evt#'))
        .map((i) => (i.state as { S: string }).S);
      return { ended, documents, notifications, markers };
    }

    const listed = (documents: readonly AlertDocument[]) =>
      documents.flatMap((d) => d.events.map((e) => e.eventId)).sort();
    const ids = (events: readonly NormalizedEvent[]) => events.map((e) => e.eventId).sort();
    const chatCount = (notifications: readonly ChatNotification[]) =>
      notifications.reduce((n, c) => n + Number(c.metadata.additionalContext.failureCount), 0);

    test('another file takes every claim over: it sends the first file’s chat half, once', async () => {
      const events = failures(1, 3);

      const r = await run(events, [
        [failures(1, 3), OTHER_FILE, T0 + 120_000],
        [failures(1, 3), LOG_FILE, T0 + 180_000],
      ]);

      expect(r.ended).toEqual(['crashed', 'finished', 'finished']);
      expect(listed(r.documents)).toEqual(ids(events));
      expect(r.notifications).toHaveLength(1);
      expect(chatCount(r.notifications)).toBe(3);
      expect(r.notifications[0]?.metadata.additionalContext.logFile).toBe(
        `s3://${LOG_FILE.bucket}/${LOG_FILE.key}`,
      );
      expect(r.markers).toEqual(['alerted', 'alerted', 'alerted']);
    });

    test('another file has some of the calls: it leaves them, and the first file’s retry sends all to the chat', async () => {
      const events = failures(1, 6);

      const r = await run(events, [
        [failures(1, 3), OTHER_FILE, T0 + 120_000],
        [failures(1, 6), LOG_FILE, T0 + 180_000],
      ]);

      expect(r.ended).toEqual(['crashed', 'finished', 'finished']);
      expect(listed(r.documents)).toEqual(ids(events));
      expect(r.notifications).toHaveLength(1);
      expect(chatCount(r.notifications)).toBe(6);
      expect(r.markers).toEqual(Array.from({ length: 6 }, () => 'alerted'));
    });

    // The takeover window (docs/alerts.md, the crash table): the other file stops right after its takeover
    // write, so the claims name its own message; its retry still finds the first file's message sent.
    const rightAfterTheTakeover: CrashPoint = { call: 'claimEvents', phase: 'after', nth: 0 };

    test('sent on both topics, taken over by another file that stops right after the takeover: nothing again', async () => {
      const events = failures(1, 3);

      const r = await run(
        events,
        [
          [failures(1, 3), OTHER_FILE, T0 + 120_000, rightAfterTheTakeover],
          [failures(1, 3), OTHER_FILE, T0 + 240_000],
          [failures(1, 3), LOG_FILE, T0 + 360_000],
        ],
        { call: 'markEvents', phase: 'before' },
      );

      expect(r.ended).toEqual(['crashed', 'crashed', 'finished', 'finished']);
      expect(listed(r.documents)).toEqual(ids(events));
      expect(r.notifications).toHaveLength(1);
      expect(chatCount(r.notifications)).toBe(3);
      expect(r.markers).toEqual(['alerted', 'alerted', 'alerted']);
    });

    test('sent on the alert topic only, taken over by another file that stops right after the takeover: the chat once, the topic not again', async () => {
      const events = failures(1, 3);

      const r = await run(events, [
        [failures(1, 3), OTHER_FILE, T0 + 120_000, rightAfterTheTakeover],
        [failures(1, 3), OTHER_FILE, T0 + 240_000],
        [failures(1, 3), LOG_FILE, T0 + 360_000],
      ]);

      expect(r.ended).toEqual(['crashed', 'crashed', 'finished', 'finished']);
      expect(listed(r.documents)).toEqual(ids(events));
      expect(r.notifications).toHaveLength(1);
      expect(chatCount(r.notifications)).toBe(3);
      expect(r.markers).toEqual(['alerted', 'alerted', 'alerted']);
    });
  },
);
