// A log file's S3 read survives back-pressure and dropped connections: against a real s3rver, through a
// real TCP proxy that honours back-pressure and cuts connections mid-body.
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import {
  createAwsClients,
  destroyAwsClients,
  LOCAL_CREDENTIALS,
  type AwsClients,
} from '../../lambdas/adapters/aws-clients';
import { ensureTable, eventTableDefinition } from '../../lambdas/adapters/table-definitions';
import { composeProcessor, s3LogObjectSource } from '../../lambdas/app/compose';
import { SILENT_OBSERVER, type IngestObserver } from '../../lambdas/app/ingest-observer';
import type { ResumeNotice } from '../../lambdas/core/resumable-log-source';
import { loadIngestConfig } from '../../lambdas/ingest/config';
import { startDynalite, type DynaliteServer } from '../../local/dynalite-server';
import { startS3Server, type S3Server } from '../../local/s3-server';
import { seedRecords } from '../../local/seed-records';
import { itemsFromObject } from '../helpers/event-items';
import { rangeOf, startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';

const BUCKET = 'trail-logs';
const TABLE = 'events';
// The idle timeout small, so a test pause outlasts it; the request timeout stays generous. The tests of
// cut connections keep a longer one, so a busy machine's pause never adds a reopen of its own.
const TIMEOUTS = { connectMs: 2_000, requestMs: 5_000, idleMs: 500 };
const CUT_TIMEOUTS = { ...TIMEOUTS, idleMs: 10_000 };

let tmp: string;
let s3: S3Server;
let dynamo: DynaliteServer;
/** Writes objects straight to s3rver. */
let direct: AwsClients;
const proxies: TcpProxy[] = [];
const readers: AwsClients[] = [];

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trailwatch-resume-'));
  [s3, dynamo] = await Promise.all([
    startS3Server({ directory: path.join(tmp, 's3'), buckets: [BUCKET] }),
    startDynalite(),
  ]);
  direct = createAwsClients({
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
    endpoints: { s3: s3.endpoint, dynamodb: dynamo.endpoint },
  });
  await ensureTable(direct.dynamodb, eventTableDefinition(TABLE));
});

afterEach(async () => {
  for (const c of readers.splice(0)) destroyAwsClients(c);
  await Promise.all(proxies.splice(0).map((p) => p.stop()));
});

