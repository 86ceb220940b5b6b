// Issue 15, case 7: a paused or hung AWS endpoint must fail the request, never hang it. The faults
// come from real local servers that accept connections and then say nothing (or stop mid-body).
import * as http from 'node:http';
import * as net from 'node:net';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { PublishCommand } from '@aws-sdk/client-sns';
import { GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { LOCAL_CREDENTIALS } from '../../lambdas/adapters/aws-clients';
import { createAwsQueueClients } from '../../lambdas/adapters/aws-queue-clients';
import { DynamoDbEventStore } from '../../lambdas/adapters/event-store';
import { S3LogSource } from '../../lambdas/adapters/s3-log-source';
import { s3LogObjectSource } from '../../lambdas/app/compose';
import { RequestDeadline } from '../../lambdas/adapters/timed-http-handler';
import { seedRecord } from '../../local/seed-records';
import { normalizeRecord } from '../../lambdas/core/normalize';

const FAST = { connectMs: 1_000, requestMs: 300, idleMs: 300 };

/** A TCP server that accepts every connection and never answers (a paused process). */
class SilentServer {
  connections = 0;
  private readonly sockets = new Set<net.Socket>();
  private readonly server = net.createServer((socket) => {
    this.connections += 1;
    this.sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => this.sockets.delete(socket));
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

let silent: SilentServer;
let endpoint: string;

beforeEach(async () => {
  silent = new SilentServer();
  endpoint = await silent.start();
});

afterEach(async () => {
  await silent.stop();
});

const made: Array<ReturnType<typeof createAwsQueueClients>> = [];
afterEach(() => {
  for (const c of made.splice(0)) for (const client of [c.s3, c.dynamodb, c.sns, c.sqs]) client.destroy();
});

function clientsFor(url: string, extra: Parameters<typeof createAwsQueueClients>[0] = {}) {
  const clients = createAwsQueueClients({
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
    endpoints: { s3: url, dynamodb: url, sns: url, sqs: url },
    maxAttempts: 1,
    timeouts: FAST,
    ...extra,
  });
  made.push(clients);
  return clients;
}

/** How long the promise took to settle, and with what error (undefined when it resolved). */
async function timed(run: () => Promise<unknown>): Promise<{ ms: number; error: unknown }> {
  const started = Date.now();
  try {
    await run();
    return { ms: Date.now() - started, error: undefined };
  } catch (error) {
    return { ms: Date.now() - started, error };
  }
}

describe('AWS clients against an endpoint that never answers', () => {
  it.each([
    ['S3', (c: ReturnType<typeof clientsFor>) => c.s3.send(new ListObjectsV2Command({ Bucket: 'b' }))],
    [
      'DynamoDB',
      (c: ReturnType<typeof clientsFor>) => c.dynamodb.send(new DescribeTableCommand({ TableName: 't' })),
    ],
    [
      'SNS',
      (c: ReturnType<typeof clientsFor>) =>
        c.sns.send(new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:000000000000:t', Message: 'm' })),
    ],
    ['SQS', (c: ReturnType<typeof clientsFor>) => c.sqs.send(new GetQueueUrlCommand({ QueueName: 'q' }))],
  ])(
    '%s throws a TimeoutError after its request timeout',
    async (_name, call) => {
      // Act
      const { ms, error } = await timed(() => call(clientsFor(endpoint)));

      // Assess: it reached the server, then gave up by itself.
      expect(silent.connections).toBeGreaterThan(0);
      expect((error as Error | undefined)?.name).toBe('TimeoutError');
      expect(ms).toBeLessThan(3_000);
    },
    10_000,
  );

  it('fails a file of the event store instead of waiting for the table', async () => {
    // Prepare: the real store with the SDK's own retries (3 attempts).
    const clients = clientsFor(endpoint, { maxAttempts: 3 });
    const store = new DynamoDbEventStore({ tableName: 'events', client: clients.dynamodb });
    const result = normalizeRecord(seedRecord('glue-delete-crawler').record);
    if (!result.ok) throw new Error(result.message);

    // Act
    const { ms, error } = await timed(() => store.putEvents([result.event], { bucket: 'b', key: 'k' }));

    // Assess
    expect(error).toBeInstanceOf(Error);
    expect(String((error as Error).message)).toMatch(/TimeoutError|timed? ?out|exceeded/i);
    expect(ms).toBeLessThan(6_000);
  }, 15_000);

  it("cuts a request's timeout to the invocation's remaining time, and sends nothing once it is up", async () => {
    // Prepare: a generous request timeout, but an invocation with 400 ms left.
    const deadline = new RequestDeadline();
    const clients = clientsFor(endpoint, {
      timeouts: { connectMs: 5_000, requestMs: 20_000, idleMs: 20_000 },
      deadline,
      maxAttempts: 3,
    });
    deadline.set(Date.now() + 400);

    // Act: one call while time remains (its retries come after the deadline), one after.
    const first = await timed(() => clients.dynamodb.send(new DescribeTableCommand({ TableName: 't' })));
    const connectionsBefore = silent.connections;
    const second = await timed(() => clients.dynamodb.send(new DescribeTableCommand({ TableName: 't' })));

    // Assess
    expect((first.error as Error | undefined)?.name).toBe('TimeoutError');
    expect(first.ms).toBeLessThan(2_000);
    expect((second.error as Error | undefined)?.name).toBe('TimeoutError');
    expect(second.ms).toBeLessThan(1_000);
    expect(silent.connections).toBe(connectionsBefore);
  }, 15_000);

  it('lifts the bound when the deadline is cleared', async () => {
    // Prepare: a deadline that has passed, then cleared: the request goes out again.
    const deadline = new RequestDeadline();
    const clients = clientsFor(endpoint, { deadline });
    deadline.set(Date.now() - 1);
    deadline.clear();

    // Act
    const { error } = await timed(() => clients.dynamodb.send(new DescribeTableCommand({ TableName: 't' })));

    // Assess: it was sent (and timed out by the request timeout).
    expect((error as Error | undefined)?.name).toBe('TimeoutError');
    expect(silent.connections).toBe(1);
  }, 10_000);
});

describe('an S3 object body that stops mid-stream', () => {
  it('errors the stream after the idle timeout instead of hanging the file', async () => {
    // Prepare: a server that sends the headers and the first bytes of a 1 MB body, then nothing.
    const sockets = new Set<net.Socket>();
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-length': String(1 << 20), 'content-type': 'application/octet-stream' });
      res.write(Buffer.alloc(1024, 1));
    });
    server.on('connection', (s) => sockets.add(s));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    const source = new S3LogSource(clientsFor(url).s3);

    try {
      // Act
      const { ms, error } = await timed(async () => {
        for await (const chunk of (await source.openPart({ bucket: 'b', key: 'k' }, { offset: 0 })).body)
          void chunk;
      });

      // Assess
      expect((error as Error | undefined)?.name).toBe('TimeoutError');
      expect(ms).toBeLessThan(3_000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }, 10_000);

  it('fails the read after three reopens in a row that read nothing, in bounded time', async () => {
    // Prepare: a server that answers the whole object with its first 1 KB and then nothing, and every
    // ranged GET (the reopens) with its headers and then nothing.
    const size = 1 << 20;
    const sockets = new Set<net.Socket>();
    const ranges: Array<string | undefined> = [];
    const server = http.createServer((req, res) => {
      const range = req.headers.range;
      ranges.push(range);
      const from = Number(/^bytes=(\d+)-$/.exec(range ?? '')?.[1] ?? 0);
      res.writeHead(from > 0 ? 206 : 200, {
        'content-length': String(size - from),
        'content-type': 'application/octet-stream',
        etag: '"abc"',
        ...(from > 0 ? { 'content-range': `bytes ${from}-${size - 1}/${size}` } : {}),
      });
      if (from === 0) res.write(Buffer.alloc(1024, 1));
      else res.flushHeaders();
    });
    server.on('connection', (s) => sockets.add(s));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    const source = s3LogObjectSource(clientsFor(url).s3);

    try {
      // Act
      const { ms, error } = await timed(async () => {
        for await (const chunk of await source.open({ bucket: 'b', key: 'k' })) void chunk;
      });

      // Assess: the first GET and three reopens from byte 1024, each timed out; then a clear error.
      expect(ranges).toEqual([undefined, 'bytes=1024-', 'bytes=1024-', 'bytes=1024-']);
      expect((error as Error | undefined)?.message).toMatch(
        /^the body broke off at byte 1024 of 1048576 and 3 reopens in a row read nothing; last: TimeoutError: /,
      );
      expect(ms).toBeLessThan(4_000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }, 10_000);
});

describe('the Lambda entry point (handler.ts) with a hung S3', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it("fails the object within the invocation's remaining time, not the 10 s request timeout", async () => {
    // Prepare: every endpoint is the silent server; the invocation has 10.6 s left: just above the
    // pipeline's 10 s reserve, so it starts the read, and 2 s are kept for reporting, so requests get
    // 8.6 s, less than the 10 s request timeout.
    process.env = {
      ...saved,
      TABLE_NAME: 'events',
      SOURCE_BUCKETS: 'logs',
      ALERTS_ENABLED: 'false',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL: endpoint,
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    };
    type Handler = (event: unknown, context: { getRemainingTimeInMillis(): number }) => Promise<unknown>;
    let handler: Handler | undefined;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- a fresh module load is the cold start under test
      handler = (require('../../lambdas/ingest/handler') as { handler: Handler }).handler;
    });
    const key =
      'AWSLogs/123456789012/CloudTrail/us-east-1/2024/01/01/123456789012_CloudTrail_us-east-1_20240101T0000Z_a.json.gz';
    const event = {
      Records: [
        {
          eventSource: 'aws:s3',
          eventName: 'ObjectCreated:Put',
          s3: { bucket: { name: 'logs' }, object: { key, size: 100 } },
        },
      ],
    };

    // Act
    const { ms, error } = await timed(() => handler!(event, { getRemainingTimeInMillis: () => 10_600 }));

    // Assess: the object failed (named), well before the request timeout of 10 s.
    expect((error as Error | undefined)?.message).toMatch(
      /1 of 1 log objects failed: .*a\.json\.gz: cannot read/,
    );
    expect(ms).toBeLessThan(10_000);
    expect(silent.connections).toBeGreaterThan(0);
  }, 20_000);
});
