/**
 * `trailwatch replay` against real local servers: failed S3 events in a moto SQS queue (in each shape
 * a dead-letter queue can hold), log objects in s3rver, the event and alert state tables in dynalite,
 * alerts to a moto SNS topic.
 */
import { CONTRACT_ITEM_KEY, eventPartitionKey, shardOf } from '../../lambdas/core/table-contract';
import {
  CreateTableCommand,
  DynamoDBClient,
  ScanCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { alertStateTableDefinition } from '../../lambdas/adapters/alert-state-table';
import { LOCAL_CREDENTIALS } from '../../lambdas/adapters/aws-clients';
import { createAwsQueueClients } from '../../lambdas/adapters/aws-queue-clients';
import { parseDlqMessageBody } from '../../lambdas/adapters/dlq-source';
import { eventTableDefinition } from '../../lambdas/adapters/table-definitions';
import { normalizeRecord } from '../../lambdas/core/normalize';
import { encodeS3EventKey } from '../../lambdas/core/s3-event';
import { createReplayCommand } from '../../cli/commands/replay';
import type { CliIO } from '../../cli/usage';
import { startDynalite, type DynaliteServer } from '../../local/dynalite-server';
import { startS3Server, type S3Server } from '../../local/s3-server';
import { seedRecords } from '../../local/seed-records';
import { describeWithMoto, startMoto, type MotoServer } from '../helpers/moto';

const BUCKET = 'trail-logs';
const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:trailwatch-ingest';

interface LogObject {
  key: string;
  body: Buffer;
  size: number;
  /** `pk|sk` of its watched events. */
  items: string[];
}

/** A small log file for `day` holding every seed record (ids made unique per file). */
function logObject(key: string, n: number): LogObject {
  const records = seedRecords().map((s, i) => ({
    ...s.record,
    eventID: `00000000-0000-4000-9000-${String(n * 100 + i).padStart(12, '0')}`,
    eventTime: `2024-05-0${n}T10:00:0${i}Z`,
  }));
  const items: string[] = [];
  for (const record of records) {
    const r = normalizeRecord(record);
    if (r.ok)
      items.push(
        `${eventPartitionKey(r.event.service, r.event.eventTime.slice(0, 10), shardOf(r.event.service, r.event.eventId))}|${r.event.eventTime}#${r.event.eventId}`,
      );
  }
  const body = gzipSync(JSON.stringify({ Records: records }));
  return { key, body, size: body.length, items };
}

function logKey(prefix: string, n: number): string {
  return `${prefix}AWSLogs/123456789012/CloudTrail/us-east-1/2024/05/0${n}/123456789012_CloudTrail_us-east-1_2024050${n}T1000Z_f${n}.json.gz`;
}

/** The S3 notification S3 sends (keys URL-encoded). */
function s3Event(objects: { key: string; size: number }[]) {
  return {
    Records: objects.map((o) => ({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'us-east-1',
      eventTime: '2024-05-01T10:05:00.000Z',
      eventName: 'ObjectCreated:Put',
      s3: {
        s3SchemaVersion: '1.0',
        bucket: { name: BUCKET, arn: `arn:aws:s3:::${BUCKET}` },
        object: { key: encodeS3EventKey(o.key), size: o.size, sequencer: '0A1B2C3D4E5F678901' },
      },
    })),
  };
}

/** The invocation record a Lambda on-failure destination writes. */
function destinationRecord(event: unknown) {
  return {
    version: '1.0',
    timestamp: '2024-05-01T10:11:00.000Z',
    requestContext: {
      requestId: 'c2a6f5a5-1d6b-4f0e-9d8a-7f3a2b1c0d9e',
      functionArn: `${FUNCTION_ARN}:$LATEST`,
      condition: 'RetriesExhausted',
      approximateInvokeCount: 3,
    },
    requestPayload: event,
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    responsePayload: {
      errorType: 'ObjectProcessingError',
      errorMessage: 'cannot store its events: throttled',
    },
  };
}

/** The EventBridge "Object Created" event (key not encoded). */
function eventBridgeEvent(o: { key: string; size: number }) {
  return {
    version: '0',
    id: '17793124-05d4-b198-2fde-7ededc63b103',
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: '123456789012',
    time: '2024-05-01T10:05:00Z',
    region: 'us-east-1',
    resources: [`arn:aws:s3:::${BUCKET}`],
    detail: {
      version: '0',
      bucket: { name: BUCKET },
      object: { key: o.key, size: o.size },
      reason: 'PutObject',
    },
  };
}

function captureIO(env: NodeJS.ProcessEnv): CliIO & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  return { stdout, stderr, env, cwd: process.cwd(), out: () => out, err: () => err };
}

