/**
 * `trailwatch backfill` against real local servers: s3rver (objects uploaded without triggering the
 * pipeline) and dynalite. 1,000 tiny log objects over 3 accounts (one in an organization trail),
 * 2 regions and 5 days; a backfill of 3 of the days, interrupted and resumed, then run again.
 */
import { CONTRACT_ITEM_KEY, eventPartitionKey, shardOf } from '../../lambdas/core/table-contract';
import {
  CreateTableCommand,
  DynamoDBClient,
  ScanCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { createAwsClients, LOCAL_CREDENTIALS } from '../../lambdas/adapters/aws-clients';
import { alertStateTableDefinition } from '../../lambdas/adapters/alert-state-table';
import { eventTableDefinition } from '../../lambdas/adapters/table-definitions';
import { CheckpointDataSchema } from '../../lambdas/core/checkpoint';
import { normalizeRecord } from '../../lambdas/core/normalize';
import type { ObjectProcessor } from '../../lambdas/core/ports';
import { createBackfillCommand, type BackfillCommandOverrides } from '../../cli/commands/backfill';
import {
  createProgress,
  ETA_AFTER_MS,
  formatBarLine,
  formatSeconds,
  ProgressTracker,
} from '../../cli/progress';
import type { CliIO } from '../../cli/usage';
import { startDynalite, type DynaliteServer } from '../../local/dynalite-server';
import { startS3Server, type S3Server } from '../../local/s3-server';
import { readOutbox, startSnsServer } from '../../local/sns-server';
import { seedRecords } from '../../local/seed-records';

const BUCKET = 'trail-logs';
const PREFIX = 'cloudtrail/';
const ORG = 'o-abcde12345';
const ACCOUNTS = ['111111111111', '222222222222', '333333333333'];
const REGIONS = ['us-east-1', 'eu-west-1'];
const DAYS = ['2024-05-01', '2024-05-02', '2024-05-03', '2024-05-04', '2024-05-05'];
const RANGE = { from: '2024-05-02', to: '2024-05-04' };
const OBJECTS = 1000;

interface Generated {
  key: string;
  day: string;
  body: Buffer;
  /** `pk|sk` of each watched event in the file. */
  items: string[];
}

/** The folder of account `a` (the third account delivers through an organization trail). */
function accountRoot(a: number): string {
  const account = ACCOUNTS[a] as string;
  return a === 2 ? `${PREFIX}AWSLogs/${ORG}/${account}/` : `${PREFIX}AWSLogs/${account}/`;
}

/** 1,000 tiny gzip log files, each with two watched calls and one call of another service. */
function generate(): Generated[] {
  const seeds = seedRecords().map((s) => s.record);
  const folders = ACCOUNTS.length * REGIONS.length * DAYS.length;
  const out: Generated[] = [];
  for (let i = 0; i < OBJECTS; i++) {
    const folder = i % folders;
    const a = folder % ACCOUNTS.length;
    const r = Math.floor(folder / ACCOUNTS.length) % REGIONS.length;
    const d = Math.floor(folder / (ACCOUNTS.length * REGIONS.length));
    const account = ACCOUNTS[a] as string;
    const region = REGIONS[r] as string;
    const day = DAYS[d] as string;
    const second = Math.floor(i / folders);
    const time = `${day}T${String(Math.floor(second / 60) % 24).padStart(2, '0')}:${String(second % 60).padStart(2, '0')}:07Z`;
    const records: Record<string, unknown>[] = [0, 1].map((j) => ({
      ...(seeds[(i * 2 + j) % seeds.length] as Record<string, unknown>),
      eventID: `00000000-0000-4000-8000-${String(i * 10 + j).padStart(12, '0')}`,
      eventTime: time,
      awsRegion: region,
      recipientAccountId: account,
    }));
    records.push({
      eventVersion: '1.08',
      userIdentity: { type: 'AWSService', invokedBy: 'cloudtrail.amazonaws.com' },
      eventTime: time,
      eventSource: 's3.amazonaws.com',
      eventName: 'GetBucketAcl',
      awsRegion: region,
      eventID: `00000000-0000-4000-8000-${String(i * 10 + 9).padStart(12, '0')}`,
      recipientAccountId: account,
    });
    const items: string[] = [];
    for (const record of records) {
      const n = normalizeRecord(record);
      if (n.ok)
        items.push(
          `${eventPartitionKey(n.event.service, n.event.eventTime.slice(0, 10), shardOf(n.event.service, n.event.eventId))}|${n.event.eventTime}#${n.event.eventId}`,
        );
    }
    const [y, m, dd] = day.split('-');
    const stamp = `${y}${m}${dd}T${time.slice(11, 13)}${time.slice(14, 16)}Z`;
    out.push({
      key: `${accountRoot(a)}CloudTrail/${region}/${y}/${m}/${dd}/${account}_CloudTrail_${region}_${stamp}_${String(i).padStart(4, '0')}.json.gz`,
      day,
      body: gzipSync(JSON.stringify({ Records: records })),
      items,
    });
  }
  return out;
}

/** eventIds of the failed watched calls in a gzip log file. */
function failedEventIds(body: Buffer): string[] {
  const { Records } = JSON.parse(gunzipSync(body).toString('utf8')) as { Records: unknown[] };
  return Records.flatMap((r) => {
    const result = normalizeRecord(r);
    return result.ok && result.event.failed ? [result.event.eventId] : [];
  });
}

async function uploadAll(
  s3: S3Client,
  objects: { key: string; body: Buffer }[],
  concurrency = 48,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < objects.length) {
        const o = objects[next++] as { key: string; body: Buffer };
        await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: o.key, Body: o.body }));
      }
    }),
  );
}

