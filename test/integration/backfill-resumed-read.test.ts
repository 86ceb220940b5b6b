// `trailwatch backfill` prints a line when a log file's S3 read broke off and was resumed, and stores
// the file whole: s3rver behind a real TCP proxy that cuts a connection mid-body, and dynalite.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createBackfillCommand } from '../../cli/commands/backfill';
import { readResumedLine } from '../../cli/read-resumed';
import type { CliIO } from '../../cli/usage';
import {
  createAwsClients,
  destroyAwsClients,
  LOCAL_CREDENTIALS,
  type AwsClients,
} from '../../lambdas/adapters/aws-clients';
import { ensureTable, eventTableDefinition } from '../../lambdas/adapters/table-definitions';
import { normalizeRecord } from '../../lambdas/core/normalize';
import { startDynalite, type DynaliteServer } from '../../local/dynalite-server';
import { startS3Server, type S3Server } from '../../local/s3-server';
import { seedRecords } from '../../local/seed-records';
import { itemsFromObject } from '../helpers/event-items';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';

const BUCKET = 'trail-logs';
const TABLE = 'events';
const KEY =
  'AWSLogs/123456789012/CloudTrail/us-east-1/2024/05/01/123456789012_CloudTrail_us-east-1_20240501T0000Z_big.json.gz';
const RECORDS = 3_000;

let s3: S3Server;
let dynamo: DynaliteServer;
let direct: AwsClients;
let proxy: TcpProxy;
let cwd: string;
let gz: Buffer;
/** How many of the file's records are watched events (what reading it whole stores). */
let watched = 0;

beforeAll(async () => {
  [s3, dynamo] = await Promise.all([startS3Server({ buckets: [BUCKET] }), startDynalite()]);
  direct = createAwsClients({
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
    endpoints: { s3: s3.endpoint, dynamodb: dynamo.endpoint },
  });
  await ensureTable(direct.dynamodb, eventTableDefinition(TABLE));
  const seeds = seedRecords().map((s) => s.record);
  const records = Array.from({ length: RECORDS }, (_, i) => ({
    ...seeds[i % seeds.length],
    eventID: `backfill-resume-${i}`,
  }));
  gz = gzipSync(JSON.stringify({ Records: records }));
  watched = records.filter((r) => normalizeRecord(r).ok).length;
  await direct.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: gz }));
  // Every connection opened before the first cut is cut once its answers pass 40% of the file (the
  // listing before it is about a kilobyte), so the object's body breaks off mid-way at least once.
  let cut = false;
  const limit = Math.floor(gz.length * 0.4);
  proxy = await startTcpProxy(s3.endpoint, {
    cutAnswerAfter: () => (cut ? undefined : limit),
    beforeCut: async () => {
      cut = true;
    },
  });
  cwd = mkdtempSync(join(tmpdir(), 'trailwatch-backfill-resume-'));
}, 60_000);

afterAll(async () => {
  if (direct) destroyAwsClients(direct);
  await proxy?.stop();
  await Promise.all([s3?.stop(), dynamo?.stop()]);
  if (cwd) rmSync(cwd, { recursive: true, force: true });
});

function captureIO(): CliIO & { err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let err = '';
  stdout.resume();
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const env = {
    AWS_ENDPOINT_URL_S3: proxy.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_REGION: 'us-east-1',
  };
  return { stdout, stderr, env, cwd, err: () => err };
}

test('a cut read is resumed, said in one line, and the file is stored whole', async () => {
  // Act
  const io = captureIO();
  const code = await createBackfillCommand({ signal: new AbortController().signal }).run(
    ['--bucket', BUCKET, '--from', '2024-05-01', '--to', '2024-05-01', '--table', TABLE],
    io,
  );

  // Assess
  expect(proxy.cuts()).toBeGreaterThanOrEqual(1);
  expect(code).toBe(0);
  const lines = io.err().split('\n');
  const resumed = lines.filter((l) => l.includes('the read broke off'));
  expect(resumed.length).toBeGreaterThanOrEqual(1);
  expect(resumed[0]).toMatch(
    new RegExp(
      `^s3://${BUCKET}/${KEY}: the read broke off \\(.+\\); resumed at byte \\d+ of ${gz.length} \\(reopen 1\\)$`,
    ),
  );
  const stored = await itemsFromObject(direct.dynamodb, TABLE, KEY);
  expect(watched).toBeGreaterThan(1_000);
  expect(stored).toBe(watched);
});

test('the line names the object, the reason, the byte and the reopen', () => {
  expect(
    readResumedLine(
      { bucket: 'b', key: 'k.json.gz' },
      { offset: 1234, size: 5678, reopens: 2, reason: 'Error: aborted' },
    ),
  ).toBe('s3://b/k.json.gz: the read broke off (Error: aborted); resumed at byte 1234 of 5678 (reopen 2)');
  expect(
    readResumedLine({ bucket: 'b', key: 'k' }, { offset: 0, size: undefined, reopens: 1, reason: 'x' }),
  ).toBe('s3://b/k: the read broke off (x); resumed at byte 0 (reopen 1)');
});
