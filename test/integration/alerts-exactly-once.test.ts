import {
  DynamoDBClient,
  type PutItemCommandInput,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import {
  AuthorizationErrorException,
  InternalErrorException,
  SNSClient,
  ThrottledException,
} from '@aws-sdk/client-sns';
import type { Message } from '@aws-sdk/client-sqs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { LOCAL_CREDENTIALS } from '../../lambdas/adapters/aws-clients';
import { AlertPublishError, AlertPublishUncertainError } from '../../lambdas/adapters/sns-publisher';
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
    // Final markers only: an event claimed for a publish that failed is not marked.
    const markers = async () =>
      (await harness.scan(table))
        .filter((i) => (i.pk as { S: string }).S.startsWith('evt#'))
        .filter((i) => (i.state as { S: string }).S !== 'claimed')
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
    const tooSoon = make({ now: () => new Date(T0.getTime() + 5_000), claimWaitSeconds: 0 }).alertFile(
      fileFailures(),
      SOURCE,
    );
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

  test('one failed event in two files processed at the same time is alerted once (issue 15 case 2, DynamoDB claims)', async () => {
    // Prepare: an organization trail's file and an account trail's file carry the same failed call.
    const { make, received, markers } = await setup();
    const orgSource = {
      bucket: 'org-trail',
      key: 'AWSLogs/o-abc/123456789012/CloudTrail/us-east-1/f.json.gz',
    };

    // Act
    const results = await Promise.allSettled([
      make().alertFile([seedAthenaFailure()], SOURCE),
      make().alertFile([seedAthenaFailure()], orgSource),
    ]);

    // Assess: neither fails, one message.
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(await received()).toEqual([['athena', ['6e1fc69b-d076-477e-8dec-024ee51488c4']]]);
    expect(await markers()).toEqual(['6e1fc69b-d076-477e-8dec-024ee51488c4=alerted']);
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

    // Act: the retry of the crashed file after its claims' lease, then the first failure after the window.
    const retry = await make({ now: () => new Date(T0.getTime() + 11.5 * 60_000) }).alertFile(repeats, {
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

  describe('a lost answer to a claim write (issue 15 case 4, SDK-level injected fault)', () => {
    /**
     * A DynamoDB client whose first write on a key starting with `prefix` (the claim) reaches dynalite, is
     * written, and then loses its answer (a connection reset): the SDK retries the same write.
     */
    function answerLosingDynamoDb(prefix: string) {
      const client = new DynamoDBClient({
        region: 'us-east-1',
        credentials: LOCAL_CREDENTIALS,
        endpoint: harness.dynaliteEndpoint,
      });
      let lost = 0;
      client.middlewareStack.add(
        (next) => async (args) => {
          const out = await next(args);
          const input = args.input as Partial<PutItemCommandInput & UpdateItemCommandInput>;
          const pk =
            input.Item?.pk?.S ?? (input.UpdateExpression !== undefined ? input.Key?.pk?.S : undefined);
          if (lost === 0 && pk?.startsWith(prefix)) {
            lost += 1;
            throw Object.assign(new Error('socket hang up (injected after the write)'), {
              code: 'ECONNRESET',
            });
          }
          return out;
        },
        { step: 'deserialize', name: 'loseClaimAnswer' },
      );
      return { client, lost: () => lost };
    }

    test.each(['evt#', 'msg#'])(
      'the retried %s claim finds its own token and publishes at once, once',
      async (prefix) => {
        // Prepare
        const { make, received, markers } = await setup();
        const dynamodb = answerLosingDynamoDb(prefix);

        // Act: a delivery that would fail at once if it took its own claim for another invocation's.
        const outcome = await make({ dynamodb: dynamodb.client, claimWaitSeconds: 0 }).alertFile(
          [seedAthenaFailure()],
          SOURCE,
        );

        // Assess
        expect(dynamodb.lost()).toBe(1);
        expect(outcome.messagesPublished).toBe(1);
        expect(await received()).toEqual([['athena', ['6e1fc69b-d076-477e-8dec-024ee51488c4']]]);
        expect(await markers()).toEqual(['6e1fc69b-d076-477e-8dec-024ee51488c4=alerted']);
        dynamodb.client.destroy();
      },
    );
  });

  describe("SNS's answer lost (issue 15 case 1, SDK-level injected fault)", () => {
    /** An SNS client whose first `lost` publishes reach moto (delivered) and then lose the answer. */
    function answerLosingSns(lost: number) {
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
          const out = await next(args);
          if (calls <= lost) {
            throw Object.assign(new Error('socket hang up (injected after SNS took it)'), {
              code: 'ECONNRESET',
            });
          }
          return out;
        },
        { step: 'deserialize', name: 'loseSnsAnswer' },
      );
      return { client, calls: () => calls };
    }

    test('three invocations whose answers are lost, then a healthy one: one copy per ambiguous publish, each recorded', async () => {
      // Prepare: the run produced 12 copies here (4 attempts per invocation, each delivered).
      const { make, received, markers, table } = await setup();
      const sns = answerLosingSns(3);

      // Act: the Lambda's first try and two retries lose the answer; a replay finds SNS healthy.
      for (let i = 0; i < 3; i++) {
        const attempt = make({ sns: sns.client }).alertFile([failure(1)], SOURCE);
        await expect(attempt).rejects.toBeInstanceOf(AlertPublishUncertainError);
        await expect(attempt).rejects.toThrow(
          /may or may not have reached arn:aws:sns:.*recorded as uncertain/,
        );
      }
      const replay = await make({ sns: sns.client }).alertFile([failure(1)], SOURCE);
      const rerun = await make({ sns: sns.client }).alertFile([failure(1)], SOURCE);

      // Assess: 3 ambiguous publishes + 1 accepted = 4 copies at most, never retried blindly.
      expect(sns.calls()).toBe(4);
      expect(replay.messagesPublished).toBe(1);
      expect(rerun.messagesPublished).toBe(0);
      expect((await received()).map(([, ids]) => ids)).toEqual([
        ['evt-000001'],
        ['evt-000001'],
        ['evt-000001'],
        ['evt-000001'],
      ]);
      expect(await markers()).toEqual(['evt-000001=alerted']);
      const records = (await harness.scan(table)).filter((i) => (i.pk as { S: string }).S.startsWith('msg#'));
      expect(
        records.map((r) => [(r.state as { S: string }).S, (r.uncertainPublishes as { N: string }).N]),
      ).toEqual([['sent', '3']]);
      sns.client.destroy();
    });
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
    const throttled = () =>
      new ThrottledException({ message: 'injected throttling', $metadata: { httpStatusCode: 400 } });

    test('throttling (SNS did not take it) is retried with growing backoff, then the alert is sent once', async () => {
      // Prepare
      const { make, received } = await setup();
      const sns = faultySns(2, throttled);
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
      const sns = faultySns(Number.MAX_SAFE_INTEGER, throttled);

      // Act
      const failing = make({ sns: sns.client, publishAttempts: 3 }).alertFile([failure(1)], SOURCE);

      // Assess
      await expect(failing).rejects.toBeInstanceOf(AlertPublishError);
      await expect(failing).rejects.toThrow(
        /^cannot publish the athena alert for s3:\/\/trail-bucket\/AWSLogs\/.*file-1\.json\.gz to arn:aws:sns:.*: ThrottledException: injected throttling$/,
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

      // Assess: it gave up within the claim (well before the 6 s lease), marked nothing, released it;
      // the request had gone out, so the outcome is recorded as uncertain rather than retried.
      await expect(failing).rejects.toBeInstanceOf(AlertPublishUncertainError);
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(await markers()).toEqual([]);
      const retry = await make().alertFile([failure(1)], SOURCE);
      expect(retry.messagesPublished).toBe(1);
      sns.destroy();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    });

    test('a server error (5xx) may have been accepted: not retried, recorded uncertain, sent once more by the retry', async () => {
      // Prepare
      const { make, received, table } = await setup();
      const sns = faultySns(1, serverError);

      // Act
      const failing = make({ sns: sns.client }).alertFile([failure(1)], SOURCE);
      await expect(failing).rejects.toBeInstanceOf(AlertPublishUncertainError);
      const retry = await make({ sns: sns.client }).alertFile([failure(1)], SOURCE);

      // Assess
      expect(sns.calls()).toBe(2);
      expect(retry.messagesPublished).toBe(1);
      expect(await received()).toEqual([['athena', ['evt-000001']]]);
      const records = (await harness.scan(table)).filter((i) => (i.pk as { S: string }).S.startsWith('msg#'));
      expect(
        records.map((r) => [(r.state as { S: string }).S, (r.uncertainPublishes as { N: string }).N]),
      ).toEqual([['sent', '1']]);
      sns.client.destroy();
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