afterAll(async () => {
  if (direct) destroyAwsClients(direct);
  await Promise.all([s3?.stop(), dynamo?.stop()]);
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Clients that read S3 through the proxy with these timeouts (the DynamoDB client is `direct`'s). */
function readingClients(proxy: TcpProxy, timeouts = CUT_TIMEOUTS): AwsClients {
  const s3Side = createAwsClients({
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
    endpoints: { s3: proxy.endpoint },
    timeouts,
  });
  readers.push(s3Side);
  return s3Side;
}

async function proxy(options: Parameters<typeof startTcpProxy>[1] = {}): Promise<TcpProxy> {
  const p = await startTcpProxy(s3.endpoint, options);
  proxies.push(p);
  return p;
}

let counter = 0;
function uniqueKey(suffix = 'bin'): string {
  counter += 1;
  return `AWSLogs/123456789012/CloudTrail/us-east-1/2024/01/01/123456789012_CloudTrail_us-east-1_20240101T0000Z_r${counter}.${suffix}`;
}

async function put(key: string, body: Buffer): Promise<void> {
  await direct.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
}

/** The source the composition reads S3 log objects with. */
function sourceOf(clients: AwsClients) {
  return s3LogObjectSource(clients.s3);
}

/** A gzipped log file of `count` records (the seeds over and over, each with its own eventID). */
function logFile(count: number): Buffer {
  const seeds = seedRecords().map((s) => s.record);
  counter += 1;
  const records = Array.from({ length: count }, (_, i) => ({
    ...seeds[i % seeds.length],
    eventID: `resume-${counter}-${i}`,
  }));
  return gzipSync(JSON.stringify({ Records: records }));
}

/** The processor as every entry point composes it, reading S3 through the proxy; no alerts. */
function processorVia(p: TcpProxy, observer?: IngestObserver) {
  return composeProcessor(
    loadIngestConfig({ TABLE_NAME: TABLE, SOURCE_BUCKETS: BUCKET, ALERTS_ENABLED: 'false' }),
    { s3: readingClients(p).s3, dynamodb: direct.dynamodb, sns: direct.sns },
    observer ? { observer } : {},
  );
}

/** How many items of the event table came from `key`. */
const itemCount = (key: string): Promise<number> => itemsFromObject(direct.dynamodb, TABLE, key);

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** The GET request heads for `key` the proxy saw. */
function getsOf(p: TcpProxy, key: string): string[] {
  return p.requests().filter((h) => h.startsWith('GET ') && h.includes(key.split('/').pop()!));
}

describe('reading an S3 log object through the composition', () => {
  it('reads the whole object, byte-identical, when the consumer holds back longer than the idle timeout', async () => {
    // Prepare: 16 MB that does not compress, more than the sockets on the way can buffer while the
    // consumer holds back.
    const key = uniqueKey();
    const body = randomBytes(16 << 20);
    await put(key, body);
    const p = await proxy();
    const source = sourceOf(readingClients(p, TIMEOUTS));

    // Act: take the first 256 KB, hold back three times the idle timeout, read the rest.
    const chunks: Buffer[] = [];
    let taken = 0;
    let paused = false;
    for await (const chunk of await source.open({ bucket: BUCKET, key })) {
      chunks.push(Buffer.from(chunk));
      taken += chunk.length;
      if (!paused && taken >= 256 << 10) {
        paused = true;
        await sleep(3 * TIMEOUTS.idleMs);
      }
    }

    // Assess: every byte, in order; the body was reopened after the pause, from where it stopped.
    const read = Buffer.concat(chunks);
    expect(read.length).toBe(body.length);
    expect(sha256(read)).toBe(sha256(body));
    const gets = getsOf(p, key);
    expect(gets.length).toBeGreaterThanOrEqual(2);
    expect(rangeOf(gets[0]!)).toBeUndefined();
    const from = Number(/^bytes=(\d+)-$/.exec(rangeOf(gets[1]!) ?? '')?.[1]);
    expect(from).toBeGreaterThanOrEqual(256 << 10);
    expect(from).toBeLessThan(body.length);
    expect(gets[1]).toMatch(/\r\nif-match: *"[0-9a-f]+"/i);
  }, 30_000);

  it('resumes a body whose connection is cut mid-way, byte-identical', async () => {
    // Prepare: the first connection is dropped after 300 KB of its answer.
    const key = uniqueKey();
    const body = randomBytes(2 << 20);
    await put(key, body);
    const p = await proxy({ cutAnswerAfter: (n) => (n === 0 ? 300 << 10 : undefined) });
    const source = sourceOf(readingClients(p));

    // Act
    const chunks: Buffer[] = [];
    for await (const chunk of await source.open({ bucket: BUCKET, key })) chunks.push(Buffer.from(chunk));

    // Assess
    const read = Buffer.concat(chunks);
    expect(p.cuts()).toBe(1);
    expect(sha256(read)).toBe(sha256(body));
    const gets = getsOf(p, key);
    expect(gets).toHaveLength(2);
    expect(rangeOf(gets[1]!)).toMatch(/^bytes=\d+-$/);
  }, 30_000);

  it('gives the gunzip and scanner one continuous stream: the processor stores every event of a file whose connection was cut', async () => {
    // Prepare: a gzipped log file of 3,000 watched and other records; the first connection is cut at
    // 40% of it.
    const key = uniqueKey('json.gz');
    const gz = logFile(3_000);
    await put(key, gz);
    const p = await proxy({ cutAnswerAfter: (n) => (n === 0 ? Math.floor(gz.length * 0.4) : undefined) });

    // Act
    const resumed: Array<{ key: string; notice: ResumeNotice }> = [];
    const observer: IngestObserver = {
      ...SILENT_OBSERVER,
      readResumed: (ref, notice) => void resumed.push({ key: ref.key, notice }),
    };
    const summary = await processorVia(p, observer).processObject({ bucket: BUCKET, key });

    // Assess: the same counts as reading the file whole, and the items are in the table.
    expect(p.cuts()).toBe(1);
    expect(summary.status).toBe('processed');
    expect(summary.bytesRead).toBe(gz.length);
    expect(summary.recordsRead).toBe(3_000);
    const stored = Object.values(summary.eventsStored).reduce((a, b) => a + (b ?? 0), 0);
    expect(stored).toBeGreaterThan(2_000);
    expect(await itemCount(key)).toBe(stored);
    expect(resumed).toEqual([{ key, notice: expect.objectContaining({ size: gz.length, reopens: 1 }) }]);
    expect(resumed[0]!.notice.offset).toBeLessThanOrEqual(Math.floor(gz.length * 0.4));
  }, 60_000);

  it('fails the file with one line naming the object when it changed before the reopen', async () => {
    // Prepare: the first connection is cut at 40%, and the object is overwritten just before the cut
    // reaches the reader. (s3rver ignores If-Match, so this is the reader's own ETag check; S3 answers 412.)
    const key = uniqueKey('json.gz');
    const gz = logFile(3_000);
    await put(key, gz);
    const p = await proxy({
      cutAnswerAfter: (n) => (n === 0 ? Math.floor(gz.length * 0.4) : undefined),
      beforeCut: () => put(key, logFile(2_000)),
    });

    // Act
    const error = await processorVia(p)
      .processObject({ bucket: BUCKET, key })
      .then(
        () => undefined,
        (err: unknown) => err,
      );

    // Assess
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toMatch(
      new RegExp(
        `^s3://${BUCKET}/${key.replace(/[.]/g, '[.]')}: cannot read the log file: the object changed while it was read`,
      ),
    );
    expect(message).not.toContain('\n');
    expect(getsOf(p, key)[1]).toMatch(/\r\nif-match: *"[0-9a-f]+"/i);
  }, 60_000);
});