/** Every item of a table as `pk|sk` → the item's JSON. */
async function snapshot(dynamodb: DynamoDBClient, table: string): Promise<Map<string, string>> {
  const items = new Map<string, string>();
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await dynamodb.send(
      new ScanCommand({ TableName: table, ...(start ? { ExclusiveStartKey: start } : {}) }),
    );
    for (const item of (page.Items ?? []).filter((i) => i.pk?.S !== CONTRACT_ITEM_KEY.pk))
      items.set(`${item.pk?.S}|${item.sk?.S}`, JSON.stringify(item, Object.keys(item).sort()));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

function captureIO(cwd: string, env: NodeJS.ProcessEnv): CliIO & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  return { stdout, stderr, env, cwd, out: () => out, err: () => err };
}

/** Counts the objects given to the processor; optionally aborts after `abortAfter` of them. */
function counting(abortAfter?: { n: number; controller: AbortController }) {
  const seen: string[] = [];
  const overrides: BackfillCommandOverrides = {
    ...(abortAfter ? { signal: abortAfter.controller.signal } : { signal: new AbortController().signal }),
    decorateProcessor: (inner: ObjectProcessor): ObjectProcessor => ({
      async processObject(ref) {
        seen.push(ref.key);
        const summary = await inner.processObject(ref);
        if (abortAfter && seen.length === abortAfter.n) abortAfter.controller.abort();
        return summary;
      },
    }),
  };
  return { seen, overrides };
}

