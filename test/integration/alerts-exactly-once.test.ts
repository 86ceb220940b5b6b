import { AuthorizationErrorException, InternalErrorException, SNSClient } from '@aws-sdk/client-sns';
import type { Message } from '@aws-sdk/client-sqs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { LOCAL_CREDENTIALS } from '../../lambdas/adapters/aws-clients';
import { AlertPublishError } from '../../lambdas/adapters/sns-publisher';
import { AlertInProgressError } from '../../lambdas/core/alert-delivery';
import type { AlertDocument } from '../../lambdas/core/alert-document';
import type { NormalizedEvent } from '../../lambdas/core/normalized-event';
import { failure, seedAthenaFailure } from '../helpers/alert-events';
import { startAlertHarness, type AlertHarness } from '../helpers/alert-harness';
import { Crash, type CrashPoint } from '../helpers/crash-ports';
import { describeWithMoto } from '../helpers/moto';
import { snsAlertDelivery, type SnsAlertDeliveryOptions } from '../helpers/sns-alert-delivery';

const SOURCE = {
  bucket: 'trail-bucket',
  key: 'AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/22/file-1.json.gz',
};
const T0 = new Date('2026-11-22T12:00:00Z');
/** When the Lambda's retry of a crashed invocation arrives: asynchronous retries wait a minute or more. */
const RETRY_AT = new Date('2026-11-22T12:01:30Z');

/** The crash points of the protocol, as the ports see them (the in-memory suite tries every call). */
const STEPS = {
  'after-count-suppressed': { call: 'countSuppressed', phase: 'after' },
  'before-publish': { call: 'publish', phase: 'before' },
  'after-publish': { call: 'publish', phase: 'after' },
  'after-sent-record': { call: 'markMessageSent', phase: 'after' },
  'after-mark': { call: 'recordAlerted', phase: 'after' },
} as const satisfies Record<string, CrashPoint>;
type AlertStep = keyof typeof STEPS;

