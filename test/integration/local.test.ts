import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { CONTRACT_ITEM_KEY, eventPartitionKey, shardOf } from '../../lambdas/core/table-contract';
import type { ServiceName } from '../../lambdas/core/services';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createAwsClients, LOCAL_CREDENTIALS, type AwsClients } from '../../lambdas/adapters/aws-clients';
import { ChatNotificationSchema, type ChatNotification } from '../../lambdas/core/alert-chat';
import { readOutbox, type OutboxMessage } from '../../local/sns-server';
import { seedRecords } from '../../local/seed-records';

/** The outbox messages published to one local topic (the alert topic or the chat topic). */
function onTopic(messages: OutboxMessage[], topic: string): OutboxMessage[] {
  return messages.filter((m) => m.topicArn.endsWith(`:${topic}`));
}

/** The custom notifications saved in outbox/chat/, each checked against the format's schema. */
function chatNotifications(data: string): ChatNotification[] {
  const folder = path.join(data, 'outbox', 'chat');
  if (!fs.existsSync(folder)) return [];
  return fs
    .readdirSync(folder)
    .sort()
    .map((f) => ChatNotificationSchema.parse(JSON.parse(fs.readFileSync(path.join(folder, f), 'utf8'))));
}

// `trailwatch local` as a user runs it: the real command in its own process, on free ports.
const REPO = path.resolve(__dirname, '..', '..');
const SERVICE_OF: Record<string, string> = {
  'glue.amazonaws.com': 'glue',
  'elasticmapreduce.amazonaws.com': 'emr',
  'athena.amazonaws.com': 'athena',
  'batch.amazonaws.com': 'batch',
};

/** A running `trailwatch local` process and what it printed so far. */
class LocalProcess {
  readonly child: ChildProcessWithoutNullStreams;
  stdout = '';
  stderr = '';
  private readonly listeners = new Set<() => void>();
  readonly exited: Promise<number | null>;

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [path.join(REPO, 'cli', 'bin.js'), 'local', ...args], {
      cwd: REPO,
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    this.child.stdout.on('data', (c: Buffer) => {
      this.stdout += c.toString('utf8');
      for (const l of [...this.listeners]) l();
    });
    this.child.stderr.on('data', (c: Buffer) => {
      this.stderr += c.toString('utf8');
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  /** Resolves when stdout satisfies `test`, rejects after `timeoutMs` with what was printed. */
  waitFor(test: (stdout: string) => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!test(this.stdout)) return;
        this.listeners.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error(`timed out waiting for ${what}\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`));
      }, timeoutMs);
      this.listeners.add(check);
      check();
    });
  }

  endpoint(name: string): string {
    const m = new RegExp(`${name} endpoint:\\s+(http://\\S+)`).exec(this.stdout);
    if (!m?.[1]) throw new Error(`no ${name} endpoint in:\n${this.stdout}`);
    return m[1];
  }

  count(pattern: RegExp): number {
    return (this.stdout.match(new RegExp(pattern.source, 'gm')) ?? []).length;
  }

  async stop(): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill('SIGINT');
    return this.exited;
  }
}

/** The seed examples, each in its own log file under the key CloudTrail gives it; one prefix has a space and a plus. */
function seedUploads(): Array<{ key: string; body: Buffer; record: Record<string, unknown> }> {
  return seedRecords().map((seed, i) => {
    const r = seed.record;
    const account = (r.recipientAccountId as string | undefined) ?? '123456789012';
    const region = r.awsRegion as string;
    const time = r.eventTime as string;
    const [y, m, d] = time.slice(0, 10).split('-');
    const stamp = `${time.slice(0, 4)}${time.slice(5, 7)}${time.slice(8, 10)}T${time.slice(11, 13)}${time.slice(14, 16)}Z`;
    const prefix = seed.name === 'athena-start-query-execution-failed' ? 'team logs+archive/' : '';
    const key = `${prefix}AWSLogs/${account}/CloudTrail/${region}/${y}/${m}/${d}/${account}_CloudTrail_${region}_${stamp}_TEST${i}.json.gz`;
    return { key, body: gzipSync(JSON.stringify({ Records: [r] })), record: r };
  });
}

