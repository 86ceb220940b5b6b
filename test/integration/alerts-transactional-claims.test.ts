// The alert protocol with its event claims in transactions, as the deployed function writes them: the
// alert state table on moto (dynalite, where the other protocol suites run, has no transactions).
import { randomUUID } from 'node:crypto';
import { DynamoDBClient, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Message } from '@aws-sdk/client-sqs';
import { alertStateTableDefinition } from '../../lambdas/adapters/alert-state-table';
import { LOCAL_CREDENTIALS } from '../../lambdas/adapters/aws-clients';
import { ensureTable } from '../../lambdas/adapters/table-definitions';
import type { AlertDocument } from '../../lambdas/core/alert-document';
import type { NormalizedEvent } from '../../lambdas/core/normalized-event';
import { failure, seedAthenaFailure } from '../helpers/alert-events';
import { startAlertHarness, type AlertHarness } from '../helpers/alert-harness';
import { Crash } from '../helpers/crash-ports';
import { describeWithMoto } from '../helpers/moto';
import { snsAlertDelivery, type SnsAlertDeliveryOptions } from '../helpers/sns-alert-delivery';

const SOURCE = {
  bucket: 'trail-bucket',
  key: 'AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/22/f.json.gz',
};
const T0 = new Date('2026-11-22T12:00:00Z');
// After the crashed invocation's lease (60 s) ran out.
const RETRY_AT = new Date('2026-11-22T12:01:30Z');

describeWithMoto(
  'alerts with transactional event claims (SNS, SQS and the alert state table on moto)',
  () => {
    let harness: AlertHarness;
    let dynamodb: DynamoDBClient;

    beforeAll(async () => {
      harness = (await startAlertHarness()) as AlertHarness;
      dynamodb = new DynamoDBClient({
        region: 'us-east-1',
        credentials: LOCAL_CREDENTIALS,
        endpoint: harness.motoEndpoint,
      });
    });
    afterAll(async () => {
      dynamodb?.destroy();
      await harness?.stop();
    });

    async function setup() {
      const topicArn = await harness.newTopic();
      const queue = await harness.subscribeQueue(topicArn);
      const table = `alert-state-${randomUUID()}`;
      await ensureTable(dynamodb, alertStateTableDefinition(table), { pollMs: 20 });
      const make = (options: Partial<SnsAlertDeliveryOptions> = {}) =>
        snsAlertDelivery({
          topicArn,
          stateTableName: table,
          sns: harness.sns,
          dynamodb,
          claimWrites: 'transactions',
          now: () => T0,
          sleep: async () => undefined,
          ...options,
        });
      const received = async () =>
        (await harness.drain(queue)).map((m: Message) => {
          const document = JSON.parse(
            (JSON.parse(m.Body as string) as { Message: string }).Message,
          ) as AlertDocument;
          return [document.service, document.events.map((e) => e.eventId).sort()] as const;
        });
      const markers = async () => {
        const items: Array<Record<string, AttributeValue>> = [];
        let start: Record<string, AttributeValue> | undefined;
        do {
          const out = await dynamodb.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
          items.push(...(out.Items ?? []));
          start = out.LastEvaluatedKey;
        } while (start);
        return items
          .map((i: Record<string, AttributeValue>) => [i.pk?.S ?? '', i.state?.S ?? ''] as const)
          .filter(([pk, state]) => pk.startsWith('evt#') && state !== 'claimed')
          .map(([pk, state]) => `${pk.slice(4)}=${state}`)
          .sort();
      };
      return { make, received, markers };
    }

    // 150 Glue failures (two transactions of claims) and the seed Athena failure.
    const failures = (): NormalizedEvent[] => [
      seedAthenaFailure(),
      ...Array.from({ length: 150 }, (_, i) =>
        failure(i + 1, { service: 'glue', errorCode: 'EntityNotFoundException' }),
      ),
    ];
    const glueIds = Array.from({ length: 150 }, (_, i) => failure(i + 1).eventId).sort();

    test('one failed event in two files processed at the same time is alerted once', async () => {
      const { make, received, markers } = await setup();
      const orgSource = {
        bucket: 'org-trail',
        key: 'AWSLogs/o-abc/123456789012/CloudTrail/us-east-1/f.json.gz',
      };

      const results = await Promise.allSettled([
        make().alertFile([seedAthenaFailure()], SOURCE),
        make().alertFile([seedAthenaFailure()], orgSource),
      ]);

      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
      expect(await received()).toEqual([['athena', ['6e1fc69b-d076-477e-8dec-024ee51488c4']]]);
      expect(await markers()).toEqual(['6e1fc69b-d076-477e-8dec-024ee51488c4=alerted']);
    });

    test.each([
      ['before the publish', { call: 'publish', phase: 'before' }],
      ['after the sent record', { call: 'markMessageSent', phase: 'after' }],
    ] as const)(
      'a crash %s: the retry takes the expired claims over and alerts each event once',
      async (_, crash) => {
        const { make, received, markers } = await setup();
        await expect(make({ crash }).alertFile(failures(), SOURCE)).rejects.toBeInstanceOf(Crash);

        const retry = await make({ now: () => RETRY_AT }).alertFile(failures(), SOURCE);
        const rerun = await make({ now: () => RETRY_AT }).alertFile(failures(), SOURCE);

        // Its document lists the first failures in full and counts the rest; every event is marked.
        const glue = (await received()).filter(([service]) => service === 'glue');
        expect(glue).toHaveLength(1);
        expect(await markers()).toEqual(
          [...glueIds, '6e1fc69b-d076-477e-8dec-024ee51488c4'].map((id) => `${id}=alerted`).sort(),
        );
        expect(retry.eventsAlerted + retry.eventsAlreadyAlerted).toBe(151);
        expect(rerun).toMatchObject({ messagesPublished: 0, eventsAlerted: 0, eventsAlreadyAlerted: 151 });
      },
    );
  },
);
