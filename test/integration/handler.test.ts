import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { alertStateTableDefinition } from '../../lambdas/adapters/alert-state-table';
import { createAwsClients, LOCAL_CREDENTIALS, type AwsClients } from '../../lambdas/adapters/aws-clients';
import { ensureTable, eventTableDefinition } from '../../lambdas/adapters/table-definitions';
import { ConfigError } from '../../lambdas/core/errors';
import { encodeS3EventKey } from '../../lambdas/core/s3-event';
import { composeIngestApp } from '../../lambdas/app/compose';
import { IngestFailedError, InvalidEventError } from '../../lambdas/app/s3-event-handler';
import { loadIngestConfig } from '../../lambdas/ingest/config';
import type { IngestObserver } from '../../lambdas/app/ingest-observer';
import { startDynalite, type DynaliteServer } from '../../local/dynalite-server';
import { startS3Server, type S3Server } from '../../local/s3-server';
import { readOutbox, startSnsServer, type SnsServer } from '../../local/sns-server';
import { seedRecord, seedRecords } from '../../local/seed-records';

// The ingest app against real local servers: s3rver (objects), dynalite (tables), the local SNS endpoint.
const BUCKET = 'trail-logs';
const FOREIGN = 'someone-elses-bucket';
const TABLE = 'events';
const STATE = 'alert-state';

let s3: S3Server;
let dynamo: DynaliteServer;
let sns: SnsServer;
let clients: AwsClients;
let topicArn: string;
let outbox: string;
let tmp: string;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trailwatch-handler-'));
  outbox = path.join(tmp, 'outbox');
  [s3, dynamo, sns] = await Promise.all([
    startS3Server({ directory: path.join(tmp, 's3'), buckets: [BUCKET, FOREIGN] }),
    startDynalite(),
    startSnsServer({ outbox }),
  ]);
  topicArn = sns.createTopic('alerts');
  clients = createAwsClients({
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
    endpoints: { s3: s3.endpoint, dynamodb: dynamo.endpoint, sns: sns.endpoint },
  });
  await ensureTable(clients.dynamodb, eventTableDefinition(TABLE));
  await ensureTable(clients.dynamodb, alertStateTableDefinition(STATE));
});

afterAll(async () => {
  clients?.s3.destroy();
  clients?.dynamodb.destroy();
  clients?.sns.destroy();
  await Promise.all([s3?.stop(), dynamo?.stop(), sns?.stop()]);
  fs.rmSync(tmp, { recursive: true, force: true });
});

let counter = 0;
/** A unique CloudTrail log key (so tests do not see each other's objects or alerts). */
function logKey(prefix = '', account = '123456789012', region = 'us-east-1'): string {
  counter += 1;
  return `${prefix}AWSLogs/${account}/CloudTrail/${region}/2017/05/04/${account}_CloudTrail_${region}_20170504T0025Z_H${String(counter).padStart(6, '0')}.json.gz`;
}

/** Records with fresh eventIDs, so each test writes its own items and alerts. */
function freshRecords(records: Array<Record<string, unknown>>): Array<Record<string, unknown>> {
  return records.map((r, i) => ({ ...r, eventID: `t${counter}-${i}-${String(r.eventID)}` }));
}

async function put(bucket: string, key: string, body: Buffer): Promise<number> {
  await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  return body.length;
}

/** An S3 notification as S3 sends it: keys URL-encoded. */
function s3Event(objects: Array<{ bucket: string; key: string; size?: number; eventName?: string }>) {
  return {
    Records: objects.map((o) => ({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'us-east-1',
      eventTime: new Date().toISOString(),
      eventName: o.eventName ?? 'ObjectCreated:Put',
      s3: {
        s3SchemaVersion: '1.0',
        bucket: { name: o.bucket, arn: `arn:aws:s3:::${o.bucket}` },
        object: { key: encodeS3EventKey(o.key), ...(o.size !== undefined ? { size: o.size } : {}) },
      },
    })),
  };
}

interface Recorded {
  skipped: Array<{ key: string; reason: string; message: string }>;
  processed: string[];
  failed: Array<{ key: string; message: string }>;
  ignored: string[];
}