async function scan(clients: AwsClients): Promise<Array<Record<string, AttributeValue>>> {
  const out = await clients.dynamodb.send(new ScanCommand({ TableName: 'trailwatch-events' }));
  // The events only: not the table's contract item (docs/table.md).
  return (out.Items ?? [])
    .filter((i) => i.pk?.S !== CONTRACT_ITEM_KEY.pk)
    .sort((a, b) => (a.sk?.S ?? '').localeCompare(b.sk?.S ?? ''));
}

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trailwatch-local-'));
});
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('trailwatch local --serve', () => {
  let proc: LocalProcess | undefined;
  let clients: AwsClients | undefined;
  afterEach(async () => {
    clients?.s3.destroy();
    clients?.dynamodb.destroy();
    await proc?.stop();
  });

  it('stores exactly the seed events and alerts the Athena failure once; a re-upload changes nothing and sends nothing', async () => {
    // Prepare: the real command on free ports, empty.
    const data = path.join(tmp, 'data');
    proc = new LocalProcess([
      '--serve',
      '--no-samples',
      '--s3-port',
      '0',
      '--dynamodb-port',
      '0',
      '--sns-port',
      '0',
      '--data',
      data,
    ]);
    await proc.waitFor((out) => out.includes('Press Ctrl-C to stop'), 'the stack to be ready');
    clients = createAwsClients({
      region: 'us-east-1',
      credentials: LOCAL_CREDENTIALS,
      endpoints: { s3: proc.endpoint('S3'), dynamodb: proc.endpoint('DynamoDB') },
    });
    const uploads = seedUploads();

    // Act: upload the seven log files with the S3 SDK.
    for (const u of uploads)
      await clients.s3.send(new PutObjectCommand({ Bucket: 'trailwatch-logs', Key: u.key, Body: u.body }));
    await proc.waitFor((out) => (out.match(/^processed /gm) ?? []).length >= 7, '7 processed objects');

    // Assess: exactly one item per seed, keyed and attributed as the table contract says.
    const items = await scan(clients);
    const expected = uploads
      .map((u) => {
        const r = u.record;
        const failed = r.errorCode !== undefined;
        return {
          pk: eventPartitionKey(
            SERVICE_OF[r.eventSource as string] as ServiceName,
            (r.eventTime as string).slice(0, 10),
            shardOf(SERVICE_OF[r.eventSource as string] as ServiceName, r.eventID as string),
          ),
          sk: `${r.eventTime as string}#${r.eventID as string}`,
          eventName: r.eventName,
          failed,
          errorCode: failed ? r.errorCode : undefined,
          failurePk: failed
            ? eventPartitionKey(
                SERVICE_OF[r.eventSource as string] as ServiceName,
                (r.eventTime as string).slice(0, 10),
                shardOf(SERVICE_OF[r.eventSource as string] as ServiceName, r.eventID as string),
              )
            : undefined,
          s3Bucket: 'trailwatch-logs',
          s3Key: u.key,
        };
      })
      .sort((a, b) => a.sk.localeCompare(b.sk));
    expect(
      items.map((i) => ({
        pk: i.pk?.S,
        sk: i.sk?.S,
        eventName: i.eventName?.S,
        failed: i.failed?.BOOL,
        errorCode: i.errorCode?.S,
        failurePk: i.failurePk?.S,
        s3Bucket: i.s3Bucket?.S,
        s3Key: i.s3Key?.S,
      })),
    ).toEqual(expected);
    expect(items.find((i) => i.s3Key?.S?.startsWith('team logs+archive/'))?.eventName?.S).toBe(
      'StartQueryExecution',
    );

    // ... and exactly one alert: the Athena failure, saved in the outbox and printed as an email,
    // and once on the chat topic, its custom notification saved in outbox/chat/ and printed.
    const outbox = onTopic(readOutbox(path.join(data, 'outbox')), 'trailwatch-alerts');
    expect(outbox).toHaveLength(1);
    expect(onTopic(readOutbox(path.join(data, 'outbox')), 'trailwatch-chat')).toHaveLength(1);
    expect(chatNotifications(data).map((n) => n.content.title)).toEqual([
      'Athena StartQueryExecution failed: InvalidRequestException in 123456789012 us-east-1',
    ]);
    expect(proc.stdout).toMatch(/chat alert sent to arn:aws:sns:us-east-1:\d+:trailwatch-chat/);
    expect(proc.stdout).toContain('*Athena StartQueryExecution failed: InvalidRequestException');
    expect(outbox[0]?.subject).toMatch(/Athena/);
    expect(outbox[0]?.messageAttributes.service?.value).toBe('athena');
    expect(outbox[0]?.message).toContain('6e1fc69b-d076-477e-8dec-024ee51488c4');
    expect(proc.stdout).toContain(`Subject: ${outbox[0]?.subject}`);

    // Act again: the same objects uploaded a second time.
    for (const u of uploads)
      await clients.s3.send(new PutObjectCommand({ Bucket: 'trailwatch-logs', Key: u.key, Body: u.body }));
    await proc.waitFor((out) => (out.match(/^processed /gm) ?? []).length >= 14, '14 processed objects');

    // Assess: the table is exactly as before and nothing more was sent, on either topic.
    expect(await scan(clients)).toEqual(items);
    expect(readOutbox(path.join(data, 'outbox'))).toHaveLength(2);
    expect(chatNotifications(data)).toHaveLength(1);

    // Ctrl-C stops it cleanly.
    expect(await proc.stop()).toBe(0);
    expect(proc.stdout).toContain('Stopped.');
    proc = undefined;
  });

  it('keeps objects and tables across runs in --data', async () => {
    // Prepare: a first run stores one file, then stops.
    const data = path.join(tmp, 'data');
    const args = [
      '--serve',
      '--no-samples',
      '--s3-port',
      '0',
      '--dynamodb-port',
      '0',
      '--sns-port',
      '0',
      '--data',
      data,
    ];
    proc = new LocalProcess(args);
    await proc.waitFor((out) => out.includes('Press Ctrl-C to stop'), 'the stack to be ready');
    clients = createAwsClients({
      region: 'us-east-1',
      credentials: LOCAL_CREDENTIALS,
      endpoints: { s3: proc.endpoint('S3'), dynamodb: proc.endpoint('DynamoDB') },
    });
    const [upload] = seedUploads();
    await clients.s3.send(
      new PutObjectCommand({ Bucket: 'trailwatch-logs', Key: upload?.key, Body: upload?.body }),
    );
    await proc.waitFor((out) => /^processed /m.test(out), 'the object to be processed');
    expect(await proc.stop()).toBe(0);
    clients.s3.destroy();
    clients.dynamodb.destroy();

    // Act: a second run on the same folder.
    proc = new LocalProcess(args);
    await proc.waitFor((out) => out.includes('Press Ctrl-C to stop'), 'the stack to be ready again');
    clients = createAwsClients({
      region: 'us-east-1',
      credentials: LOCAL_CREDENTIALS,
      endpoints: { s3: proc.endpoint('S3'), dynamodb: proc.endpoint('DynamoDB') },
    });

    // Assess
    expect(await scan(clients)).toHaveLength(1);
    expect(fs.readdirSync(path.join(data, 's3', 'trailwatch-logs')).length).toBeGreaterThan(0);
  });
});

