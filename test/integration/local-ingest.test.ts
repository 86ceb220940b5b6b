import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { ingestCommand } from '../../cli/commands/ingest';
import { main } from '../../cli/main';
import type { CliIO } from '../../cli/usage';
import { startLocalStack, type LocalStack } from '../../local/stack';
import { readOutbox } from '../../local/sns-server';
import { seedRecords } from '../../local/seed-records';

// `trailwatch ingest` against the embedded stack's table and topic (the same servers `trailwatch local` runs).
let stack: LocalStack;
let tmp: string;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trailwatch-ingest-'));
  stack = await startLocalStack({ dataDir: path.join(tmp, 'data'), persistTables: false });
});
afterAll(async () => {
  await stack?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function captureIO(): CliIO & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
  return {
    stdout,
    stderr,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    cwd: tmp,
    out: () => out,
    err: () => err,
  };
}

function flags(): string[] {
  return [
    '--dynamodb-endpoint-url',
    stack.endpoints.dynamodb,
    '--sns-endpoint-url',
    stack.endpoints.sns,
    '--table',
    stack.tableName,
    '--alert-state-table',
    stack.alertStateTableName,
    '--topic-arn',
    stack.topicArn,
  ];
}

// The event items of the local table (not its contract item, docs/table.md).
async function events() {
  const items =
    (await stack.clients.dynamodb.send(new ScanCommand({ TableName: stack.tableName }))).Items ?? [];
  return items.filter((i) => i.pk?.S !== 'trailwatch#contract');
}

describe('trailwatch ingest', () => {
  it('runs the pipeline over a folder of files: events stored, one alert; a second run changes nothing and sends nothing', async () => {
    // Prepare: every seed in one file, a file of another service, a digest file and an empty file.
    const dir = path.join(tmp, 'logs');
    fs.mkdirSync(path.join(dir, 'sub', 'CloudTrail-Digest'), { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'seeds.json.gz'),
      gzipSync(JSON.stringify({ Records: seedRecords().map((s) => s.record) })),
    );
    fs.writeFileSync(
      path.join(dir, 'sub', 'plain.json'),
      JSON.stringify({ Records: [{ eventSource: 's3.amazonaws.com', eventName: 'ListBuckets' }] }),
    );
    fs.writeFileSync(path.join(dir, 'sub', 'CloudTrail-Digest', 'd.json.gz'), gzipSync('{}'));
    fs.writeFileSync(path.join(dir, 'sub', 'empty.json.gz'), '');
    const io = captureIO();

    // Act
    const code = await ingestCommand.run([...flags(), dir], io);

    // Assess
    expect(code).toBe(0);
    expect(io.out()).toMatch(
      /Files: 2 processed, 2 skipped \((1 digest, 1 empty-object|1 empty-object, 1 digest)\), 0 failed/,
    );
    expect(io.out()).toContain('Events stored in trailwatch-events: 7 (Glue 2, EMR 1, Athena 3, Batch 1)');
    expect(io.out()).toContain('Failed calls: 1');
    expect(io.out()).toMatch(/Alerts sent to arn:aws:sns:us-east-1:\d+:trailwatch-alerts: 1\n/);
    const items = await events();
    expect(items).toHaveLength(7);
    expect(new Set(items.map((i) => i.s3Key?.S))).toEqual(new Set([path.join(dir, 'seeds.json.gz')]));
    expect(readOutbox(stack.outbox)).toHaveLength(1);

    // Act again
    const again = captureIO();
    expect(await ingestCommand.run([...flags(), dir], again)).toBe(0);

    // Assess: same items, no second alert.
    expect(again.out()).toMatch(/: 0 \(1 failed call already alerted earlier\)/);
    const after = await events();
    const bySk = (a: Record<string, { S?: string }>, b: Record<string, { S?: string }>) =>
      (a.sk?.S ?? '').localeCompare(b.sk?.S ?? '');
    expect([...after].sort(bySk)).toEqual([...items].sort(bySk));
    expect(readOutbox(stack.outbox)).toHaveLength(1);
  });

  it('reports a file it cannot read, still processes the others, and exits 1', async () => {
    const dir = path.join(tmp, 'mixed');
    fs.mkdirSync(dir);
    const whole = gzipSync(JSON.stringify({ Records: seedRecords().map((s) => s.record) }));
    fs.writeFileSync(path.join(dir, 'a-truncated.json.gz'), whole.subarray(0, 100));
    fs.writeFileSync(path.join(dir, 'b-good.json.gz'), whole);
    const io = captureIO();

    const code = await ingestCommand.run(
      ['--no-alerts', '--dynamodb-endpoint-url', stack.endpoints.dynamodb, '--table', stack.tableName, dir],
      io,
    );

    expect(code).toBe(1);
    expect(io.err()).toContain(`file://${path.join(dir, 'a-truncated.json.gz')}: cannot read the log file: `);
    expect(io.out()).toMatch(/Files: 1 processed, 0 skipped, 1 failed/);
    expect(io.out()).toContain('Alerts: off (--no-alerts)');
  });

  it('names the flag in one line, before reading any file, when the table does not exist', async () => {
    // Prepare
    const file = path.join(tmp, 'to-missing-table.json.gz');
    fs.writeFileSync(file, gzipSync(JSON.stringify({ Records: seedRecords().map((s) => s.record) })));
    const io = captureIO();
    // Act
    const code = await main(
      [
        'ingest',
        '--no-alerts',
        '--dynamodb-endpoint-url',
        stack.endpoints.dynamodb,
        '--table',
        'no-such-table',
        file,
      ],
      io,
    );
    // Assess
    expect(code).toBe(1);
    expect(io.err()).toBe(
      `trailwatch ingest: --table no-such-table: no such DynamoDB table at ${stack.endpoints.dynamodb} (check the name, --region and the endpoint)\n`,
    );
    expect(io.out()).toBe('');
  });

  it('reads only log-named files inside a folder, but any file named on the command line', async () => {
    // Prepare
    const dir = path.join(tmp, 'with-readme');
    fs.mkdirSync(dir);
    const logs = gzipSync(JSON.stringify({ Records: seedRecords().map((s) => s.record) }));
    fs.writeFileSync(path.join(dir, 'README.md'), '# these are my logs\n');
    fs.writeFileSync(path.join(dir, 'a.json.gz'), logs);
    const named = path.join(tmp, 'renamed.log');
    fs.writeFileSync(named, logs);
    const io = captureIO();
    // Act
    const code = await ingestCommand.run(
      [
        '--no-alerts',
        '--dynamodb-endpoint-url',
        stack.endpoints.dynamodb,
        '--table',
        stack.tableName,
        dir,
        named,
      ],
      io,
    );
    // Assess
    expect(code).toBe(0);
    expect(io.out()).toMatch(/Files: 2 processed, 0 skipped, 0 failed/);
  });

  it('fails on a PATH that does not exist in one line with exit 1, as parse does', async () => {
    const io = captureIO();

    const code = await main(['ingest', '--table', 't', '--no-alerts', path.join(tmp, 'missing.json.gz')], io);

    expect(code).toBe(1);
    expect(io.err()).toBe(
      `trailwatch ingest: ${path.join(tmp, 'missing.json.gz')}: no such file or folder\n`,
    );
  });

  it.each([
    [[], /give at least one PATH/],
    [['x.json.gz'], /--table: required/],
    [['--table', 't', 'x.json.gz'], /--topic-arn: required to send alerts \(or pass --no-alerts/],
    [
      ['--table', 't', '--no-alerts', '--dynamodb-endpoint-url', 'localhost:4567', 'x'],
      /^trailwatch ingest: --dynamodb-endpoint-url: expected an http\(s\) URL/,
    ],
    [
      ['--table', 't', '--no-alerts', '--endpoint-url', 'http://127.0.0.1:4567', 'x'],
      /^trailwatch ingest: --endpoint-url: this command talks to DynamoDB, SNS, each at its own endpoint; give --dynamodb-endpoint-url, --sns-endpoint-url/,
    ],
    [
      ['--table', 't', '--bogus', 'x'],
      /^trailwatch ingest: Unknown option '--bogus'. Run 'trailwatch ingest --help' for the options.\n$/,
    ],
    [
      ['--table', 't', '--topic-arn', 'alerts', '--alert-state-table', 's', 'x'],
      /--topic-arn: expected an SNS topic ARN/,
    ],
  ])('usage error %j: one line, exit 2', async (argv, message) => {
    const io = captureIO();

    const code = await main(['ingest', ...argv], io);

    expect(code).toBe(2);
    expect(io.err()).toMatch(message);
    expect(io.err().trim().split('\n')).toHaveLength(1);
  });
});