function app(env: Record<string, string> = {}) {
  const recorded: Recorded = { skipped: [], processed: [], failed: [], ignored: [] };
  const observer: IngestObserver = {
    objectProcessed: (s) => void recorded.processed.push(s.key),
    objectSkipped: (ref, reason, message) => void recorded.skipped.push({ key: ref.key, reason, message }),
    objectFailed: (ref, error) => void recorded.failed.push({ key: ref.key, message: error.message }),
    eventIgnored: (ref) => void recorded.ignored.push(ref.key),
  };
  const config = loadIngestConfig({
    TABLE_NAME: TABLE,
    ALERT_STATE_TABLE_NAME: STATE,
    ALERT_TOPIC_ARN: topicArn,
    SOURCE_BUCKETS: BUCKET,
    ...env,
  });
  return { ingest: composeIngestApp(config, clients, observer), recorded };
}

async function itemsOf(key: string): Promise<Array<Record<string, unknown>>> {
  const out = await clients.dynamodb.send(new ScanCommand({ TableName: TABLE }));
  return (out.Items ?? []).filter((item) => item.s3Key?.S === key);
}

function alertsFor(key: string) {
  return readOutbox(outbox).filter((m) => m.message.includes(key));
}

const SEEDS = seedRecords().map((s) => s.record);