describeWithMoto('alerts exactly once, proven by stopping the process at each step (moto + dynalite)', () => {
  let harness: AlertHarness;

  beforeAll(async () => {
    harness = (await startAlertHarness()) as AlertHarness;
  });
  afterAll(async () => {
    await harness?.stop();
  });

  async function setup() {
    const topicArn = await harness.newTopic();
    const queue = await harness.subscribeQueue(topicArn);
    const table = await harness.newStateTable();
    const make = (options: Partial<SnsAlertDeliveryOptions> = {}) =>
      snsAlertDelivery({
        topicArn,
        stateTableName: table,
        sns: harness.sns,
        dynamodb: harness.dynamodb,
        now: () => T0,
        sleep: async () => undefined,
        ...options,
      });
    /** The queue's alert documents (each message read once, then deleted). */
    const receivedDocuments = async () =>
      (await harness.drain(queue)).map(
        (m: Message) =>
          JSON.parse((JSON.parse(m.Body as string) as { Message: string }).Message) as AlertDocument,
      );
    /** The queue's alerts as [service, eventIds]. */
    const received = async () =>
      (await receivedDocuments()).map((d) => [d.service, d.events.map((e) => e.eventId)] as const);
    const markers = async () =>
      (await harness.scan(table))
        .filter((i) => (i.pk as { S: string }).S.startsWith('evt#'))
        .map((i) => `${(i.pk as { S: string }).S.slice(4)}=${(i.state as { S: string }).S}`)
        .sort();
    return { table, make, received, receivedDocuments, markers };
  }

  /** A file with failures of two services: Glue (processed first) and Athena (the seed failure). */
  const fileFailures = (): NormalizedEvent[] => [
    seedAthenaFailure(),
    failure(1, { service: 'glue', errorCode: 'EntityNotFoundException' }),
  ];
  const allAlerted = ['6e1fc69b-d076-477e-8dec-024ee51488c4=alerted', 'evt-000001=alerted'];

  test.each([
    // step where the process stops, then what the queue holds after the retry
    [
      'before-publish',
      [
        ['glue', ['evt-000001']],
        ['athena', ['6e1fc69b-d076-477e-8dec-024ee51488c4']],
      ],
    ],
    // The one window no design with an SNS standard topic can close: SNS has the message, nothing is
    // recorded yet. The retry publishes the Glue alert again: a duplicate, never a loss.
    [
      'after-publish',
      [
        ['glue', ['evt-000001']],
        ['glue', ['evt-000001']],
        ['athena', ['6e1fc69b-d076-477e-8dec-024ee51488c4']],
      ],
    ],
    [
      'after-sent-record',
      [
        ['glue', ['evt-000001']],
        ['athena', ['6e1fc69b-d076-477e-8dec-024ee51488c4']],
      ],
    ],
    [
      'after-mark',
      [
        ['glue', ['evt-000001']],
        ['athena', ['6e1fc69b-d076-477e-8dec-024ee51488c4']],
      ],
    ],
  ] as Array<[AlertStep, Array<[string, string[]]>]>)(
    'stopped at %s, the retry delivers %j',
    async (step, expected) => {
      // Prepare: the first invocation dies at `step` of the first service it publishes (Glue).
      const { make, received, markers } = await setup();
      const crashing = make({ crash: STEPS[step] });
      await expect(crashing.alertFile(fileFailures(), SOURCE)).rejects.toBeInstanceOf(Crash);

      // Act: the Lambda retries the file with a new process, then a duplicate notification re-runs it.
      const retry = await make({ now: () => RETRY_AT }).alertFile(fileFailures(), SOURCE);
      const rerun = await make({ now: () => RETRY_AT }).alertFile(fileFailures(), SOURCE);

      // Assess
      expect(await received()).toEqual(expected);
      expect(await markers()).toEqual(allAlerted);
      expect(rerun).toMatchObject({ messagesPublished: 0, eventsAlerted: 0, eventsAlreadyAlerted: 2 });
      expect(retry.eventsAlerted + retry.eventsAlreadyAlerted).toBe(2);
    },
  );

  test('a retry that comes while the crashed claim is still leased waits (throws), then publishes', async () => {
    // Prepare
    const { make, received } = await setup();
    const crashing = make({ crash: STEPS['before-publish'] });
    await expect(crashing.alertFile(fileFailures(), SOURCE)).rejects.toBeInstanceOf(Crash);

    // Act
    const tooSoon = make({ now: () => new Date(T0.getTime() + 5_000) }).alertFile(fileFailures(), SOURCE);
    await expect(tooSoon).rejects.toBeInstanceOf(AlertInProgressError);
    const later = await make({ now: () => RETRY_AT }).alertFile(fileFailures(), SOURCE);

    // Assess
    expect(later.messagesPublished).toBe(2);
    expect((await received()).map(([service]) => service)).toEqual(['glue', 'athena']);
  });

  test('two invocations of the same file at the same time publish each alert once', async () => {
    // Prepare
    const { make, received, markers } = await setup();

    // Act: a duplicate S3 notification handled concurrently by a second Lambda instance.
    const results = await Promise.allSettled([
      make().alertFile(fileFailures(), SOURCE),
      make().alertFile(fileFailures(), SOURCE),
    ]);

    // Assess: one did the work; the other found it done or in progress (and would be retried).
    const fulfilled = results.filter((r) => r.status === 'fulfilled');
    expect(fulfilled.length).toBeGreaterThanOrEqual(1);
    for (const r of results) {
      if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(AlertInProgressError);
    }
    expect((await received()).map(([service]) => service).sort()).toEqual(['athena', 'glue']);
    expect(await markers()).toEqual(allAlerted);
  });

  test('suppressed counts survive a crash between counting and marking without being counted twice', async () => {
    // Prepare: one alert opens the window; then a file with 3 repeats crashes after counting them.
    const { make, receivedDocuments } = await setup();
    await make().alertFile([failure(1)], { bucket: 'b', key: 'first' });
    const crashing = make({
      now: () => new Date(T0.getTime() + 10 * 60_000),
      crash: STEPS['after-count-suppressed'],
    });
    const repeats = [failure(2), failure(3), failure(4)];
    await expect(crashing.alertFile(repeats, { bucket: 'b', key: 'second' })).rejects.toBeInstanceOf(Crash);

    // Act: the retry of the crashed file, then the first failure after the window.
    const retry = await make({ now: () => new Date(T0.getTime() + 11 * 60_000) }).alertFile(repeats, {
      bucket: 'b',
      key: 'second',
    });
    await make({ now: () => new Date(T0.getTime() + 61 * 60_000) }).alertFile([failure(5)], {
      bucket: 'b',
      key: 'third',
    });

    // Assess: 3 suppressed, reported once, by the next alert of the signature.
    expect(retry).toMatchObject({ messagesPublished: 0, eventsSuppressed: 3 });
    const documents = await receivedDocuments();
    expect(documents.map((d) => d.events.map((e) => e.eventId))).toEqual([['evt-000001'], ['evt-000005']]);
    expect(documents[1]?.suppressed).toMatchObject({ earlierTotal: 3, earlier: [{ count: 3 }] });
  });

  describe('publish failures (SDK-level injected faults)', () => {
    /** An SNS client whose first `failures` sends fail with `fault`, as if the server had answered so. */
    function faultySns(failures: number, fault: () => Error) {
      const client = new SNSClient({
        region: 'us-east-1',
        credentials: LOCAL_CREDENTIALS,
        endpoint: harness.motoEndpoint,
        maxAttempts: 1,
      });
      let calls = 0;
      client.middlewareStack.add(
        (next) => async (args) => {
          calls += 1;
          if (calls <= failures) throw fault();
          return next(args);
        },
        { step: 'deserialize', name: 'injectPublishFault' },
      );
      return { client, calls: () => calls };
    }
    const serverError = () =>
      new InternalErrorException({ message: 'injected 500', $metadata: { httpStatusCode: 500 } });

    test('transient 5xx are retried with growing backoff, then the alert is sent once', async () => {
      // Prepare
      const { make, received } = await setup();
      const sns = faultySns(2, serverError);
      const pauses: number[] = [];

      // Act
      const outcome = await make({
        sns: sns.client,
        random: () => 0.5,
        sleep: async (ms) => {
          pauses.push(ms);
        },
      }).alertFile([failure(1)], SOURCE);

      // Assess
      expect(outcome.messagesPublished).toBe(1);
      expect(sns.calls()).toBe(3);
      expect(pauses).toEqual([150, 300]); // 200 and 400 ms ceilings, half fixed + half jitter
      expect(await received()).toEqual([['athena', ['evt-000001']]]);
      sns.client.destroy();
    });

    test('a publish that keeps failing throws, marks nothing, and the next attempt sends it', async () => {
      // Prepare
      const { make, received, markers } = await setup();
      const sns = faultySns(Number.MAX_SAFE_INTEGER, serverError);

      // Act
      const failing = make({ sns: sns.client, publishAttempts: 3 }).alertFile([failure(1)], SOURCE);

      // Assess
      await expect(failing).rejects.toBeInstanceOf(AlertPublishError);
      await expect(failing).rejects.toThrow(
        /^cannot publish the athena alert for s3:\/\/trail-bucket\/AWSLogs\/.*file-1\.json\.gz to arn:aws:sns:.*: InternalErrorException: injected 500$/,
      );
      expect(sns.calls()).toBe(3);
      expect(await markers()).toEqual([]);
      expect(await received()).toEqual([]);

      // The Lambda's retry (SNS healthy again) publishes at once: the failed attempt released its claim.
      const retry = await make().alertFile([failure(1)], SOURCE);
      expect(retry.messagesPublished).toBe(1);
      expect(await received()).toEqual([['athena', ['evt-000001']]]);
      sns.client.destroy();
    });

    test('SNS unreachable (connection refused) is retried, then the file fails with nothing marked', async () => {
      // Prepare: a port nobody listens on (moto's, once stopped, is not ours to stop; take a fresh one).
      const { make, markers } = await setup();
      const port = await new Promise<number>((resolve) => {
        const server = createServer().listen(0, '127.0.0.1', () => {
          const address = server.address() as AddressInfo;
          server.close(() => resolve(address.port));
        });
      });
      const sns = new SNSClient({
        region: 'us-east-1',
        credentials: LOCAL_CREDENTIALS,
        endpoint: `http://127.0.0.1:${port}`,
        maxAttempts: 1,
      });
      const pauses: number[] = [];

      // Act
      const failing = make({
        sns,
        publishAttempts: 3,
        sleep: async (ms) => {
          pauses.push(ms);
        },
      }).alertFile([failure(1)], SOURCE);

      // Assess
      await expect(failing).rejects.toThrow(
        /^cannot publish the athena alert for s3:\/\/trail-bucket\/.*ECONNREFUSED/,
      );
      expect(pauses).toHaveLength(2);
      expect(await markers()).toEqual([]);
      sns.destroy();
    });

    test('a publish that hangs is abandoned before the claim runs out, so no duplicate can overlap it', async () => {
      // Prepare: an SNS endpoint that accepts connections and never answers; a 6 s claim (publishing
      // must stop 5 s before it ends, so after about 1 s).
      const { make, markers } = await setup();
      const sockets: Socket[] = [];
      const silent = createServer((socket) => sockets.push(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const sns = new SNSClient({
        region: 'us-east-1',
        credentials: LOCAL_CREDENTIALS,
        endpoint: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
        maxAttempts: 1,
      });
      const started = performance.now();

      // Act
      const failing = make({ sns, leaseSeconds: 6 }).alertFile([failure(1)], SOURCE);

      // Assess: it gave up within the claim (well before the 6 s lease), marked nothing, released it.
      await expect(failing).rejects.toBeInstanceOf(AlertPublishError);
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(await markers()).toEqual([]);
      const retry = await make().alertFile([failure(1)], SOURCE);
      expect(retry.messagesPublished).toBe(1);
      sns.destroy();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    });

    test('a rejected request (4xx) is not retried', async () => {
      // Prepare
      const { make, markers } = await setup();
      const sns = faultySns(
        Number.MAX_SAFE_INTEGER,
        () => new AuthorizationErrorException({ message: 'not allowed', $metadata: { httpStatusCode: 403 } }),
      );

      // Act
      const failing = make({ sns: sns.client }).alertFile([failure(1)], SOURCE);

      // Assess
      await expect(failing).rejects.toThrow(/AuthorizationErrorException: not allowed$/);
      expect(sns.calls()).toBe(1);
      expect(await markers()).toEqual([]);
      sns.client.destroy();
    });
  });
});
