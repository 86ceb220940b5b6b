import {
  AlertDelivery,
  AlertInProgressError,
  type AlertDeliveryOptions,
} from '../../lambdas/core/alert-delivery';
import { ChatNotificationSchema } from '../../lambdas/core/alert-chat';
import type { RenderedAlert } from '../../lambdas/core/alert-document';
import {
  messageRecordKey,
  PublishOutcomeUnknownError,
  type AlertLedger,
  type AlertPublisher,
} from '../../lambdas/core/alert-ports';
import type { NormalizedEvent } from '../../lambdas/core/normalized-event';
import { LOG_FILE as FILE, minutes } from '../helpers/alert-clock';
import { failure } from '../helpers/alert-events';
import { Crash, crashAt, type CrashPoint, type PortCall } from '../helpers/crash-ports';
import { InMemoryAlertLedger, InMemoryPublisher } from '../helpers/in-memory-alert-ports';

// The chat topic is a second channel of the same exactly-once protocol: each (file, service) alert
// goes to the alert topic and to the chat topic once each, whatever the crash point, and a chat
// publish that fails retries only the chat message.

function delivery(
  ledger: AlertLedger,
  publisher: AlertPublisher,
  chat: AlertPublisher,
  at: Date,
  options: Partial<AlertDeliveryOptions> = {},
) {
  return new AlertDelivery({
    ledger,
    publisher,
    chatPublisher: chat,
    now: () => at,
    monotonicNow: () => 0,
    ...options,
  });
}

const fileFailures = (): NormalizedEvent[] => [
  failure(2),
  failure(3, { errorCode: 'TooManyRequestsException' }),
  failure(4, { service: 'glue', eventName: 'GetTable', errorCode: 'EntityNotFoundException' }),
];

async function world() {
  const ledger = new InMemoryAlertLedger();
  const publisher = new InMemoryPublisher();
  const chat = new InMemoryPublisher();
  await delivery(ledger, publisher, chat, minutes(0)).alertFile([failure(1)], {
    bucket: 'b',
    key: 'earlier',
  });
  publisher.published.length = 0;
  chat.published.length = 0;
  return { ledger, publisher, chat };
}

const emails = (p: InMemoryPublisher) =>
  p.published.map((m) => `${m.document.service}:${m.document.events.map((e) => e.eventId).join(',')}`);

// What the chat message says it alerts: its service and failure count, read back from the notification.
const chats = (p: InMemoryPublisher) =>
  p.published.map((m) => {
    const notification = chatNotificationOf(m);
    return `${notification.metadata.additionalContext.service}:${notification.metadata.additionalContext.failureCount}`;
  });

function chatNotificationOf(m: RenderedAlert) {
  const bodies = JSON.parse(m.message) as { default: string };
  return ChatNotificationSchema.parse(JSON.parse(bodies.default));
}

async function crashThenRetry(point: CrashPoint | undefined) {
  const { ledger, publisher, chat } = await world();
  const crashing = crashAt(ledger, publisher, point, chat);
  const first = await delivery(
    crashing.ledger,
    crashing.publisher,
    crashing.chatPublisher as AlertPublisher,
    minutes(10),
  )
    .alertFile(fileFailures(), FILE)
    .then(
      () => 'finished',
      (err: unknown) => (err instanceof Crash ? 'crashed' : `failed: ${String(err)}`),
    );
  await delivery(ledger, publisher, chat, minutes(11.5)).alertFile(fileFailures(), FILE);
  const rerun = await delivery(ledger, publisher, chat, minutes(12)).alertFile(fileFailures(), FILE);
  return {
    first,
    calls: crashing.calls,
    emails: emails(publisher).sort(),
    chats: chats(chat).sort(),
    rerun,
    markers: Object.fromEntries([...ledger.markers].sort()),
  };
}

const MARKED = {
  'evt-000001': 'alerted',
  'evt-000002': 'suppressed',
  'evt-000003': 'alerted',
  'evt-000004': 'alerted',
};