describe('the ingest handler on real local servers', () => {
  it('processes every record of an event: keys decoded, events stored, the failure alerted once', async () => {
    // Prepare: two log objects under the configured prefix, which holds a space and a plus.
    const spaced = logKey('team logs+archive/');
    const plain = logKey('team logs+archive/', '210987654321');
    const spacedSize = await put(BUCKET, spaced, gzipSync(JSON.stringify({ Records: freshRecords(SEEDS) })));
    const plainSize = await put(
      BUCKET,
      plain,
      gzipSync(JSON.stringify({ Records: freshRecords([seedRecord('glue-delete-crawler').record]) })),
    );
    const { ingest } = app({ LOG_PREFIX: 'team logs+archive' });

    // Act
    const result = await ingest.handleS3Event(
      s3Event([
        { bucket: BUCKET, key: spaced, size: spacedSize },
        { bucket: BUCKET, key: plain, size: plainSize },
      ]),
    );

    // Assess
    expect(result.objects.map((o) => [o.key, o.status])).toEqual([
      [spaced, 'processed'],
      [plain, 'processed'],
    ]);
    expect(result.objects[0]).toMatchObject({
      eventsStored: { athena: 3, batch: 1, emr: 1, glue: 2 },
      failedCalls: 1,
      alerts: { messagesPublished: 1 },
    });
    expect(await itemsOf(spaced)).toHaveLength(7);
    expect(await itemsOf(plain)).toHaveLength(1);
    const alerts = alertsFor(spaced);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.subject).toMatch(/Athena/);
  });

  it('skips digest, insight, zero-byte, folder, foreign-bucket and wrong-layout objects, each with a log line, and still processes the rest', async () => {
    // Prepare
    const body = gzipSync(JSON.stringify({ Records: freshRecords([seedRecord('emr-run-job-flow').record]) }));
    const good = logKey();
    const empty = logKey();
    const foreign = logKey();
    const digest =
      'AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2017/05/04/123456789012_CloudTrail-Digest_us-east-1_t_us-east-1_20170504T002500Z.json.gz';
    const insight =
      'AWSLogs/123456789012/CloudTrail-Insight/us-east-1/2017/05/04/123456789012_CloudTrail-Insight_us-east-1_20170504T0025Z_X.json.gz';
    const folder = 'AWSLogs/123456789012/CloudTrail/us-east-1/2017/05/04/';
    const wrong = 'exports/2017-05-04/cloudtrail.json.gz';
    const goodSize = await put(BUCKET, good, body);
    await put(BUCKET, empty, Buffer.alloc(0));
    await put(FOREIGN, foreign, body);
    for (const key of [digest, insight, wrong]) await put(BUCKET, key, body);
    const { ingest, recorded } = app();

    // Act
    const result = await ingest.handleS3Event(
      s3Event([
        { bucket: BUCKET, key: digest, size: body.length },
        { bucket: BUCKET, key: insight, size: body.length },
        { bucket: BUCKET, key: empty, size: 0 },
        { bucket: BUCKET, key: folder, size: 0 },
        { bucket: FOREIGN, key: foreign, size: body.length },
        { bucket: BUCKET, key: wrong, size: body.length },
        { bucket: BUCKET, key: good, size: goodSize },
      ]),
    );

    // Assess
    expect(result.objects.map((o) => o.skipReason ?? o.status)).toEqual([
      'digest',
      'insight',
      'empty-object',
      'folder',
      'foreign-bucket',
      'not-a-log-key',
      'processed',
    ]);
    expect(recorded.skipped.map((s) => s.reason)).toEqual([
      'digest',
      'insight',
      'empty-object',
      'folder',
      'foreign-bucket',
      'not-a-log-key',
    ]);
    for (const s of recorded.skipped) expect(s.message).not.toBe('');
    expect(recorded.processed).toEqual([good]);
    expect(await itemsOf(good)).toHaveLength(1);
    expect(await itemsOf(foreign)).toHaveLength(0);
  });

  it('skips keys outside the configured LOG_PREFIX', async () => {
    const key = logKey('other-trail/');
    const { ingest } = app({ LOG_PREFIX: 'org-trail/' });

    const result = await ingest.handleS3Event(s3Event([{ bucket: BUCKET, key, size: 10 }]));

    expect(result.objects).toMatchObject([{ status: 'skipped', skipReason: 'not-a-log-key' }]);
  });

  it('skips the nested-layout key and accounts outside ALLOWED_ACCOUNTS without reading them', async () => {
    // Prepare: the key of the issue (a trail of 999988887777 writing under AWSLogs/111122223333/), and
    // a well-formed key of an account not in the list; each object holds a failed call that would alert.
    const body = gzipSync(JSON.stringify({ Records: freshRecords(SEEDS) }));
    const nested = logKey('AWSLogs/111122223333/', '999988887777');
    const foreignAccount = logKey('', '999988887777');
    const allowed = logKey('', '111122223333');
    for (const key of [nested, foreignAccount, allowed]) await put(BUCKET, key, body);
    const { ingest, recorded } = app({ ALLOWED_ACCOUNTS: '111122223333' });

    // Act
    const result = await ingest.handleS3Event(
      s3Event([nested, foreignAccount, allowed].map((key) => ({ bucket: BUCKET, key, size: body.length }))),
    );

    // Assess: protects "a key outside the allow-list is skipped, never ingested", with the reason logged.
    expect(result.objects.map((o) => o.skipReason ?? o.status)).toEqual([
      'not-a-log-key',
      'foreign-account',
      'processed',
    ]);
    expect(recorded.skipped.map((s) => s.message)).toEqual([
      expect.stringMatching(/more than one AWSLogs\/ segment/),
      expect.stringMatching(/account 999988887777 is not one of the allowed accounts/),
    ]);
    expect(await itemsOf(nested)).toHaveLength(0);
    expect(await itemsOf(foreignAccount)).toHaveLength(0);
    expect(alertsFor(nested)).toHaveLength(0);
    expect(alertsFor(foreignAccount)).toHaveLength(0);
    expect(await itemsOf(allowed)).toHaveLength(7);
  });

  it('ignores records that announce no new object', async () => {
    const { ingest, recorded } = app();

    const result = await ingest.handleS3Event(
      s3Event([{ bucket: BUCKET, key: logKey(), eventName: 'ObjectRemoved:Delete' }]),
    );

    expect(result.objects).toEqual([]);
    expect(recorded.ignored).toHaveLength(1);
  });

  it("accepts S3's test event and refuses an event it does not understand", async () => {
    const { ingest } = app();

    await expect(
      ingest.handleS3Event({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: BUCKET }),
    ).resolves.toEqual({ objects: [] });
    await expect(ingest.handleS3Event({ Records: [{ eventSource: 'aws:s3' }] })).rejects.toBeInstanceOf(
      InvalidEventError,
    );
  });

  describe('file-level failures fail the invocation, naming bucket and key, after every record was attempted', () => {
    it('the object is gone', async () => {
      // Prepare: the notification outlived the object.
      const gone = logKey();
      const good = logKey();
      await put(BUCKET, gone, gzipSync(JSON.stringify({ Records: freshRecords(SEEDS) })));
      await clients.s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: gone }));
      const goodSize = await put(
        BUCKET,
        good,
        gzipSync(JSON.stringify({ Records: freshRecords([seedRecord('glue-create-connection').record]) })),
      );
      const { ingest, recorded } = app();

      // Act
      const failure = ingest.handleS3Event(
        s3Event([
          { bucket: BUCKET, key: gone, size: 100 },
          { bucket: BUCKET, key: good, size: goodSize },
        ]),
      );

      // Assess
      await expect(failure).rejects.toBeInstanceOf(IngestFailedError);
      await expect(failure).rejects.toThrow(
        `1 of 2 log objects failed: s3://${BUCKET}/${gone}: cannot read the log file: the object does not exist (NoSuchKey)`,
      );
      await expect(failure).rejects.toMatchObject({ failures: [{ bucket: BUCKET, key: gone }] });
      expect(recorded.failed.map((f) => f.key)).toEqual([gone]);
      expect(await itemsOf(good)).toHaveLength(1);
    });

    it('the gzip is corrupt', async () => {
      const key = logKey();
      const whole = gzipSync(JSON.stringify({ Records: freshRecords(SEEDS) }));
      const size = await put(BUCKET, key, whole.subarray(0, Math.floor(whole.length / 2)));
      const { ingest } = app();

      const failure = ingest.handleS3Event(s3Event([{ bucket: BUCKET, key, size }]));

      await expect(failure).rejects.toThrow(
        new RegExp(`s3://${BUCKET}/${key.replace(/[.+]/g, '\\$&')}: cannot read the log file: `),
      );
      expect(alertsFor(key)).toHaveLength(0);
    });

    it('the event store fails', async () => {
      const key = logKey();
      const size = await put(BUCKET, key, gzipSync(JSON.stringify({ Records: freshRecords(SEEDS) })));
      const { ingest } = app({ TABLE_NAME: 'no-such-table' });

      const failure = ingest.handleS3Event(s3Event([{ bucket: BUCKET, key, size }]));

      await expect(failure).rejects.toThrow(`s3://${BUCKET}/${key}: cannot store its events`);
      expect(alertsFor(key)).toHaveLength(0);
    });

    it('publishing the alert fails', async () => {
      const key = logKey();
      // A failure of its own kind, so no earlier alert's noise window suppresses it.
      const failed = {
        ...seedRecord('athena-start-query-execution-failed').record,
        errorCode: 'PublishTestException',
      };
      const size = await put(BUCKET, key, gzipSync(JSON.stringify({ Records: freshRecords([failed]) })));
      const { ingest } = app({ ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:no-such-topic' });

      const failure = ingest.handleS3Event(s3Event([{ bucket: BUCKET, key, size }]));

      await expect(failure).rejects.toThrow(`s3://${BUCKET}/${key}: cannot send its alerts`);
      // Events are stored before alerting, so the retry finds them already there and only alerts.
      expect(await itemsOf(key)).toHaveLength(1);
    });
  });
});