describe('dead-letter message formats', () => {
  const object = { key: 'a b+c/AWSLogs/123456789012/CloudTrail/us-east-1/2024/05/01/f.json.gz', size: 10 };

  test.each([
    ['a Lambda destination record', destinationRecord(s3Event([object])), 'lambda-destination'],
    ['a bare S3 notification', s3Event([object]), 'event'],
    ['an EventBridge Object Created event', eventBridgeEvent(object), 'event'],
    [
      'an S3 event in an SNS envelope',
      { Type: 'Notification', Message: JSON.stringify(s3Event([object])) },
      'sns-envelope',
    ],
  ])('%s names the object with its key decoded', (_what, body, format) => {
    const content = parseDlqMessageBody(JSON.stringify(body));
    expect(content).toMatchObject({
      ok: true,
      format,
      objects: [{ bucket: BUCKET, key: object.key, created: true }],
    });
  });

  test('a backfill batch message (the backfill DLQ) names each of its keys', () => {
    const batch = {
      kind: 'trailwatch.backfill-batch',
      version: 1,
      runId: 'bf-20240501000000-abcdef12',
      bucket: BUCKET,
      keys: [object.key, `${object.key}.2`],
    };
    expect(parseDlqMessageBody(JSON.stringify(batch))).toMatchObject({
      ok: true,
      format: 'backfill-batch',
      objects: [
        { bucket: BUCKET, key: object.key, created: true },
        { bucket: BUCKET, key: `${object.key}.2`, created: true },
      ],
    });
    const broken = parseDlqMessageBody(JSON.stringify({ ...batch, keys: [] }));
    expect(broken).toEqual({ ok: false, message: 'backfill batch: keys: expected at least one key' });
  });

  test('the destination record keeps why the invocation failed', () => {
    const content = parseDlqMessageBody(JSON.stringify(destinationRecord(s3Event([object]))));
    expect(content).toMatchObject({ failure: 'RetriesExhausted: cannot store its events: throttled' });
  });

  test.each([
    ['an empty body', '', 'empty message body'],
    ['broken JSON', '{"Records": [', 'message body is not JSON'],
    ['another JSON document', '{"hello": 1}', 'not an S3 notification'],
    [
      'a destination record of a broken event',
      JSON.stringify(destinationRecord({ Records: [{ eventSource: 'aws:s3' }] })),
      'requestPayload: Records.0',
    ],
  ])('%s cannot be read', (_what, body, message) => {
    const content = parseDlqMessageBody(body);
    expect(content.ok).toBe(false);
    expect(content.ok ? '' : content.message).toContain(message);
  });
});

