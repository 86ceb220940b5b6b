/**
 * The distributed backfill end to end on local servers: 1,000 generated log objects in s3rver, the
 * real CLI (`backfill --on-aws`) enqueues them on a moto SQS queue (interrupted halfway and resumed),
 * a consumer loop that behaves like Lambda's event source mapping (ReceiveMessage up to 10, the real
 * backfill-handler entry point with a real SQSEvent, delete what succeeded, leave what failed) is
 * stopped halfway and resumed, a poison object reaches the DLQ after maxReceiveCount and is replayed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import {
  CreateTableCommand,
  ScanCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import {
  destroyAwsClients,
  LOCAL_CREDENTIALS,
  type AwsQueueClients,
} from '../../lambdas/adapters/aws-clients';
import { createAwsQueueClients } from '../../lambdas/adapters/aws-queue-clients';
import type { BatchSender } from '../../lambdas/app/enqueue-runner';
import { eventTableDefinition } from '../../lambdas/adapters/table-definitions';
import { normalizeRecord } from '../../lambdas/core/normalize';
import { CONTRACT_ITEM_KEY, eventPartitionKey, shardOf } from '../../lambdas/core/table-contract';
import { createBackfillCommand } from '../../cli/commands/backfill';
import { createReplayCommand } from '../../cli/commands/replay';
import type { CliIO } from '../../cli/usage';
import { startDynalite, type DynaliteServer } from '../../local/dynalite-server';
import { startS3Server, type S3Server } from '../../local/s3-server';
import { seedRecords } from '../../local/seed-records';
import { describeWithMoto, startMoto, type MotoServer } from '../helpers/moto';

const BUCKET = 'org-trail';
const INVENTORY = 'inventory-reports';
const TABLE = 'events';
const ACCOUNTS = ['111122223333', '444455556666'];
const DAYS = ['2024-05-01', '2024-05-02', '2024-05-03', '2024-05-04', '2024-05-05'];
const FILES_PER_DAY = 100; // 2 accounts x 5 days x 100 = 1,000 objects, the last one the poison
const MAX_RECEIVES = 2;

type Handler = (
  event: SQSEvent,
  context: { getRemainingTimeInMillis(): number },
) => Promise<SQSBatchResponse>;

interface Generated {
  key: string;
  body: Buffer;
  /** `pk|sk` of its watched events. */
  items: string[];
}

const watched = seedRecords()
  .map((s) => s.record)
  .filter((r) => normalizeRecord(r).ok)
  .slice(0, 2);

function logFile(account: string, day: string, n: number): Generated {
  const stamp = `${day.replace(/-/g, '')}T${String(Math.floor(n / 5)).padStart(2, '0')}${String((n % 5) * 10).padStart(2, '0')}Z`;
  const key = `AWSLogs/${account}/CloudTrail/us-east-1/${day.slice(0, 4)}/${day.slice(5, 7)}/${day.slice(8)}/${account}_CloudTrail_us-east-1_${stamp}_f${n}.json.gz`;
  const records = watched.map((r, i) => ({
    ...r,
    recipientAccountId: account,
    eventID: `${account.slice(0, 8)}-${day.replace(/-/g, '').slice(4)}-4000-9000-${String(n * 10 + i).padStart(12, '0')}`,
    eventTime: `${day}T${String(Math.floor(n / 5)).padStart(2, '0')}:${String((n % 5) * 10).padStart(2, '0')}:0${i}Z`,
  }));
  const items: string[] = [];
  for (const record of records) {
    const r = normalizeRecord(record);
    if (!r.ok) throw new Error('seed record does not normalize');
    const e = r.event;
    items.push(
      `${eventPartitionKey(e.service, e.eventTime.slice(0, 10), shardOf(e.service, e.eventId))}|${e.eventTime}#${e.eventId}`,
    );
  }
  return { key, body: gzipSync(JSON.stringify({ Records: records })), items };
}

function captureIO(env: NodeJS.ProcessEnv, cwd: string): CliIO & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  return { stdout, stderr, env, cwd, out: () => out, err: () => err };
}

/** Lambda's SQS event for received messages (the fields the event source mapping sets). */
function sqsEvent(messages: readonly Message[], queueArn: string): SQSEvent {
  return {
    Records: messages.map((m) => ({
      messageId: m.MessageId as string,
      receiptHandle: m.ReceiptHandle as string,
      body: m.Body ?? '',
      attributes: {
        ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
        SentTimestamp: m.Attributes?.SentTimestamp ?? '0',
        SenderId: m.Attributes?.SenderId ?? 'AIDA',
        ApproximateFirstReceiveTimestamp: m.Attributes?.ApproximateFirstReceiveTimestamp ?? '0',
      },
      messageAttributes: {},
      md5OfBody: m.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: queueArn,
      awsRegion: 'us-east-1',
    })),
  };
}