describe('the progress display of backfill (and ingest)', () => {
  function stream(tty: boolean) {
    const s = new PassThrough() as PassThrough & { isTTY?: boolean; columns?: number };
    s.isTTY = tty;
    s.columns = 160;
    let text = '';
    s.on('data', (c: Buffer) => (text += c.toString()));
    return { s, text: () => text };
  }

  test('plain lines at the interval when not on a terminal, with rates and an ETA once the total is known', () => {
    // Prepare
    const { s, text } = stream(false);
    let t = 0;
    const p = createProgress({ label: 'backfill', stream: s, now: () => t, intervalMs: 5000 });

    // Act
    p.addTotal(10, 10_000_000);
    t = 1000;
    p.advance(1_000_000); // before the interval: no line
    t = 5000;
    p.advance(1_000_000); // listing still running: no ETA yet
    p.totalKnown();
    t = 10_000;
    p.advance(3_000_000);
    p.log('a message');
    p.stop();
    p.stop();

    // Assess
    expect(text().split('\n')).toEqual([
      'backfill: 2/10 objects (still listing), 2.0/10.0 MB, 0.4 objects/s, 0.4 MB/s',
      'backfill: 3/10 objects, 5.0/10.0 MB, 0.3 objects/s, 0.5 MB/s, ETA 10s',
      'a message',
      'backfill: 3/10 objects, 5.0/10.0 MB, 0.3 objects/s, 0.5 MB/s, ETA 10s',
      '',
    ]);
  });

  test('a bar on a terminal, with logged lines above it', () => {
    // Prepare
    const { s, text } = stream(true);
    let t = 0;
    const p = createProgress({ label: 'backfill', stream: s, now: () => t });

    // Act
    p.addTotal(4, 4_000_000);
    p.totalKnown();
    t = 4000;
    p.advance(2_000_000);
    p.log('s3://b/k: skipped');
    p.stop();

    // Assess
    const shown = text().replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
    expect(shown).toContain('s3://b/k: skipped\n');
    expect(shown).toContain(
      'backfill [======------------------] 25% 1/4 objects | 2.0/4.0 MB | 0.3 objects/s, 0.5 MB/s | ETA 4s',
    );
  });

  test.each([80, 100, 60])(
    'the bar line fits %i columns and keeps the count, the rate and the ETA',
    (columns) => {
      const snapshot = {
        objectsDone: 12_000,
        objectsTotal: 100_000,
        bytesDone: 3_200_000_000,
        bytesTotal: 25_000_000_000,
        elapsedMs: 300_000,
        objectsPerSecond: 40.1,
        bytesPerSecond: 1_100_000,
        etaSeconds: 6000,
        totalKnown: true,
      };
      const line = formatBarLine('backfill', snapshot, columns);
      expect(line.length).toBeLessThanOrEqual(columns - 1);
      expect(line).toMatch(
        /^backfill (\[=+-+\] )?12% 12000\/100000 obj.* 40\.1 (obj|objects)\/s.*ETA 1h40m$/,
      );
    },
  );

  test('no ETA until the rate was measured for a few seconds; the start says it is still listing', () => {
    let t = 0;
    const tracker = new ProgressTracker(() => t);
    tracker.addTotal(100, 100_000_000);
    tracker.totalKnown();
    t = 500;
    tracker.advance(1_000); // a tiny first object would predict hours
    expect(tracker.snapshot().etaSeconds).toBeUndefined();
    t = ETA_AFTER_MS;
    tracker.advance(30_000_000);
    expect(tracker.snapshot().etaSeconds).toBeCloseTo(6.9, 0);
    const listing = new ProgressTracker(() => 0).snapshot();
    expect(formatBarLine('backfill', listing, 80)).toBe(
      'backfill [--------------] 0% 0/0+ obj, 0.0/0.0 MB, 0.0 obj/s, 0.0 MB/s, listing',
    );
  });

  test('a run that found nothing prints no progress line', () => {
    const { s, text } = stream(false);
    const p = createProgress({ label: 'backfill', stream: s });
    p.totalKnown();
    p.stop();
    expect(text()).toBe('');
  });

  test.each([
    [undefined, '?'],
    [0.4, '0s'],
    [42, '42s'],
    [185, '3m05s'],
    [7440, '2h04m'],
  ])('formatSeconds(%s) = %s', (seconds, shown) => {
    expect(formatSeconds(seconds)).toBe(shown);
  });
});

