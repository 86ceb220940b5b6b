// Issue 15, case 8: after `kill -9` of `trailwatch local --serve`, every queued notification was
// gone and the restart processed nothing. The queue now lives in the data folder: a restart must
// handle what the killed run left, so every event ends up stored and every failure alerted.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createAwsClients, LOCAL_CREDENTIALS, type AwsClients } from '../../lambdas/adapters/aws-clients';
import { readOutbox } from '../../local/sns-server';
import { seedRecord } from '../../local/seed-records';

const REPO = path.resolve(__dirname, '..', '..');
const OBJECTS = 24;
const RECORDS = 150;

/** `trailwatch local --serve` in its own process, and what it printed. */
class LocalProcess {
  readonly child: ChildProcessWithoutNullStreams;
  stdout = '';
  stderr = '';
  readonly exited: Promise<void>;

  constructor(data: string) {
    const args = ['local', '--serve', '--no-samples', '--data', data];
    for (const port of ['--s3-port', '--dynamodb-port', '--sns-port']) args.push(port, '0');
    this.child = spawn(process.execPath, [path.join(REPO, 'cli', 'bin.js'), ...args], { cwd: REPO });
    this.child.stdout.on('data', (c: Buffer) => (this.stdout += c.toString('utf8')));
    this.child.stderr.on('data', (c: Buffer) => (this.stderr += c.toString('utf8')));
    this.exited = new Promise((resolve) => this.child.on('exit', () => resolve()));
  }

  async waitFor(test: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!test()) {
      if (Date.now() > until || this.child.exitCode !== null) {
        throw new Error(`no ${what}\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  processedKeys(): string[] {
    return [...this.stdout.matchAll(/^processed\s+s3:\/\/trailwatch-logs\/([^:\s]+):/gm)].map(
      (m) => m[1] as string,
    );
  }

  endpoint(name: string): string {
    const m = new RegExp(`${name} endpoint:\\s+(http://\\S+)`).exec(this.stdout);
    if (!m?.[1]) throw new Error(`no ${name} endpoint in:\n${this.stdout}`);
    return m[1];
  }
}

/** One log file: RECORDS Glue calls, the first failed with an error code of its own (its own alert). */
function logObject(i: number): { key: string; body: Buffer; eventIds: string[]; failedId: string } {
  const seed = seedRecord('glue-delete-crawler').record;
  const records = Array.from({ length: RECORDS }, (_, j) => ({
    ...seed,
    eventID: `crash-${i}-${j}`,
    eventTime: `2024-05-01T10:${String(i).padStart(2, '0')}:${String(j % 60).padStart(2, '0')}Z`,
    recipientAccountId: '123456789012',
    awsRegion: 'us-east-1',
    ...(j === 0 ? { errorCode: `CrashTest${i}Exception`, errorMessage: 'injected' } : {}),
  }));
  const key = `AWSLogs/123456789012/CloudTrail/us-east-1/2024/05/01/123456789012_CloudTrail_us-east-1_20240501T10${String(i).padStart(2, '0')}Z_crash${i}.json.gz`;
  return {
    key,
    body: gzipSync(JSON.stringify({ Records: records })),
    eventIds: records.map((r) => r.eventID),
    failedId: `crash-${i}-0`,
  };
}

async function scanAll(clients: AwsClients): Promise<Array<Record<string, AttributeValue>>> {
  const items: Array<Record<string, AttributeValue>> = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await clients.dynamodb.send(
      new ScanCommand({ TableName: 'trailwatch-events', ...(start ? { ExclusiveStartKey: start } : {}) }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

let tmp: string;
const running: LocalProcess[] = [];
const clientsMade: AwsClients[] = [];

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trailwatch-crash-'));
});

afterEach(async () => {
  for (const c of clientsMade.splice(0)) {
    c.s3.destroy();
    c.dynamodb.destroy();
  }
  for (const p of running.splice(0)) {
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGINT');
    await p.exited;
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});

function clientsOf(p: LocalProcess): AwsClients {
  const c = createAwsClients({
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
    endpoints: { s3: p.endpoint('S3'), dynamodb: p.endpoint('DynamoDB') },
  });
  clientsMade.push(c);
  return c;
}

test('kill -9 mid-run, restart: the queued notifications are handled, every event stored once, every failure alerted', async () => {
  // Prepare: the real command, and the objects uploaded at once (each upload answered = queued).
  const data = path.join(tmp, 'data');
  const first = new LocalProcess(data);
  running.push(first);
  await first.waitFor(() => first.stdout.includes('Press Ctrl-C to stop'), 'ready line');
  const objects = Array.from({ length: OBJECTS }, (_, i) => logObject(i));
  const s3 = clientsOf(first).s3;
  await Promise.all(
    objects.map((o) =>
      s3.send(new PutObjectCommand({ Bucket: 'trailwatch-logs', Key: o.key, Body: o.body })),
    ),
  );

  // Act 1: kill -9 once a few objects are done and the rest still queued.
  await first.waitFor(() => first.processedKeys().length >= 2, 'two processed objects');
  first.child.kill('SIGKILL');
  await first.exited;
  const doneBeforeKill = new Set(first.processedKeys());
  expect(doneBeforeKill.size).toBeLessThan(OBJECTS);

  // Act 2: a restart on the same data folder, nothing uploaded.
  const second = new LocalProcess(data);
  running.push(second);
  await second.waitFor(() => second.stdout.includes('Press Ctrl-C to stop'), 'ready line after the restart');
  const all = new Set(objects.map((o) => o.key));
  await second.waitFor(
    () => [...all].every((k) => doneBeforeKill.has(k) || second.processedKeys().includes(k)),
    'every object handled after the restart',
  );
  await second.waitFor(() => fs.readdirSync(path.join(data, 'queue')).length === 0, 'an empty queue');

  // Assess: the restart said what it resumed and handled it; each event is one item, all there.
  const resumed = Number(/Resuming (\d+) notifications/.exec(second.stdout)?.[1]);
  expect(resumed).toBeGreaterThanOrEqual(OBJECTS - doneBeforeKill.size);
  // The table's contract item (table v1, docs/table.md "Versions") is not an event.
  const items = (await scanAll(clientsOf(second))).filter((i) => i.pk?.S !== 'trailwatch#contract');
  // The eventId is the part of sk after '#' (docs/table.md, "Attributes left out").
  const ids = items.map((i) => i.sk?.S?.split('#')[1]);
  expect(ids).toHaveLength(new Set(ids).size);
  expect(new Set(ids)).toEqual(new Set(objects.flatMap((o) => o.eventIds)));
  // Every failure alerted; at most the one publish in flight at the kill can repeat (docs/alerts.md).
  // The alert topic's messages (the chat topic gets each alert once more, in its own form).
  const messages = readOutbox(path.join(data, 'outbox'))
    .filter((m) => m.topicArn.endsWith(':trailwatch-alerts'))
    .map((m) => m.message);
  const timesAlerted = objects.map(
    (o) => messages.filter((m) => new RegExp(`${o.failedId}(?!\\d)`).test(m)).length,
  );
  expect(timesAlerted.filter((n) => n === 0)).toEqual([]);
  expect(timesAlerted.filter((n) => n > 1).length).toBeLessThanOrEqual(1);
  expect(Math.max(...timesAlerted)).toBeLessThanOrEqual(2);
}, 120_000);