describeWithMoto('backfill --on-aws end to end (moto SQS + s3rver + dynalite, the real handler)', () => {
  let moto: MotoServer;
  let s3server: S3Server;
  let dynalite: DynaliteServer;
  let clients: AwsQueueClients;
  let s3: S3Client;
  let sqs: SQSClient;
  let dynamodb: DynamoDBClient;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  let handler: Handler;
  const saved = { ...process.env };
  const files: Generated[] = [];
  for (const account of ACCOUNTS)
    for (const day of DAYS) for (let n = 0; n < FILES_PER_DAY; n += 1) files.push(logFile(account, day, n));
  const poison = files[files.length - 1] as Generated;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trailwatch-bf-aws-'));
    const [m, s, d] = await Promise.all([
      startMoto(),
      startS3Server({ buckets: [BUCKET, INVENTORY] }),
      startDynalite(),
    ]);
    moto = m as MotoServer;
    s3server = s;
    dynalite = d;
    clients = createAwsQueueClients({
      region: 'us-east-1',
      credentials: LOCAL_CREDENTIALS,
      endpoints: { s3: s3server.endpoint, dynamodb: dynalite.endpoint, sqs: moto.endpoint },
    });
    ({ s3, sqs, dynamodb } = clients);
    env = {
      AWS_ENDPOINT_URL_S3: s3server.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: dynalite.endpoint,
      AWS_ENDPOINT_URL_SQS: moto.endpoint,
      AWS_REGION: 'us-east-1',
    };
    await dynamodb.send(new CreateTableCommand(eventTableDefinition(TABLE)));
    // The poison is not gzip: every attempt at it fails until it is fixed.
    const uploads = files.map((f) => ({
      key: f.key,
      body: f === poison ? Buffer.from('not a log file') : f.body,
    }));
    for (let i = 0; i < uploads.length; i += 25)
      await Promise.all(
        uploads
          .slice(i, i + 25)
          .map((u) => s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: u.key, Body: u.body }))),
      );

    // The backfill function's entry point, loaded as Lambda does, with the environment the stack sets.
    process.env = {
      ...saved,
      ...env,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
      AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
      TABLE_NAME: TABLE,
      SOURCE_BUCKETS: BUCKET,
      LOG_PREFIX: '',
      ALERTS_ENABLED: 'false',
      BACKFILL_ALERTS: 'off',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    };
    await jest.isolateModulesAsync(async () => {
      handler = (await import('../../lambdas/ingest/backfill-handler')).handler;
    });
    // The environment stays until afterAll: the SDK resolves region and credentials at the first call.
  }, 120_000);

  afterAll(async () => {
    process.env = { ...saved };
    if (clients) destroyAwsClients(clients);
    await Promise.all([moto?.stop(), s3server?.stop(), dynalite?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function attributes(url: string): Promise<{ visible: number; inFlight: number }> {
    const out = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return {
      visible: Number(out.Attributes?.ApproximateNumberOfMessages),
      inFlight: Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible),
    };
  }

  async function storedItems(): Promise<string[]> {
    const items: string[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await dynamodb.send(new ScanCommand({ TableName: TABLE, ExclusiveStartKey: start }));
      for (const item of page.Items ?? []) {
        const pk = item.pk?.S ?? '';
        if (pk === CONTRACT_ITEM_KEY.pk) continue; // the table's contract item, not an event
        items.push(`${pk}|${item.sk?.S ?? ''}`);
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /**
   * Polls the queue like the event source mapping (batch size 1 to 10, here up to 10 a receive), hands
   * each batch to the handler, deletes the messages it did not report failed. Stops after `maxMessages`
   * deleted, or once the queue is empty (visible and in flight).
   */
  async function consume(queueUrl: string, queueArn: string, maxMessages = Infinity): Promise<number> {
    let deleted = 0;
    while (deleted < maxMessages) {
      const out = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: Math.min(10, maxMessages - deleted),
          WaitTimeSeconds: 0,
          MessageSystemAttributeNames: ['All'],
        }),
      );
      const messages = out.Messages ?? [];
      if (messages.length === 0) {
        const depth = await attributes(queueUrl);
        if (depth.visible + depth.inFlight === 0) return deleted;
        await new Promise((resolve) => setTimeout(resolve, 250));
        continue;
      }
      const response = await handler(sqsEvent(messages, queueArn), {
        getRemainingTimeInMillis: () => 600_000,
      });
      const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
      const done = messages.filter((m) => !failed.has(m.MessageId as string));
      if (done.length > 0)
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle as string })),
          }),
        );
      deleted += done.length;
    }
    return deleted;
  }

  test('1,000 objects: enqueued (interrupted, resumed), consumed (stopped, resumed), every event once; the poison replayed from the DLQ', async () => {
    // Prepare: the stack's queue pair, the DLQ after MAX_RECEIVES receives; a short visibility timeout
    // stands in for the function's timeout so the failed message comes back within the test.
    const dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'backfill-dlq' }))).QueueUrl as string;
    const dlqArn = (
      await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }))
    ).Attributes?.QueueArn as string;
    const queueUrl = (
      await sqs.send(
        new CreateQueueCommand({
          QueueName: 'backfill',
          Attributes: {
            VisibilityTimeout: '1',
            RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: MAX_RECEIVES }),
          },
        }),
      )
    ).QueueUrl as string;
    const queueArn = dlqArn.replace(/backfill-dlq$/, 'backfill');
    const checkpoint = join(dir, 'enqueue.json');
    const args = [
      '--on-aws',
      '--bucket',
      BUCKET,
      '--from',
      DAYS[0] as string,
      '--to',
      DAYS[DAYS.length - 1] as string,
    ];
    // 10 day folders of 100 objects: 5 messages of 20 keys each.
    const expectedMessages = ACCOUNTS.length * DAYS.length * Math.ceil(FILES_PER_DAY / 20);

    // Act 1: the dry run lists and estimates, sends nothing.
    const dry = captureIO(env, dir);
    expect(await createBackfillCommand().run([...args, '--dry-run'], dry)).toBe(0);
    expect(dry.out()).toContain('1000 objects to enqueue');
    expect(dry.out()).toMatch(/objects: +1,000 \([\d.]+ MB gzipped\), 50 messages of up to 20 keys/);
    expect(await attributes(queueUrl)).toEqual({ visible: 0, inFlight: 0 });

    // Act 2: the enqueue, interrupted after its third SendMessageBatch call, then resumed.
    const interrupt = new AbortController();
    let calls = 0;
    const stopAfterThree = (queue: BatchSender): BatchSender => ({
      async sendBatch(entries) {
        const rejected = await queue.sendBatch(entries);
        if (++calls === 3) interrupt.abort();
        return rejected;
      },
    });
    const first = captureIO(env, dir);
    const firstCode = await createBackfillCommand({
      signal: interrupt.signal,
      onAws: { decorateQueue: stopAfterThree },
    }).run([...args, '--queue-url', queueUrl, '--checkpoint', checkpoint, '--concurrency', '2'], first);
    expect(firstCode).toBe(1);
    expect(first.out()).toContain('result: interrupted');
    const runId = /run (bf-\S+)/.exec(first.out())?.[1];
    const sentFirst = (await attributes(queueUrl)).visible;
    expect(sentFirst).toBeGreaterThan(0);
    expect(sentFirst).toBeLessThan(expectedMessages);

    const second = captureIO(env, dir);
    const secondCode = await createBackfillCommand().run(
      [...args, '--queue-url', queueUrl, '--checkpoint', checkpoint],
      second,
    );
    expect(second.out()).toContain('result: every object in scope is enqueued');
    expect(secondCode).toBe(0);
    expect(second.out()).toContain(`run ${runId}`); // the same run across the resume
    expect(second.out()).toContain(`this backfill so far: 1000 objects, ${expectedMessages} messages`);
    // Nothing sent twice: the queue holds exactly one message per 20 keys of each day folder.
    expect(await attributes(queueUrl)).toEqual({ visible: expectedMessages, inFlight: 0 });

    // Act 3: the function consumes half, is stopped (messages wait), then resumed until the queue drains.
    const half = await consume(queueUrl, queueArn, expectedMessages / 2);
    expect(half).toBe(expectedMessages / 2);
    const waiting = await attributes(queueUrl);
    expect(waiting.visible + waiting.inFlight).toBe(expectedMessages / 2);
    const status = captureIO(env, dir);
    expect(
      await createBackfillCommand().run(
        [
          'status',
          '--queue-url',
          queueUrl,
          '--dlq-url',
          dlqUrl,
          '--checkpoint',
          checkpoint,
          '--interval',
          '0',
        ],
        status,
      ),
    ).toBe(0);
    expect(status.out()).toContain(`remaining: ${expectedMessages / 2} messages (about 500 objects)`);
    expect(status.out()).toContain(`done:      ${expectedMessages / 2} messages (about 500 objects)`);
    const partial = await storedItems();
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(files.length * watched.length);

    await consume(queueUrl, queueArn);
    expect(await attributes(queueUrl)).toEqual({ visible: 0, inFlight: 0 });

    // Assess 1: every event but the poison's stored once; the poison's message is in the DLQ.
    const expected = files.filter((f) => f !== poison).flatMap((f) => f.items);
    const stored = await storedItems();
    expect(stored.length).toBe(new Set(stored).size);
    expect(new Set(stored)).toEqual(new Set(expected));
    expect(await attributes(dlqUrl)).toEqual({ visible: 1, inFlight: 0 });

    // Act 4: the object is fixed and the DLQ replayed with the same processor.
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: poison.key, Body: poison.body }));
    const replay = captureIO(env, dir);
    const replayCode = await createReplayCommand({ waitTimeSeconds: 0 }).run(
      ['--queue', dlqUrl, '--table', TABLE, '--no-alerts'],
      replay,
    );
    expect(replay.out()).toContain('result: every message received was replayed and deleted');
    expect(replayCode).toBe(0);

    // Assess 2: every generated event exactly once, nothing left in either queue.
    const all = await storedItems();
    expect(all.length).toBe(files.length * watched.length);
    expect(new Set(all)).toEqual(new Set(files.flatMap((f) => f.items)));
    expect(await attributes(dlqUrl)).toEqual({ visible: 0, inFlight: 0 });
    expect(await attributes(queueUrl)).toEqual({ visible: 0, inFlight: 0 });
  }, 180_000);

  test('an S3 Inventory report (CSV) is the listing: filtered to the scope, estimated, enqueued', async () => {
    // Prepare: the report of the log bucket as S3 Inventory writes it: a manifest and a gzipped CSV
    // data file, every key URL-encoded, plus an object that is not a log file.
    const rows = files.map(
      (f) => `"${BUCKET}","${encodeURIComponent(f.key).replace(/%2F/g, '/')}","${f.body.length}"`,
    );
    rows.push(`"${BUCKET}","AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/05/02/d.json.gz","10"`);
    const dataKey = `reports/${BUCKET}/trailwatch/data/0001.csv.gz`;
    await s3.send(
      new PutObjectCommand({ Bucket: INVENTORY, Key: dataKey, Body: gzipSync(rows.join('\n') + '\n') }),
    );
    const manifestKey = `reports/${BUCKET}/trailwatch/2024-05-06T01-00Z/manifest.json`;
    const manifest = {
      sourceBucket: BUCKET,
      destinationBucket: `arn:aws:s3:::${INVENTORY}`,
      version: '2016-11-30',
      creationTimestamp: '1714957200000',
      fileFormat: 'CSV',
      fileSchema: 'Bucket, Key, Size',
      files: [{ key: dataKey, size: 1, MD5checksum: '0' }],
    };
    await s3.send(
      new PutObjectCommand({ Bucket: INVENTORY, Key: manifestKey, Body: JSON.stringify(manifest) }),
    );
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'backfill-inventory' })))
      .QueueUrl as string;
    const args = [
      '--on-aws',
      '--manifest',
      `s3://${INVENTORY}/${manifestKey}`,
      '--from',
      '2024-05-02',
      '--to',
      '2024-05-02',
      '--accounts',
      ACCOUNTS[0] as string,
    ];
    const inScope = files.filter(
      (f) => f.key.includes(`AWSLogs/${ACCOUNTS[0]}/`) && f.key.includes('/2024/05/02/'),
    );

    // Act 1: the dry run
    const dry = captureIO(env, dir);
    expect(await createBackfillCommand().run([...args, '--dry-run'], dry)).toBe(0);

    // Assess 1: one account's day of the 1,000 rows; the digest and the rest are out of scope.
    expect(dry.out()).toContain(
      `backfill on AWS of the inventory s3://${INVENTORY}/${manifestKey} (dry run)`,
    );
    expect(dry.out()).toContain(
      `1 inventory files (0 already enqueued per the checkpoint), ${inScope.length} objects to enqueue`,
    );
    expect(dry.out()).toContain(
      `(0 already sent, ${files.length + 1 - inScope.length} out of scope or empty)`,
    );
    expect(dry.out()).toContain('S3:              100 GETs: under $0.01'); // no LIST for an inventory

    // Act 2: the enqueue
    const run = captureIO(env, dir);
    const code = await createBackfillCommand().run(
      [...args, '--queue-url', queueUrl, '--checkpoint', join(dir, 'inventory.json')],
      run,
    );

    // Assess 2: exactly the keys in scope, 20 a message.
    expect(run.out()).toContain('result: every object in scope is enqueued');
    expect(code).toBe(0);
    expect(await attributes(queueUrl)).toEqual({ visible: inScope.length / 20, inFlight: 0 });
  });
});
