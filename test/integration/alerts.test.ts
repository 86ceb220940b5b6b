import type { Message } from '@aws-sdk/client-sqs';
import type { AlertDocument } from '../../lambdas/core/alert-document';
import { ChatNotificationSchema } from '../../lambdas/core/alert-chat';
import { parseAlertRules } from '../../lambdas/core/alert-rules';
import { SERVICE_NAMES, type ServiceName } from '../../lambdas/core/services';
import { failure, seedAthenaFailure } from '../helpers/alert-events';
import { startAlertHarness, type AlertHarness } from '../helpers/alert-harness';
import { snsAlertDelivery, type SnsAlertDeliveryOptions } from '../helpers/sns-alert-delivery';
import { describeWithMoto } from '../helpers/moto';

const SOURCE = {
  bucket: 'trail-bucket',
  key: 'AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/22/file-1.json.gz',
};

/** The SNS envelope SQS receives when raw message delivery is off. */
interface Envelope {
  Type: string;
  Subject: string;
  Message: string;
  MessageAttributes: Record<string, { Type: string; Value: string }>;
}

describeWithMoto(
  'alert delivery over the SNS publisher and DynamoDB ledger against moto (SNS → SQS) and dynalite',
  () => {
    let harness: AlertHarness;
    let now: Date;

    beforeAll(async () => {
      harness = (await startAlertHarness()) as AlertHarness;
    });
    afterAll(async () => {
      await harness?.stop();
    });
    beforeEach(() => {
      now = new Date('2026-11-22T12:00:00Z');
    });

    async function alerter(
      topicArn: string,
      stateTableName: string,
      extra: Partial<SnsAlertDeliveryOptions> = {},
    ) {
      return snsAlertDelivery({
        topicArn,
        stateTableName,
        sns: harness.sns,
        dynamodb: harness.dynamodb,
        now: () => now,
        sleep: async () => undefined,
        ...extra,
      });
    }

    const bodyOf = (m: Message) => JSON.parse(m.Body as string) as Envelope;

    test('a queue filtered on service=athena receives exactly the Athena alert, once; an unfiltered one all four', async () => {
      // Prepare
      const topicArn = await harness.newTopic();
      const athenaQueue = await harness.subscribeQueue(topicArn, { filterPolicy: { service: ['athena'] } });
      const everything = await harness.subscribeQueue(topicArn);
      const table = await harness.newStateTable();
      const sink = await alerter(topicArn, table);
      const failures = [
        seedAthenaFailure(),
        ...SERVICE_NAMES.map((service, i) => failure(i + 1, { service, errorCode: `${service}Error` })),
      ];

      // Act
      const outcome = await sink.alertFile(failures, SOURCE);

      // Assess
      expect(outcome).toEqual({
        messagesPublished: 4,
        eventsAlerted: 5,
        eventsSuppressed: 0,
        eventsAlreadyAlerted: 0,
        eventsIgnored: 0,
        byService: { glue: 1, emr: 1, athena: 2, batch: 1 },
      });
      const athena = await harness.drain(athenaQueue);
      expect(athena).toHaveLength(1);
      const envelope = bodyOf(athena[0] as Message);
      expect(envelope.Subject).toBe(
        'trailwatch: 2 failed Athena calls: StartQueryExecution InvalidRequestException, +1 other (us-east-1)',
      );
      const document = JSON.parse(envelope.Message) as AlertDocument;
      expect(document.version).toBe('1');
      expect(document.service).toBe('athena');
      expect(document.events.map((e) => e.eventId).sort()).toEqual(
        ['6e1fc69b-d076-477e-8dec-024ee51488c4', 'evt-000003'].sort(),
      );
      expect(envelope.MessageAttributes.service).toEqual({ Type: 'String', Value: 'athena' });
      expect(envelope.MessageAttributes.failureCount).toEqual({ Type: 'Number', Value: '2' });
      expect(JSON.parse(envelope.MessageAttributes.errorCode?.Value ?? '[]')).toEqual([
        'InvalidRequestException',
        'athenaError',
      ]);

      const all = (await harness.drain(everything)).map(bodyOf);
      expect(all.map((e) => e.MessageAttributes.service?.Value).sort()).toEqual([
        'athena',
        'batch',
        'emr',
        'glue',
      ]);
    });

    test('the same file again, a duplicate notification or a re-run, sends nothing', async () => {
      // Prepare
      const topicArn = await harness.newTopic();
      const queue = await harness.subscribeQueue(topicArn);
      const table = await harness.newStateTable();
      const failures = [failure(1), failure(2, { service: 'glue' })];
      await (await alerter(topicArn, table)).alertFile(failures, SOURCE);
      await harness.drain(queue);

      // Act: a fresh alerter (another Lambda instance), hours later, and the events in another file too.
      now = new Date('2026-11-22T18:00:00Z');
      const again = await (await alerter(topicArn, table)).alertFile(failures, SOURCE);
      const elsewhere = await (
        await alerter(topicArn, table)
      ).alertFile(failures, { bucket: 'other', key: 'copy.json.gz' });

      // Assess
      expect(await harness.drain(queue)).toHaveLength(0);
      expect(again).toMatchObject({ messagesPublished: 0, eventsAlerted: 0, eventsAlreadyAlerted: 2 });
      expect(elsewhere).toMatchObject({ messagesPublished: 0, eventsAlreadyAlerted: 2 });
    });

    test('an object overwritten with new failures under the same key alerts the new ones', async () => {
      // Prepare: a first version of the file alerts.
      const topicArn = await harness.newTopic();
      const queue = await harness.subscribeQueue(topicArn);
      const table = await harness.newStateTable();
      await (await alerter(topicArn, table)).alertFile([failure(1)], SOURCE);
      await harness.drain(queue);

      // Act: hours later the same key holds other content (a re-upload, an edited file given to ingest).
      now = new Date('2026-11-22T18:00:00Z');
      const other = failure(2, { eventName: 'GetWorkGroup', errorCode: 'AccessDeniedException' });
      const outcome = await (await alerter(topicArn, table)).alertFile([failure(1), other], SOURCE);

      // Assess: the new failure is published (once); the old one is not sent again.
      const messages = await harness.drain(queue);
      expect(messages).toHaveLength(1);
      expect(outcome).toMatchObject({ messagesPublished: 1, eventsAlerted: 1, eventsAlreadyAlerted: 1 });
      const document = JSON.parse(bodyOf(messages[0] as Message).Message) as AlertDocument;
      expect(document.events.map((e) => e.eventId)).toEqual([other.eventId]);
    });

    test('raw delivery with a filter on errorCode (String.Array) gets the JSON document itself', async () => {
      // Prepare
      const topicArn = await harness.newTopic();
      const throttled = await harness.subscribeQueue(topicArn, {
        raw: true,
        filterPolicy: { errorCode: ['ThrottlingException'] },
      });
      const table = await harness.newStateTable();
      const sink = await alerter(topicArn, table);

      // Act
      await sink.alertFile(
        [
          failure(1, { service: 'glue', errorCode: 'ThrottlingException' }),
          failure(2, { service: 'glue', errorCode: 'X' }),
        ],
        SOURCE,
      );
      await sink.alertFile([failure(3, { service: 'emr', errorCode: 'Y' })], SOURCE);

      // Assess
      const messages = await harness.drain(throttled);
      expect(messages).toHaveLength(1);
      const document = JSON.parse(messages[0]?.Body as string) as AlertDocument;
      expect(document).toMatchObject({
        version: '1',
        service: 'glue',
        failureCount: 2,
        errorCodes: ['ThrottlingException', 'X'],
      });
      expect(messages[0]?.MessageAttributes?.service?.StringValue).toBe('glue');
    });

    test('noise control: a repeat within the window is counted, the next alert after it says how many', async () => {
      // Prepare
      const topicArn = await harness.newTopic();
      const queue = await harness.subscribeQueue(topicArn);
      const table = await harness.newStateTable();
      const sink = await alerter(topicArn, table, { windowMinutes: 60 });
      const file = (n: number) => ({ bucket: 'trail-bucket', key: `file-${n}.json.gz` });

      // Act: first alert; 3 repeats over the next 50 minutes (one file retried); then one after the window.
      const first = await sink.alertFile([failure(1)], file(1));
      now = new Date('2026-11-22T12:20:00Z');
      const second = await sink.alertFile([failure(2), failure(3)], file(2));
      const secondRetry = await sink.alertFile([failure(2), failure(3)], file(2));
      now = new Date('2026-11-22T12:50:00Z');
      const third = await sink.alertFile([failure(4), failure(5, { errorCode: 'Other' })], file(3));
      now = new Date('2026-11-22T13:01:00Z');
      const fourth = await sink.alertFile([failure(6)], file(4));

      // Assess
      expect(first).toMatchObject({ messagesPublished: 1, eventsAlerted: 1 });
      expect(second).toMatchObject({ messagesPublished: 0, eventsSuppressed: 2 });
      expect(secondRetry).toMatchObject({
        messagesPublished: 0,
        eventsSuppressed: 0,
        eventsAlreadyAlerted: 2,
      });
      expect(third).toMatchObject({ messagesPublished: 1, eventsAlerted: 1, eventsSuppressed: 1 });
      expect(fourth).toMatchObject({ messagesPublished: 1, eventsAlerted: 1 });
      const documents = (await harness.drain(queue)).map(
        (m) => JSON.parse(JSON.parse(m.Body as string).Message) as AlertDocument,
      );
      expect(documents.map((d) => d.events.map((e) => e.eventId))).toEqual([
        ['evt-000001'],
        ['evt-000005'],
        ['evt-000006'],
      ]);
      expect(documents[1]?.suppressed).toMatchObject({ inThisFile: 1, earlierTotal: 0 });
      expect(documents[2]?.suppressed).toMatchObject({
        inThisFile: 0,
        earlierTotal: 3,
        earlier: [
          {
            eventName: 'StartQueryExecution',
            errorCode: 'InvalidRequestException',
            count: 3,
            since: '2026-11-22T12:00:00.000Z',
          },
        ],
      });
    });

    test('rules: ignored failures are counted and never published', async () => {
      // Prepare
      const topicArn = await harness.newTopic();
      const queue = await harness.subscribeQueue(topicArn);
      const table = await harness.newStateTable();
      const rules = parseAlertRules(
        '{"services":["athena","glue"],"ignoreErrorCodes":["ThrottlingException"]}',
        'ALERT_RULES',
      );
      const sink = await alerter(topicArn, table, { rules });

      // Act
      const outcome = await sink.alertFile(
        [
          failure(1, { errorCode: 'ThrottlingException' }),
          failure(2, { service: 'batch' }),
          failure(3, { service: 'glue' }),
        ],
        SOURCE,
      );

      // Assess
      expect(outcome).toMatchObject({
        messagesPublished: 1,
        eventsAlerted: 1,
        eventsIgnored: 2,
        byService: { glue: 1 },
      });
      expect((await harness.drain(queue)).map((m) => bodyOf(m).MessageAttributes.service?.Value)).toEqual([
        'glue',
      ]);
    });

    test('5,000 failures of four services in one file: four messages, each accepted under the 256 KB limit', async () => {
      // Prepare
      const topicArn = await harness.newTopic();
      const queue = await harness.subscribeQueue(topicArn, { raw: true });
      const table = await harness.newStateTable();
      const sink = await alerter(topicArn, table);
      const failures = Array.from({ length: 5000 }, (_, i) =>
        failure(i, {
          service: SERVICE_NAMES[i % 4] as ServiceName,
          requestParameters: { q: 'x'.repeat(200) },
        }),
      );

      // Act
      const outcome = await sink.alertFile(failures, SOURCE);

      // Assess
      expect(outcome).toMatchObject({ messagesPublished: 4, eventsAlerted: 5000 });
      const documents = (await harness.drain(queue)).map(
        (m) => JSON.parse(m.Body as string) as AlertDocument,
      );
      expect(documents.map((d) => d.service).sort()).toEqual(['athena', 'batch', 'emr', 'glue']);
      for (const d of documents) {
        expect(d.failureCount).toBe(1250);
        expect(d.included).toBeGreaterThan(0);
        expect(d.included + d.omitted).toBe(1250);
      }
      const markers = (await harness.scan(table)).filter((i) => (i.pk as { S: string }).S.startsWith('evt#'));
      expect(markers).toHaveLength(5000);
    });

    test('a chat topic gets each alert once more, as a custom notification the chat service can read', async () => {
      // Prepare: a raw-delivery queue on the chat topic receives the body the chat service's HTTPS
      // subscription would (the `default` entry).
      const topicArn = await harness.newTopic();
      const chatTopicArn = await harness.newTopic();
      const emails = await harness.subscribeQueue(topicArn);
      const chat = await harness.subscribeQueue(chatTopicArn, { raw: true });
      const athenaChat = await harness.subscribeQueue(chatTopicArn, {
        raw: true,
        filterPolicy: { service: ['athena'] },
      });
      const table = await harness.newStateTable();
      const sink = await alerter(topicArn, table, { chatTopicArn });
      const failures = [seedAthenaFailure(), failure(1, { service: 'glue', errorCode: 'GlueError' })];

      // Act
      const outcome = await sink.alertFile(failures, SOURCE);
      const again = await sink.alertFile(failures, SOURCE);

      // Assess
      expect(outcome).toMatchObject({ messagesPublished: 2, eventsAlerted: 2 });
      expect(again).toMatchObject({ messagesPublished: 0, eventsAlreadyAlerted: 2 });
      expect(await harness.drain(emails)).toHaveLength(2);
      const notifications = (await harness.drain(chat)).map((m) =>
        ChatNotificationSchema.parse(JSON.parse(m.Body as string)),
      );
      expect(notifications.map((n) => n.content.title).sort()).toEqual([
        'Athena StartQueryExecution failed: InvalidRequestException in 123456789012 us-east-1',
        'Glue StartQueryExecution failed: GlueError in 123456789012 us-east-1',
      ]);
      // The same attributes as the alert topic, so filter policies work on the chat topic too.
      const filtered = await harness.drain(athenaChat);
      expect(
        filtered.map(
          (m) =>
            ChatNotificationSchema.parse(JSON.parse(m.Body as string)).metadata.additionalContext.service,
        ),
      ).toEqual(['athena']);
      const chatRecords = (await harness.scan(table)).filter((i) =>
        /^msg#.*#chat$/.test((i.pk as { S: string }).S),
      );
      expect(chatRecords.map((r) => (r.state as { S: string }).S)).toEqual(['sent', 'sent']);
    });
  },
);