describe('trailwatch backfill (s3rver + dynalite)', () => {
  let s3server: S3Server;
  let dynalite: DynaliteServer;
  let s3: S3Client;
  let dynamodb: DynamoDBClient;
  let env: NodeJS.ProcessEnv;
  let cwd: string;
  let generated: Generated[];
  let expected: Set<string>;
  let tables = 0;

  async function newTable(): Promise<string> {
    const name = `events-${++tables}`;
    await dynamodb.send(new CreateTableCommand(eventTableDefinition(name)));
    return name;
  }

  const rangeArgs = (table: string) => [
    '--bucket',
    BUCKET,
    '--prefix',
    PREFIX,
    '--from',
    RANGE.from,
    '--to',
    RANGE.to,
    '--table',
    table,
    '--concurrency',
    '16',
  ];

  beforeAll(async () => {
    const started = Date.now();
    [s3server, dynalite] = await Promise.all([startS3Server({ buckets: [BUCKET] }), startDynalite()]);
    const clients = createAwsClients({
      region: 'us-east-1',
      credentials: LOCAL_CREDENTIALS,
      endpoints: { s3: s3server.endpoint, dynamodb: dynalite.endpoint },
    });
    s3 = clients.s3;
    dynamodb = clients.dynamodb;
    env = {
      AWS_ENDPOINT_URL_S3: s3server.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: dynalite.endpoint,
      AWS_REGION: 'us-east-1',
    };
    cwd = mkdtempSync(join(tmpdir(), 'trailwatch-backfill-'));
    generated = generate();
    expected = new Set(
      generated.filter((g) => g.day >= RANGE.from && g.day <= RANGE.to).flatMap((g) => g.items),
    );
    await uploadAll(s3, [
      ...generated,
      // Not log files of the range: a digest file and a zero-byte object (skipped by the processor).
      {
        key: `${PREFIX}AWSLogs/${ACCOUNTS[0]}/CloudTrail-Digest/us-east-1/2024/05/03/digest.json.gz`,
        body: Buffer.from('x'),
      },
      {
        key: `${PREFIX}AWSLogs/${ACCOUNTS[0]}/CloudTrail/us-east-1/2024/05/03/empty.json.gz`,
        body: Buffer.alloc(0),
      },
    ]);
    process.stderr.write(
      `backfill test: generated and uploaded ${generated.length + 2} objects in ${Date.now() - started} ms\n`,
    );
  }, 120_000);

  afterAll(async () => {
    s3?.destroy();
    dynamodb?.destroy();
    await Promise.all([s3server?.stop(), dynalite?.stop()]);
    if (cwd) rmSync(cwd, { recursive: true, force: true });
  });

  test('the generated data spans what the test claims', () => {
    expect(generated).toHaveLength(1000);
    expect(new Set(generated.map((g) => g.key.split('/CloudTrail/')[0]))).toHaveProperty('size', 3);
    expect(new Set(generated.map((g) => g.day))).toHaveProperty('size', 5);
    // Each file: two watched calls, both normalizable; the S3 call is not watched.
    expect(generated.every((g) => g.items.length === 2)).toBe(true);
    expect(expected.size).toBe(generated.filter((g) => g.day >= RANGE.from && g.day <= RANGE.to).length * 2);
  });

  test('--dry-run lists the objects of the range and writes nothing', async () => {
    // Prepare
    const table = await newTable();
    const io = captureIO(cwd, env);
    const { seen, overrides } = counting();

    // Act
    const code = await createBackfillCommand(overrides).run([...rangeArgs(table), '--dry-run'], io);

    // Assess
    expect(code).toBe(0);
    const inRange = generated.filter((g) => g.day >= RANGE.from && g.day <= RANGE.to).length;
    // The zero-byte object is listed too (the processor would skip it).
    expect(io.out()).toContain(`would process: ${inRange + 1} objects`);
    expect(io.out()).toContain('day folders:   18 (0 already done per the checkpoint)');
    expect(io.out()).toContain(`${PREFIX}AWSLogs/${ORG}/${ACCOUNTS[2]}/CloudTrail/eu-west-1/  3 days`);
    expect(seen).toEqual([]);
    expect((await snapshot(dynamodb, table)).size).toBe(0);
    expect(existsSync(join(cwd, '.trailwatch'))).toBe(false);
  });

  test('--prefix accepts the stack output LogKeyPrefix (ending in AWSLogs/) as the part before it', async () => {
    // Prepare
    const table = await newTable();
    const withOutput = rangeArgs(table).map((a) => (a === PREFIX ? `${PREFIX}AWSLogs/` : a));
    const io = captureIO(cwd, env);
    // Act
    const code = await createBackfillCommand(counting().overrides).run([...withOutput, '--dry-run'], io);
    // Assess
    expect(code).toBe(0);
    expect(io.out()).toContain(
      `backfill of s3://${BUCKET}/${PREFIX}AWSLogs/ from ${RANGE.from} to ${RANGE.to} (dry run)`,
    );
    expect(io.out()).toContain('day folders:   18 (0 already done per the checkpoint)');
  });

  test('a real run that finds no log object says so and exits 1; a dry run says so and exits 0', async () => {
    // Prepare: a prefix with nothing under it, as a wrong --prefix would give.
    const table = await newTable();
    const args = rangeArgs(table).map((a) => (a === PREFIX ? 'not-the-trail/' : a));
    // Its own folder, so its checkpoint does not mix with those the other tests count.
    const own = mkdtempSync(join(tmpdir(), 'trailwatch-backfill-empty-'));
    const real = captureIO(own, env);
    const dry = captureIO(own, env);
    // Act
    const realCode = await createBackfillCommand(counting().overrides).run(args, real);
    const dryCode = await createBackfillCommand(counting().overrides).run([...args, '--dry-run'], dry);
    // Assess
    const said = `result: no log object found under s3://${BUCKET}/not-the-trail/AWSLogs/ from ${RANGE.from} to ${RANGE.to}`;
    expect(realCode).toBe(1);
    expect(real.out()).toContain(`${said}; nothing was backfilled (check --bucket, --prefix`);
    expect(real.out()).not.toContain('every object was processed');
    expect(dryCode).toBe(0);
    expect(dry.out()).toContain(`${said}; nothing would be backfilled`);
    rmSync(own, { recursive: true, force: true });
  });

  test('a later --alerts run is not skipped by the checkpoint of a run without alerts (issue 15, case 8)', async () => {
    // Prepare: one account, region and day (33 objects, some with failed calls), a local SNS endpoint
    // and an alert state table; first a backfill without alerts, with the default checkpoint.
    const table = await newTable();
    const stateTable = `alert-state-${tables}`;
    await dynamodb.send(new CreateTableCommand(alertStateTableDefinition(stateTable)));
    const own = mkdtempSync(join(tmpdir(), 'trailwatch-backfill-alerts-'));
    const sns = await startSnsServer({ outbox: join(own, 'outbox') });
    try {
      const topicArn = sns.createTopic('alerts');
      const day = RANGE.from;
      const scope = [
        ...rangeArgs(table).map((a) => (a === RANGE.to ? day : a)),
        '--accounts',
        ACCOUNTS[0] as string,
        '--regions',
        'us-east-1',
      ];
      const objects = generated.filter(
        (g) => g.day === day && g.key.startsWith(accountRoot(0)) && g.key.includes('/us-east-1/'),
      );
      const failedIds = objects.flatMap((g) => failedEventIds(g.body));
      expect(failedIds.length).toBeGreaterThan(0);
      const quiet = await createBackfillCommand(counting().overrides).run(scope, captureIO(own, env));
      expect(quiet).toBe(0);

      // Act: the same range with --alerts.
      const loud = counting();
      const io = captureIO(own, { ...env, AWS_ENDPOINT_URL_SNS: sns.endpoint });
      const code = await createBackfillCommand(loud.overrides).run(
        [...scope, '--alerts', '--topic-arn', topicArn, '--alert-state-table', stateTable],
        io,
      );

      // Assess: every object was read again and each failed call alerted once, or counted as
      // suppressed by noise control (the seeds' failures repeat one signature).
      expect(code).toBe(0);
      expect(loud.seen.sort()).toEqual(objects.map((g) => g.key).sort());
      const messages = readOutbox(join(own, 'outbox')).map((m) => m.message);
      const alerted = failedIds.filter((id) => messages.some((m) => m.includes(id)));
      expect(failedIds.filter((id) => messages.filter((m) => m.includes(id)).length > 1)).toEqual([]);
      const suppressed = Number(/alerts: +\d+ sent, (\d+) failed calls suppressed/.exec(io.out())?.[1]);
      expect(alerted.length).toBeGreaterThan(0);
      expect(alerted.length + suppressed).toBe(failedIds.length);
    } finally {
      await sns.stop();
      rmSync(own, { recursive: true, force: true });
    }
  });

  test('interrupted halfway and resumed, it stores exactly the events of the range; a second run adds nothing', async () => {
    const table = await newTable();
    const inRange = generated.filter((g) => g.day >= RANGE.from && g.day <= RANGE.to);

    // Act 1: interrupted after 300 objects (as Ctrl-C would: the objects in flight finish).
    const first = counting({ n: 300, controller: new AbortController() });
    const io1 = captureIO(cwd, env);
    const t1 = Date.now();
    const code1 = await createBackfillCommand(first.overrides).run(rangeArgs(table), io1);
    const afterInterrupt = await snapshot(dynamodb, table);

    // Assess 1
    expect(code1).toBe(1);
    expect(io1.out()).toContain(
      'result: interrupted; run the same command again to resume from the checkpoint',
    );
    expect(first.seen.length).toBeGreaterThanOrEqual(300);
    expect(first.seen.length).toBeLessThan(300 + 16 + 1);
    expect(afterInterrupt.size).toBeGreaterThan(0);
    expect(afterInterrupt.size).toBeLessThan(expected.size);
    const checkpoints = readdirSync(join(cwd, '.trailwatch', 'checkpoints'));
    expect(checkpoints).toHaveLength(1);
    const cpPath = join(cwd, '.trailwatch', 'checkpoints', checkpoints[0] as string);
    expect(io1.out()).toContain(`checkpoint:    .trailwatch/checkpoints/${checkpoints[0]}`);

    // Act 2: resumed.
    const second = counting();
    const io2 = captureIO(cwd, env);
    const t2 = Date.now();
    const code2 = await createBackfillCommand(second.overrides).run(rangeArgs(table), io2);
    const afterResume = await snapshot(dynamodb, table);

    // Assess 2: nothing read twice, and the union is exactly the range (plus the zero-byte object, skipped).
    expect(code2).toBe(0);
    expect(io2.out()).toContain('result: every object was processed');
    // Not a terminal: plain progress lines on stderr, the last one complete.
    expect(io2.err()).toMatch(
      /^backfill: (\d+)\/\1 objects, [\d.]+\/[\d.]+ MB, [\d.]+ objects\/s, [\d.]+ MB\/s, ETA 0s$/m,
    );
    expect(second.seen.filter((k) => first.seen.includes(k))).toEqual([]);
    expect(new Set([...first.seen, ...second.seen]).size).toBe(inRange.length + 1);
    expect(io2.out()).toMatch(
      /objects: +\d+ processed, \d skipped, 0 failed \(\d+ already done per the checkpoint\)/,
    );
    expect(new Set(afterResume.keys())).toEqual(expected);
    const cp = CheckpointDataSchema.parse(JSON.parse(readFileSync(cpPath, 'utf8')));
    expect(cp.doneDays).toHaveLength(18);
    expect(cp.doneKeys).toEqual({});
    expect(cp.failedKeys).toEqual({});

    // Act 3: run again.
    const third = counting();
    const io3 = captureIO(cwd, env);
    const code3 = await createBackfillCommand(third.overrides).run(rangeArgs(table), io3);

    // Assess 3: nothing read, nothing written.
    expect(code3).toBe(0);
    expect(third.seen).toEqual([]);
    expect(io3.out()).toContain('day folders:   18 (18 already done per the checkpoint)');
    expect(await snapshot(dynamodb, table)).toEqual(afterResume);
    process.stderr.write(`backfill test: interrupted run ${t2 - t1} ms, resume ${Date.now() - t2} ms\n`);
  });

  test('Ctrl-C on the real command stops it cleanly with the checkpoint saved; the next run completes it', async () => {
    // Prepare: one account over the range (200 objects), processed slowly enough to be interrupted.
    const table = await newTable();
    const args = [
      ...rangeArgs(table).slice(0, -2),
      '--accounts',
      ACCOUNTS[0] as string,
      '--concurrency',
      '2',
    ];
    const subset = generated.filter(
      (g) => g.day >= RANGE.from && g.day <= RANGE.to && g.key.includes(`/${ACCOUNTS[0]}/`),
    );
    const child = spawn(
      process.execPath,
      [join(__dirname, '..', '..', 'cli', 'bin.js'), 'backfill', ...args],
      {
        cwd,
        env: { ...process.env, ...env, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

    // Act: SIGINT once some events are stored, as a terminal's Ctrl-C would send.
    const deadline = Date.now() + 30_000;
    while ((await snapshot(dynamodb, table)).size < 20 && Date.now() < deadline && child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGINT');
    const code = await exited;
    const stored = (await snapshot(dynamodb, table)).size;
    const resumed = counting();
    const code2 = await createBackfillCommand(resumed.overrides).run(args, captureIO(cwd, env));

    // Assess
    expect(code).toBe(1);
    expect(out).toContain('result: interrupted; run the same command again to resume from the checkpoint');
    expect(stored).toBeGreaterThanOrEqual(20);
    expect(stored).toBeLessThan(subset.length * 2);
    expect(code2).toBe(0);
    expect(resumed.seen.length).toBeLessThan(subset.length);
    expect(new Set((await snapshot(dynamodb, table)).keys())).toEqual(
      new Set(subset.flatMap((g) => g.items)),
    );
  }, 60_000);

  test('--restart reads everything again and the table keeps exactly the same events', async () => {
    // Prepare: a full run of one day of one account and region into its own table.
    const table = await newTable();
    const day = RANGE.from;
    const folder = generated.filter(
      (g) => g.day === day && g.key.includes(`/${ACCOUNTS[1]}/CloudTrail/eu-west-1/`),
    );
    const args = [
      '--bucket',
      BUCKET,
      '--prefix',
      PREFIX,
      '--from',
      day,
      '--to',
      day,
      '--accounts',
      ACCOUNTS[1] as string,
      '--regions',
      'eu-west-1',
      '--table',
      table,
    ];
    expect(await createBackfillCommand(counting().overrides).run(args, captureIO(cwd, env))).toBe(0);
    const before = await snapshot(dynamodb, table);

    // Act
    const again = counting();
    const io = captureIO(cwd, env);
    const code = await createBackfillCommand(again.overrides).run([...args, '--restart'], io);
    const after = await snapshot(dynamodb, table);

    // Assess: every object read again, the same items (only the ingestion time may move).
    expect(code).toBe(0);
    expect(folder.length).toBeGreaterThan(30);
    expect(again.seen.sort()).toEqual(folder.map((g) => g.key).sort());
    expect(new Set(after.keys())).toEqual(new Set(folder.flatMap((g) => g.items)));
    const withoutIngestedAt = (m: Map<string, string>) =>
      new Map([...m].map(([k, v]) => [k, JSON.stringify({ ...JSON.parse(v), ingestedAt: undefined })]));
    expect(withoutIngestedAt(after)).toEqual(withoutIngestedAt(before));
  });

  test('a corrupt object fails with its key in the summary and exit 1; once fixed, only it is read again', async () => {
    // Prepare: one account, region and day outside the main range, with one corrupt file.
    const table = await newTable();
    const day = '2024-05-05';
    const folder = generated.filter(
      (g) => g.day === day && g.key.includes(`/${ACCOUNTS[0]}/CloudTrail/us-east-1/`),
    );
    const broken = folder[0] as Generated;
    await uploadAll(s3, [{ key: broken.key, body: Buffer.from('not gzip, not json') }]);
    const args = [
      '--bucket',
      BUCKET,
      '--prefix',
      PREFIX,
      '--from',
      day,
      '--to',
      day,
      '--accounts',
      ACCOUNTS[0] as string,
      '--regions',
      'us-east-1',
      '--table',
      table,
    ];

    try {
      // Act 1
      const io1 = captureIO(cwd, env);
      const code1 = await createBackfillCommand(counting().overrides).run(args, io1);

      // Assess 1
      expect(code1).toBe(1);
      expect(io1.out()).toContain(`${folder.length - 1} processed, 0 skipped, 1 failed`);
      expect(io1.out()).toContain(`errors (1):\n  s3://${BUCKET}/${broken.key}: cannot read the log file`);
      expect(io1.out()).toContain('result: NOT every object was processed');

      // Act 2: the object is repaired and the same command runs again.
      await uploadAll(s3, [broken]);
      const retry = counting();
      const io2 = captureIO(cwd, env);
      const code2 = await createBackfillCommand(retry.overrides).run(args, io2);

      // Assess 2
      expect(code2).toBe(0);
      expect(retry.seen).toEqual([broken.key]);
      const items = await snapshot(dynamodb, table);
      expect(new Set(items.keys())).toEqual(new Set(folder.flatMap((g) => g.items)));
    } finally {
      await uploadAll(s3, [broken]);
    }
  });

  test.each([
    [['--from', '2024-05-02'], '--bucket is required'],
    [
      ['--bucket', BUCKET, '--from', '2024-02-30', '--table', 't'],
      "--from: expected a UTC day YYYY-MM-DD, got '2024-02-30'",
    ],
    [
      ['--bucket', BUCKET, '--from', '2024-05-04', '--to', '2024-05-02', '--table', 't'],
      '--from 2024-05-04 is after --to 2024-05-02',
    ],
    [
      ['--bucket', BUCKET, '--accounts', '1234', '--table', 't'],
      "--accounts: '1234' is not a 12-digit account id",
    ],
    [['--bucket', BUCKET], '--table is required'],
    [['--bucket', BUCKET, '--table', 't', '--alerts'], '--alerts needs --topic-arn and --alert-state-table'],
    [
      ['--bucket', BUCKET, '--table', 't', '--concurrency', '0'],
      '--concurrency: expected a whole number from 1 to 256',
    ],
    [['--bucket', BUCKET, '--bogus'], "Unknown option '--bogus'"],
  ])('usage error %j: exit 2 with one line', async (argv, message) => {
    // Prepare
    const { main } = await import('../../cli/main');
    const io = captureIO(cwd, env);

    // Act
    const code = await main(['backfill', ...argv], io);

    // Assess
    expect(code).toBe(2);
    expect(io.err()).toContain(message);
    expect(io.err().trim().split('\n')).toHaveLength(1);
  });

  test('a bucket that does not exist is one line and exit 1', async () => {
    const table = await newTable();
    const { main } = await import('../../cli/main');
    const io = captureIO(cwd, env);
    const code = await main(['backfill', '--bucket', 'no-such-bucket', '--table', table], io);
    expect(code).toBe(1);
    expect(io.err().trim()).toBe(
      'trailwatch backfill: s3://no-such-bucket/AWSLogs/: bucket no-such-bucket does not exist (check --bucket, --region and the endpoint)',
    );
  });

  test('an S3 endpoint that is the DynamoDB server is one line naming the variable and the fix', async () => {
    // Prepare: the table check passes against dynalite, then S3 listing gets DynamoDB's answer.
    const table = await newTable();
    const { main } = await import('../../cli/main');
    const io = captureIO(cwd, {
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_S3: dynalite.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: dynalite.endpoint,
    });
    // Act
    const code = await main(['backfill', '--bucket', BUCKET, '--table', table], io);
    // Assess
    expect(code).toBe(1);
    expect(io.err()).toBe(
      `trailwatch backfill: AWS_ENDPOINT_URL_S3 ${dynalite.endpoint} did not answer like S3: is it another service's port? ` +
        '(trailwatch local --serve: S3 is http://127.0.0.1:4568)\n',
    );
  });

  test('a DynamoDB endpoint that is the S3 server is one line naming the flag, before anything is read', async () => {
    const { main } = await import('../../cli/main');
    const io = captureIO(cwd, { AWS_REGION: 'us-east-1' });
    const code = await main(
      [
        'backfill',
        '--bucket',
        BUCKET,
        '--table',
        'events',
        '--s3-endpoint-url',
        s3server.endpoint,
        '--dynamodb-endpoint-url',
        s3server.endpoint,
      ],
      io,
    );
    expect(code).toBe(1);
    expect(io.err()).toBe(
      `trailwatch backfill: --dynamodb-endpoint-url ${s3server.endpoint} did not answer like DynamoDB: is it another service's port? ` +
        '(trailwatch local --serve: DynamoDB is http://127.0.0.1:4567)\n',
    );
  });

  test('one --endpoint-url for every service is refused with the per-service flags to use (exit 2)', async () => {
    const { main } = await import('../../cli/main');
    const io = captureIO(cwd, {});
    const code = await main(
      ['backfill', '--bucket', BUCKET, '--table', 't', '--endpoint-url', 'http://127.0.0.1:4567'],
      io,
    );
    expect(code).toBe(2);
    expect(io.err()).toBe(
      'trailwatch backfill: --endpoint-url: this command talks to S3, DynamoDB, SNS, each at its own endpoint; give ' +
        '--s3-endpoint-url, --dynamodb-endpoint-url, --sns-endpoint-url (trailwatch local --serve: S3 http://127.0.0.1:4568, ' +
        'DynamoDB http://127.0.0.1:4567, SNS http://127.0.0.1:4575)\n',
    );
  });

  test('a table that does not exist is one line and exit 1, before anything is read', async () => {
    const { main } = await import('../../cli/main');
    const io = captureIO(cwd, env);
    const code = await main(['backfill', ...rangeArgs('no-such-table')], io);
    expect(code).toBe(1);
    expect(io.err().trim()).toBe(
      `trailwatch backfill: --table no-such-table: no such DynamoDB table at ${dynalite.endpoint} (check the name, --region and the endpoint)`,
    );
  });
});