describeWithMoto('trailwatch replay (moto SQS/SNS + s3rver + dynalite)', () => {
  let moto: MotoServer;
  let s3server: S3Server;
  let dynalite: DynaliteServer;
  let s3: S3Client;
  let sqs: SQSClient;
  let sns: SNSClient;
  let dynamodb: DynamoDBClient;
  let env: NodeJS.ProcessEnv;
  let topicArn: string;
  let queues = 0;
  const objects = [
    logObject(logKey('', 1), 1),
    logObject(logKey('my trail+logs/', 2), 2),
    logObject(logKey('', 3), 3),
  ];
  const [A, B, C] = objects as [LogObject, LogObject, LogObject];
  const missing = logObject(logKey('', 4), 4);

  beforeAll(async () => {
    const [m, s, d] = await Promise.all([startMoto(), startS3Server({ buckets: [BUCKET] }), startDynalite()]);
    moto = m as MotoServer;
    s3server = s;
    dynalite = d;
    const clients = createAwsQueueClients({
      region: 'us-east-1',
      credentials: LOCAL_CREDENTIALS,
      endpoints: {
        s3: s3server.endpoint,
        dynamodb: dynalite.endpoint,
        sns: moto.endpoint,
        sqs: moto.endpoint,
      },
    });
    ({ s3, sqs, sns, dynamodb } = clients);
    env = {
      AWS_ENDPOINT_URL_S3: s3server.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: dynalite.endpoint,
      AWS_ENDPOINT_URL_SNS: moto.endpoint,
      AWS_ENDPOINT_URL_SQS: moto.endpoint,
      AWS_REGION: 'us-east-1',
    };
    for (const o of objects)
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: o.key, Body: o.body }));
    topicArn = (await sns.send(new CreateTopicCommand({ Name: 'trailwatch-alerts' }))).TopicArn as string;
    await dynamodb.send(new CreateTableCommand(alertStateTableDefinition('alert-state')));
  }, 60_000);

  afterAll(async () => {
    for (const c of [s3, sqs, sns, dynamodb]) c?.destroy();
    await Promise.all([moto?.stop(), s3server?.stop(), dynalite?.stop()]);
  });

  async function newQueue(bodies: string[]): Promise<string> {
    const url = (await sqs.send(new CreateQueueCommand({ QueueName: `dlq-${++queues}` }))).QueueUrl as string;
    for (const body of bodies) await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
    return url;
  }

  async function depth(url: string): Promise<{ visible: number; inFlight: number }> {
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

  async function newTable(): Promise<string> {
    const name = `events-${queues}-${Date.now()}`;
    await dynamodb.send(new CreateTableCommand(eventTableDefinition(name)));
    return name;
  }

  async function keys(table: string): Promise<Set<string>> {
    const found = new Set<string>();
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await dynamodb.send(
        new ScanCommand({ TableName: table, ...(start ? { ExclusiveStartKey: start } : {}) }),
      );
      for (const item of (page.Items ?? []).filter((i) => i.pk?.S !== CONTRACT_ITEM_KEY.pk))
        found.add(`${item.pk?.S}|${item.sk?.S}`);
      start = page.LastEvaluatedKey;
    } while (start);
    return found;
  }

  const replayArgs = (queue: string, table: string) => [
    '--queue',
    queue,
    '--table',
    table,
    '--topic-arn',
    topicArn,
    '--alert-state-table',
    'alert-state',
  ];

  test('replays every kind of dead-letter message, reads each object once, and empties the queue', async () => {
    // Prepare: A and B failed together (one invocation), C alone, A again through EventBridge, C again through SNS.
    const queue = await newQueue([
      JSON.stringify(destinationRecord(s3Event([A, B]))),
      JSON.stringify(s3Event([C])),
      JSON.stringify(eventBridgeEvent(A)),
      JSON.stringify({ Type: 'Notification', Message: JSON.stringify(s3Event([C])) }),
    ]);
    const table = await newTable();
    const io = captureIO(env);

    // Act
    const code = await createReplayCommand().run(replayArgs(queue, table), io);

    // Assess
    expect(code).toBe(0);
    expect(io.out()).toContain('messages:      4 received, 4 deleted, 0 left in the queue');
    expect(io.out()).toContain('objects:       3 processed, 0 skipped, 0 failed');
    expect(io.out()).toMatch(/alerts: +[1-9]\d* sent/);
    expect(io.out()).toContain('result: every message received was replayed and deleted');
    expect(await depth(queue)).toEqual({ visible: 0, inFlight: 0 });
    expect(await keys(table)).toEqual(new Set([...A.items, ...B.items, ...C.items]));
  });

  test('a message naming a missing object stays in the queue and is reported; an unreadable one too', async () => {
    // Prepare
    const queue = await newQueue([
      JSON.stringify(destinationRecord(s3Event([missing]))),
      'this is not JSON',
      JSON.stringify(s3Event([C])),
    ]);
    const table = await newTable();

    // Act 1: dry run.
    const dry = captureIO(env);
    const dryCode = await createReplayCommand().run(['--queue', queue, '--dry-run'], dry);

    // Assess 1: listed, nothing processed or deleted, every message visible again.
    expect(dryCode).toBe(1);
    expect(dry.out()).toContain(
      `(failed: RetriesExhausted: cannot store its events: throttled): would process s3://${BUCKET}/${missing.key}`,
    );
    expect(dry.out()).toContain(`would process s3://${BUCKET}/${C.key}`);
    expect(dry.out()).toContain('cannot be read (message body is not JSON); left in the queue');
    expect(dry.out()).toContain('messages:      3 received, 0 deleted, 3 left in the queue (1 unreadable)');
    expect(await depth(queue)).toEqual({ visible: 3, inFlight: 0 });
    expect((await keys(table)).size).toBe(0);

    // Act 2: replay.
    const io = captureIO(env);
    const code = await createReplayCommand().run(['--queue', queue, '--table', table, '--no-alerts'], io);

    // Assess 2
    expect(code).toBe(1);
    expect(io.out()).toContain('messages:      3 received, 1 deleted, 2 left in the queue (1 unreadable)');
    expect(io.out()).toContain(
      `s3://${BUCKET}/${missing.key}: cannot read the log file: the object does not exist (NoSuchKey)`,
    );
    expect(io.out()).toContain('cannot be read: message body is not JSON');
    expect(io.out()).toContain('alerts:        off (--no-alerts)');
    expect(await keys(table)).toEqual(new Set(C.items));
    const left = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queue, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    expect((left.Messages ?? []).map((m) => m.Body).sort()).toEqual(
      [JSON.stringify(destinationRecord(s3Event([missing]))), 'this is not JSON'].sort(),
    );
  });

  test('--max-messages stops early and leaves the rest untouched', async () => {
    // Prepare
    const queue = await newQueue([
      JSON.stringify(s3Event([A])),
      JSON.stringify(s3Event([B])),
      JSON.stringify(s3Event([C])),
    ]);
    const table = await newTable();
    const io = captureIO(env);

    // Act
    const code = await createReplayCommand().run([...replayArgs(queue, table), '--max-messages', '2'], io);

    // Assess
    expect(code).toBe(0);
    expect(io.out()).toContain('messages:      2 received, 2 deleted, 0 left in the queue');
    expect(await depth(queue)).toEqual({ visible: 1, inFlight: 0 });
  });

  test.each([
    [[], '--queue is required'],
    [['--queue', 'dlq'], '--queue: expected a queue URL'],
    [['--queue', 'http://127.0.0.1:1/123/q'], '--table is required'],
    [
      ['--queue', 'http://127.0.0.1:1/123/q', '--table', 't'],
      'alerts need --topic-arn and --alert-state-table',
    ],
    [
      ['--queue', 'http://127.0.0.1:1/123/q', '--table', 't', '--no-alerts', '--max-messages', 'x'],
      '--max-messages: expected a whole number',
    ],
  ])('usage error %j: exit 2 with one line', async (argv, message) => {
    const { main } = await import('../../cli/main');
    const io = captureIO(env);
    const code = await main(['replay', ...argv], io);
    expect(code).toBe(2);
    expect(io.err()).toContain(message);
    expect(io.err().trim().split('\n')).toHaveLength(1);
  });

  test('a queue that does not exist is one line and exit 1', async () => {
    const { main } = await import('../../cli/main');
    const io = captureIO(env);
    const code = await main(
      ['replay', '--queue', `${moto.endpoint}/123456789012/no-such-queue`, '--dry-run'],
      io,
    );
    expect(code).toBe(1);
    expect(io.err().trim()).toBe(
      `trailwatch replay: ${moto.endpoint}/123456789012/no-such-queue: no such queue (check --queue, --region and the endpoint)`,
    );
  });
});