describe('AlertDelivery with a chat topic', () => {
  test('without a crash: each alert once on each topic, the chat one in the custom notification format', async () => {
    const outcome = await crashThenRetry(undefined);

    expect(outcome.first).toBe('finished');
    expect(outcome.emails).toEqual(['athena:evt-000003', 'glue:evt-000004']);
    expect(outcome.chats).toEqual(['athena:1', 'glue:1']);
    expect(outcome.rerun).toMatchObject({ messagesPublished: 0, eventsAlreadyAlerted: 3 });
    expect(outcome.markers).toEqual(MARKED);
  });

  test('a crash at any port call sends each message once per topic, but for the instant after a publish', async () => {
    // Prepare: every port call of a clean run is a place the process can stop.
    const clean = await crashThenRetry(undefined);
    expect(clean.calls.filter((c) => c === 'publishChat')).toHaveLength(2);
    const points: CrashPoint[] = [];
    const seen = new Map<PortCall, number>();
    for (const call of clean.calls) {
      const nth = seen.get(call) ?? 0;
      seen.set(call, nth + 1);
      points.push({ call, nth, phase: 'before' }, { call, nth, phase: 'after' });
    }

    for (const point of points) {
      // Act
      const outcome = await crashThenRetry(point);

      // Assess: a duplicate only of the message accepted just before the process died. The sent
      // records are written in channel order, topic then chat, per service (glue, then athena: SERVICE_NAMES order).
      const sentRecordBefore = point.call === 'markMessageSent' && point.phase === 'before';
      const emailDuplicate =
        (point.call === 'publish' && point.phase === 'after') ||
        (sentRecordBefore && (point.nth ?? 0) % 2 === 0);
      const chatDuplicate =
        (point.call === 'publishChat' && point.phase === 'after') ||
        (sentRecordBefore && (point.nth ?? 0) % 2 === 1);
      const service = Math.floor(point.call === 'markMessageSent' ? (point.nth ?? 0) / 2 : (point.nth ?? 0));
      const expectedEmails = ['glue:evt-000004', 'athena:evt-000003'];
      const expectedChats = ['glue:1', 'athena:1'];
      if (emailDuplicate) expectedEmails.push(expectedEmails[service] as string);
      if (chatDuplicate) expectedChats.push(expectedChats[service] as string);
      expect({ point, crashed: outcome.first }).toEqual({ point, crashed: 'crashed' });
      expect({ point, emails: outcome.emails }).toEqual({ point, emails: expectedEmails.sort() });
      expect({ point, chats: outcome.chats }).toEqual({ point, chats: expectedChats.sort() });
      expect({ point, markers: outcome.markers }).toEqual({ point, markers: MARKED });
      expect({ point, rerun: outcome.rerun.messagesPublished }).toEqual({ point, rerun: 0 });
    }
  });

  test('a refused chat publish fails the file; the retry sends the chat message only, and marks the events then', async () => {
    // Prepare
    const ledger = new InMemoryAlertLedger();
    const publisher = new InMemoryPublisher();
    const chat = new InMemoryPublisher(1);

    // Act
    const first = delivery(ledger, publisher, chat, minutes(0)).alertFile([failure(1)], FILE);
    await expect(first).rejects.toThrow('publish refused');
    const markersAfterFailure = ledger.markers.size;
    const retry = await delivery(ledger, publisher, chat, minutes(0.5)).alertFile([failure(1)], FILE);

    // Assess
    expect(markersAfterFailure).toBe(0);
    expect(publisher.published).toHaveLength(1);
    expect(chat.published).toHaveLength(1);
    expect(retry).toMatchObject({ messagesPublished: 0, eventsAlreadyAlerted: 1 });
    expect(ledger.markers.get('evt-000001')).toBe('alerted');
  });

  test('a duplicate invocation while another publishes the chat fails once its wait is over, and releases nothing of the other', async () => {
    // Prepare: an invocation claimed the events and both records and is still publishing the chat.
    const ledger = new InMemoryAlertLedger();
    const publisher = new InMemoryPublisher();
    const chat = new InMemoryPublisher();
    let release: () => void = () => undefined;
    const slowChat: AlertPublisher = {
      publish: (m) => new Promise<void>((r) => (release = r)).then(() => chat.publish(m)),
    };
    const running = delivery(ledger, publisher, slowChat, minutes(0)).alertFile([failure(1)], FILE);
    while (publisher.published.length === 0) await new Promise((r) => setImmediate(r));

    // Act: a duplicate that does not wait for the events the first one holds.
    const duplicate = delivery(ledger, publisher, chat, minutes(0.1), { claimWaitSeconds: 0 }).alertFile(
      [failure(1)],
      FILE,
    );

    // Assess
    await expect(duplicate).rejects.toBeInstanceOf(AlertInProgressError);
    release();
    await running;
    expect(publisher.published).toHaveLength(1);
    expect(chat.published).toHaveLength(1);
    expect(ledger.markers.get('evt-000001')).toBe('alerted');
  });

  test('a duplicate invocation waits for the one publishing the chat, then finds the alert sent on both channels', async () => {
    // Prepare: an invocation claimed the events and both records and is still publishing the chat.
    const ledger = new InMemoryAlertLedger();
    const publisher = new InMemoryPublisher();
    const chat = new InMemoryPublisher();
    let release: () => void = () => undefined;
    const slowChat: AlertPublisher = {
      publish: (m) => new Promise<void>((r) => (release = r)).then(() => chat.publish(m)),
    };
    const running = delivery(ledger, publisher, slowChat, minutes(0)).alertFile([failure(1)], FILE);
    while (publisher.published.length === 0) await new Promise((r) => setImmediate(r));
    const pauses: number[] = [];

    // Act: the duplicate's first pause lets the first invocation finish.
    const duplicate = await delivery(ledger, publisher, chat, minutes(0.1), {
      sleep: async (ms) => {
        pauses.push(ms);
        release();
        await running;
      },
    }).alertFile([failure(1)], FILE);

    // Assess
    expect(pauses).toEqual([1_000]);
    expect(duplicate).toMatchObject({ messagesPublished: 0, eventsAlreadyAlerted: 1 });
    expect(publisher.published).toHaveLength(1);
    expect(chat.published).toHaveLength(1);
  });

  test('a chat publish of unknown outcome is recorded on the chat record alone; the retry publishes only the chat again', async () => {
    // Prepare: the chat's answer is lost once (it may have been delivered).
    const ledger = new InMemoryAlertLedger();
    const publisher = new InMemoryPublisher();
    const chat = new InMemoryPublisher();
    let lost = 1;
    const lossyChat: AlertPublisher = {
      publish: async (m) => {
        if (lost-- > 0) throw new PublishOutcomeUnknownError('answer lost');
        return chat.publish(m);
      },
    };

    // Act
    const first = delivery(ledger, publisher, lossyChat, minutes(0)).alertFile([failure(1)], FILE);
    await expect(first).rejects.toBeInstanceOf(PublishOutcomeUnknownError);
    const states = [...ledger.messages.values()].map((r) => [r.key, r.state, r.uncertainPublishes]);
    const retry = await delivery(ledger, publisher, lossyChat, minutes(0.5)).alertFile([failure(1)], FILE);

    // Assess
    const fid = [...ledger.messages.keys()][0]?.split('#')[1] as string;
    expect(states).toEqual([
      [messageRecordKey(fid, failure(1).service), 'sent', undefined],
      [messageRecordKey(fid, failure(1).service, 'chat'), 'uncertain', 1],
    ]);
    expect(ledger.messages.get(messageRecordKey(fid, failure(1).service, 'chat'))).toMatchObject({
      state: 'sent',
      uncertainPublishes: 1,
    });
    expect(publisher.published).toHaveLength(1);
    expect(chat.published).toHaveLength(1);
    expect(retry).toMatchObject({ messagesPublished: 0, eventsAlreadyAlerted: 1 });
    expect(ledger.markers.get('evt-000001')).toBe('alerted');
  });

  test('a topic publish of unknown outcome is recorded on the topic record, the unpublished chat claim is released', async () => {
    // Prepare: the topic's answer is lost once.
    const ledger = new InMemoryAlertLedger();
    const publisher = new InMemoryPublisher();
    const chat = new InMemoryPublisher();
    let lost = 1;
    const lossyTopic: AlertPublisher = {
      publish: async (m) => {
        if (lost-- > 0) throw new PublishOutcomeUnknownError('answer lost');
        return publisher.publish(m);
      },
    };

    // Act
    const first = delivery(ledger, lossyTopic, chat, minutes(0)).alertFile([failure(1)], FILE);
    await expect(first).rejects.toBeInstanceOf(PublishOutcomeUnknownError);
    const states = [...ledger.messages.values()].map((r) => [r.state, r.uncertainPublishes]);
    const retry = await delivery(ledger, lossyTopic, chat, minutes(0.5)).alertFile([failure(1)], FILE);

    // Assess: the retry publishes at once (the events' claims were released too), each channel once.
    expect(states).toEqual([['uncertain', 1]]);
    expect(publisher.published).toHaveLength(1);
    expect(chat.published).toHaveLength(1);
    expect([...ledger.messages.values()].map((r) => [r.state, r.uncertainPublishes])).toEqual([
      ['sent', 1],
      ['sent', undefined],
    ]);
    expect(retry).toMatchObject({ messagesPublished: 1, eventsAlerted: 1 });
  });
});