describe('the Lambda entry point (handler.ts)', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('validates the environment once at load, naming the bad variable', () => {
    process.env = { ...saved, TABLE_NAME: 'events', SOURCE_BUCKETS: 'logs', ALERTS_ENABLED: 'maybe' };
    jest.isolateModules(() => {
      /* eslint-disable @typescript-eslint/no-require-imports -- a fresh module load is the cold start under test */
      // isolateModules loads its own copy of errors.ts, so compare the class by name.
      expect(() => require('../../lambdas/ingest/handler')).toThrow(
        expect.objectContaining({ name: ConfigError.name }),
      );
      expect(() => require('../../lambdas/ingest/handler')).toThrow(/ALERTS_ENABLED/);
      /* eslint-enable @typescript-eslint/no-require-imports */
    });
  });

  it("loads without a network call and answers S3's test event", async () => {
    process.env = {
      ...saved,
      TABLE_NAME: 'events',
      SOURCE_BUCKETS: 'logs',
      ALERTS_ENABLED: 'false',
      AWS_REGION: 'us-east-1',
      POWERTOOLS_METRICS_DISABLED: 'true',
    };
    let handler: ((event: unknown) => Promise<unknown>) | undefined;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- a fresh module load is the cold start under test
      handler = (require('../../lambdas/ingest/handler') as { handler: (event: unknown) => Promise<unknown> })
        .handler;
    });

    await expect(handler?.({ Service: 'Amazon S3', Event: 's3:TestEvent' })).resolves.toEqual({
      objects: [],
    });
  });
});