describe('replay: setup mistakes against real AWS are one line, exit 1', () => {
  // The SDK reads its region and credentials from the process environment and ~/.aws: point both
  // at nothing, and keep it off the instance metadata service, so each case is the same everywhere.
  const saved = { ...process.env };
  beforeAll(() => {
    for (const name of Object.keys(process.env)) {
      if (/^AWS_/.test(name) && name !== 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED')
        delete process.env[name];
    }
    process.env.AWS_CONFIG_FILE = '/nonexistent/trailwatch-test-config';
    process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/trailwatch-test-credentials';
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
  });
  afterAll(() => {
    process.env = saved;
  });

  async function replay(argv: string[], env: NodeJS.ProcessEnv = {}) {
    const { main } = await import('../../cli/main');
    const io = captureIO(env);
    const code = await main(['replay', ...argv], io);
    return { code, err: io.err() };
  }

  test('no region anywhere: the region comes from an AWS queue URL; then missing credentials are named', async () => {
    const run = await replay([
      '--queue',
      'https://sqs.eu-west-1.amazonaws.com/111111111111/dlq',
      '--dry-run',
    ]);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/^trailwatch replay: no AWS credentials: set AWS_PROFILE [^\n]*\n$/);
  });

  test('no region and a queue URL without one: says to pass --region', async () => {
    const run = await replay(['--queue', 'https://queue.example.com/111111111111/dlq', '--dry-run']);
    expect(run.code).toBe(1);
    expect(run.err).toBe('trailwatch replay: no AWS region: pass --region or set AWS_REGION\n');
  });

  test('a local queue URL nobody listens on: one line naming it, and no SDK warning about the QueueUrl', async () => {
    // Prepare: a port that was free a moment ago. Run through the real bin: in Jest the socket error
    // comes from another realm and the SDK wraps it, which never happens in the command itself.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    // Act
    const run = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [
          join(__dirname, '../../cli/bin.js'),
          'replay',
          '--queue',
          `http://127.0.0.1:${port}/000000000000/dlq`,
          '--dry-run',
        ],
        { env: { ...process.env, AWS_REGION: 'us-east-1' } },
        (error, _stdout, stderr) => resolve({ code: error ? (error.code as number) : 0, stderr }),
      );
    });
    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `trailwatch replay: cannot reach http://127.0.0.1:${port}: ECONNREFUSED (is the server running, and the endpoint right?)\n`,
    );
  }, 30_000);
});