describe('trailwatch local (npm start)', () => {
  it('uploads the samples, prints what happened and the alerts, and exits by itself; a second run sends nothing again', async () => {
    // Prepare
    const data = path.join(tmp, 'data');

    // Act
    const first = new LocalProcess(['--data', data]);
    const firstCode = await first.exited;
    const second = new LocalProcess(['--data', data]);
    const secondCode = await second.exited;

    // Assess
    expect({ code: firstCode, stderr: first.stderr.replace(/^samples: .*\n/gm, '') }).toEqual({
      code: 0,
      stderr: '',
    });
    expect(first.stdout).toMatch(/Log objects: 104 processed, 4 skipped \(4 digest\), 0 failed/);
    expect(first.stdout).toMatch(/Events stored: \d+ \(Glue \d+, EMR \d+, Athena \d+, Batch \d+\)/);
    // The samples' 6 failures, and the two-path demo: one call alerted by EventBridge, then its log file
    // alerting only the second call (the first already alerted).
    expect(first.stdout).toMatch(
      /EventBridge \(real time\) +alert for \S+: sent \d+ ms after the event reached trailwatch/,
    );
    expect(first.stdout).toMatch(/S3 log file \(backstop\) +alert for \S+: sent \d+ ms after/);
    expect(first.stdout).toContain(
      'The log file alerted only the call EventBridge missed: each failure alerted once.',
    );
    expect(first.stdout).toMatch(/Failed calls: 8\n/);
    expect(first.stdout).toMatch(/Alerts sent: 8 \(1 failed call was already alerted/);
    expect(first.count(/^Subject: trailwatch: /)).toBe(8);
    expect(first.stdout).toContain('npx trailwatch query --endpoint-url');
    expect(first.stdout).toContain('aws --endpoint-url');
    expect(first.stdout).toContain('AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1');
    expect(first.stdout).toMatch(
      /backfill --s3-endpoint-url http:\/\/127\.0\.0\.1:4568 --dynamodb-endpoint-url http:\/\/127\.0\.0\.1:4567 /,
    );
    // Each alert also on the chat topic (the demo's two as well: both paths compose the same channels).
    expect(first.stdout).toMatch(/as a Slack or Teams channel shows it \(all 8 in .*outbox\/chat\)/);
    expect(first.stdout).toMatch(/^Thread: {2}.* \(trailwatch-[0-9a-f]{32}\)$/m);

    // The second run (both ran before these checks): the samples alert nothing again; the demo's two
    // new calls alert once each, so the outbox holds 8 + 2.
    expect(secondCode).toBe(0);
    expect(second.stdout).toMatch(
      /Alerts sent: 2 \(7 failed calls were already alerted \(by an earlier run or the real-time path\), and nothing is sent twice\)\n/,
    );
    // 8 + 2 alerts, each published to the alert topic and to the chat topic.
    expect(onTopic(readOutbox(path.join(data, 'outbox')), 'trailwatch-alerts')).toHaveLength(10);
    expect(readOutbox(path.join(data, 'outbox'))).toHaveLength(20);
    expect(chatNotifications(data)).toHaveLength(10);
  });

  it('refuses a bad flag with a one-line usage error', async () => {
    const proc = new LocalProcess(['--s3-port', 'abc']);
    expect(await proc.exited).toBe(2);
    expect(proc.stderr.trim()).toBe(
      "trailwatch local: --s3-port: expected a port number from 0 to 65535, got 'abc'",
    );
  });
});
