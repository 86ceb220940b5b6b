import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { CreateTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { main } from '../../cli/main';
import type { CliIO } from '../../cli/usage';
import { V0_ITEM, v0TableDefinition } from '../helpers/v0-table';
import { DynamoDbEventStore } from '../../lambdas/adapters/event-store';
import { ensureTable, eventTableDefinition } from '../../lambdas/adapters/table-definitions';
import { normalizeRecord } from '../../lambdas/core/normalize';
import type { NormalizedEvent } from '../../lambdas/core/normalized-event';
import { DynaliteServer, startDynalite } from '../../local/dynalite-server';
import { seedRecords } from '../../local/seed-records';

const TABLE = 'cli-events';
const SOURCE = {
  bucket: 'trail-bucket',
  key: 'AWSLogs/123456789012/CloudTrail/us-east-1/2024/02/10/f.json.gz',
};

let server: DynaliteServer;

// 40 days of Glue calls, three a day (one failed), for the range and pagination checks.
const glueDays: NormalizedEvent[] = Array.from({ length: 40 * 3 }, (_, n) => {
  const day = Math.floor(n / 3);
  const time = new Date(Date.parse('2024-01-01T08:00:00Z') + day * 86_400_000 + (n % 3) * 3_600_000);
  return {
    service: 'glue',
    eventSource: 'glue.amazonaws.com',
    eventName: n % 3 === 2 ? 'StartJobRun' : 'GetJobRun',
    eventTime: time.toISOString().replace('.000Z', 'Z'),
    eventId: `20000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    accountId: '123456789012',
    region: 'eu-west-1',
    principal: { type: 'IAMUser', arn: 'arn:aws:iam::123456789012:user/etl', userName: 'etl' },
    failed: n % 3 === 2,
    ...(n % 3 === 2 ? { errorCode: 'ConcurrentRunsExceededException' } : {}),
    resources: [{ type: 'glue:job', id: 'nightly-etl' }],
  };
});

beforeAll(async () => {
  server = await startDynalite();
  const client = new DynamoDBClient({
    endpoint: server.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  await ensureTable(client, eventTableDefinition(TABLE));
  const seeds = seedRecords().map((s) => {
    const r = normalizeRecord(s.record);
    if (!r.ok) throw new Error(`seed ${s.name}: ${r.message}`);
    return r.event;
  });
  await new DynamoDbEventStore({ tableName: TABLE, client }).putEvents([...seeds, ...glueDays], {
    ...SOURCE,
    deliveredAt: new Date('2024-02-10T00:00:00Z'),
  });
  client.destroy();
});

afterAll(async () => {
  await server.stop();
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

// Runs `trailwatch query ...` in process, as cli/bin.js would, against the test's dynalite.
async function trailwatch(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk: Buffer, _enc, done) {
        append(chunk.toString());
        done();
      },
    });
  const io: CliIO = {
    stdout: sink((s) => (stdout += s)),
    stderr: sink((s) => (stderr += s)),
    env: { TRAILWATCH_TABLE: TABLE, AWS_ENDPOINT_URL_DYNAMODB: server.endpoint, ...env },
    cwd: process.cwd(),
  };
  const code = await main(['query', ...args], io);
  return { code, stdout, stderr };
}

describe('trailwatch query', () => {
  it('prints a readable, aligned table', async () => {
    // Act
    const run = await trailwatch([
      '--service',
      'athena',
      '--from',
      '2017-05-01',
      '--to',
      '2017-05-31',
      '--order',
      'oldest',
    ]);
    // Assess
    expect(run).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        'TIME                  SERVICE  EVENT                RESULT                   PRINCIPAL  RESOURCE                                                     REGION',
        '2017-05-04T00:21:57Z  athena   StartQueryExecution  InvalidRequestException  johndoe    -                                                            us-east-1',
        '2017-05-04T00:23:55Z  athena   StartQueryExecution  ok                       johndoe    athena:query-execution#b621c254-74e0-48e3-9630-78ed857782f9  us-east-1',
        '2017-05-16T22:00:58Z  athena   CreateNamedQuery     ok                       johndoe    athena:named-query#cdd0fe29-4787-4263-9188-a9c8db29f2d6      us-west-2',
        '',
      ].join('\n'),
    });
  });

  it('prints JSON lines, one stored event per line, newest first', async () => {
    // Act
    const run = await trailwatch([
      '--service',
      'glue',
      '--from',
      '2017-10-11',
      '--to',
      '2017-10-13T23:59:59Z',
      '--json',
    ]);
    // Assess
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const lines = run.stdout.trimEnd().split('\n');
    const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.map((e) => [e.eventTime, e.eventName, e.eventId])).toEqual([
      ['2017-10-13T00:19:19Z', 'CreateConnection', 'e8b3baeb-c511-4597-880f-c16210c60a4a'],
      ['2017-10-11T22:29:49Z', 'DeleteCrawler', 'e73dd117-cfd1-47d1-9e2f-d1271cad838c'],
    ]);
    expect(events[1]).toMatchObject({
      service: 'glue',
      failed: false,
      resources: [{ type: 'glue:crawler', id: 'tes-alpha' }],
      requestParameters: { name: 'tes-alpha' },
      responseElements: null,
      source: SOURCE,
      ingestedAt: '2024-02-10T00:00:00.000Z',
    });
  });

  it('reads a 40-day range across many pages', async () => {
    // Act: two items per page, so each day's three events take two pages.
    const run = await trailwatch([
      '--service',
      'glue',
      '--from',
      '2024-01-01',
      '--to',
      '2024-02-09T23:59:59Z',
      '--page-size',
      '2',
      '--limit',
      '1000',
      '--json',
    ]);
    // Assess
    expect(run.code).toBe(0);
    const got = run.stdout
      .trimEnd()
      .split('\n')
      .map((l) => (JSON.parse(l) as { eventId: string }).eventId);
    expect(got).toEqual(glueDays.map((e) => e.eventId).reverse());
  });

  it('reads the failures of a 40-day range, oldest first, as a table', async () => {
    const run = await trailwatch([
      '--failed',
      '--from',
      '2024-01-01',
      '--to',
      '2024-02-09T23:59:59Z',
      '--page-size',
      '1',
      '--order',
      'oldest',
      '--limit',
      '1000',
    ]);
    expect(run.code).toBe(0);
    const rows = run.stdout.trimEnd().split('\n');
    expect(rows).toHaveLength(41);
    expect(rows[1]).toBe(
      '2024-01-01T10:00:00Z  glue     StartJobRun  ConcurrentRunsExceededException  etl        glue:job#nightly-etl  eu-west-1',
    );
    expect(rows[40]).toBe(
      '2024-02-09T10:00:00Z  glue     StartJobRun  ConcurrentRunsExceededException  etl        glue:job#nightly-etl  eu-west-1',
    );
    expect(rows.slice(1).every((r) => r.includes('ConcurrentRunsExceededException'))).toBe(true);
  });

  it('reads one resource and one principal, and says when the limit cut the output', async () => {
    const byResource = await trailwatch([
      '--resource',
      '123456789012#eu-west-1#glue:job#nightly-etl',
      '--limit',
      '5',
      '--json',
    ]);
    expect(
      byResource.stdout
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as { eventId: string }).eventId),
    ).toEqual(
      glueDays
        .slice(-5)
        .map((e) => e.eventId)
        .reverse(),
    );
    expect(byResource.stderr).toBe('showing the first 5 events; use --limit for more\n');
    const single = await trailwatch([
      '--resource',
      '123456789012#eu-west-1#glue:job#nightly-etl',
      '--limit',
      '1',
      '--json',
    ]);
    expect(single.stderr).toBe('showing the first event; use --limit for more\n');

    const byPrincipal = await trailwatch([
      '--principal',
      'arn:aws:iam::123456789012:user/johndoe',
      '--order',
      'oldest',
      '--json',
      '--failed',
    ]);
    expect(
      byPrincipal.stdout
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as { eventId: string }).eventId),
    ).toEqual(['6e1fc69b-d076-477e-8dec-024ee51488c4']);
  });

  it('says so when nothing matches', async () => {
    expect(await trailwatch(['--service', 'batch', '--since', '24h'])).toEqual({
      code: 0,
      stdout: '',
      stderr: 'no events match\n',
    });
  });

  it('takes the table, endpoint and region from flags over the environment', async () => {
    const run = await trailwatch(
      [
        '--table',
        TABLE,
        '--endpoint-url',
        server.endpoint,
        '--region',
        'eu-west-1',
        '--service',
        'emr',
        '--from',
        '2018-03-31',
        '--to',
        '2018-03-31T23:59:59Z',
        '--json',
      ],
      {
        TRAILWATCH_TABLE: 'elsewhere',
        AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:9',
        AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
      },
    );
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as { eventName: string }).eventName).toBe('RunJobFlow');
  });

  it('includes the whole day given to --to when it is a bare date', async () => {
    // Act: the seed failure of 2017-05-04 happened that day, after midnight
    const oneDay = await trailwatch(['--failed', '--from', '2017-05-04', '--to', '2017-05-04', '--json']);
    const dayBefore = await trailwatch(['--failed', '--from', '2017-05-03', '--to', '2017-05-03', '--json']);
    // Assess
    expect(oneDay.code).toBe(0);
    expect(
      oneDay.stdout
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as { eventId: string }).eventId),
    ).toEqual(['6e1fc69b-d076-477e-8dec-024ee51488c4']);
    expect(dayBefore.stdout).toBe('');
  });

  it('falls back from AWS_ENDPOINT_URL_DYNAMODB to AWS_ENDPOINT_URL', async () => {
    const run = await trailwatch(
      ['--service', 'emr', '--from', '2018-03-31', '--to', '2018-03-31T23:59:59Z', '--json'],
      {
        AWS_ENDPOINT_URL_DYNAMODB: undefined,
        AWS_ENDPOINT_URL: server.endpoint,
      },
    );
    expect(run.code).toBe(0);
    expect(run.stdout.trimEnd().split('\n')).toHaveLength(1);
  });

  it.each<[string[], RegExp]>([
    [['--service', 's3'], /^--service: 's3' is not a watched service \(expected glue, emr, athena, batch\)$/],
    [['--service'], /argument missing/],
    [['--since', '3x'], /^--since: '3x' is not a duration like 30m, 24h, 7d or 2w$/],
    [['--since', '24h', '--from', '2024-01-01'], /^--since and --from cannot be combined/],
    [['--from', 'yesterday'], /^--from: 'yesterday' is not a date \(YYYY-MM-DD\)/],
    [['--from', '2024-01-01T10:00'], /^--from: .*with Z or an offset$/],
    [['--to', '2024-01-01'], /^--to: needs --from or --since as well$/],
    [['--since', 'to'], /^--since: 'to' is not a duration/],
    [
      ['--from', '2024-02-01', '--to', '2024-01-01'],
      /^--from: 2024-02-01T00:00:00.000Z is after --to \(2024-01-01T23:59:59.999Z\)/,
    ],
    [['--from', '1990-01-01'], /^--from: the range spans \d+ days; at most 3660 are allowed$/],
    [['--limit', '0'], /^--limit: expected a positive whole number, got '0'$/],
    [['--limit', 'ten'], /^--limit: expected a positive whole number, got 'ten'$/],
    [['--page-size=-1'], /^--page-size: expected a positive whole number, got '-1'$/],
    [['--since', '-1d'], /^--since: the value starts with '-'; write --since=VALUE if you mean it$/],
    [['--principal', 'johndoe'], /^--principal: must be an ARN/],
    [['--resource', 'nightly-etl'], /^--resource: expected '<accountId>#<region>#<type>#<id>'/],
    [
      ['--resource', 'glue:job#nightly-etl'],
      /^--resource: expected '<accountId>#<region>#<type>#<id>', e\.g\. /,
    ],
    [
      ['--principal', 'arn:aws:iam::1:user/a', '--resource', 'glue:job#x'],
      /^--principal and --resource cannot be combined/,
    ],
    [['--order', 'sideways'], /^--order: expected 'newest' or 'oldest', got 'sideways'$/],
    [['--endpoint-url', 'localhost:8000'], /^--endpoint-url: expected an http\(s\) URL/],
    [['--table', 'a b'], /^--table: 'a b' is not a DynamoDB table name/],
    [['--json=yes'], /--json/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['glue'], /Unexpected argument 'glue'/],
  ])('refuses %j in one line, exit code 2', async (args, message) => {
    // Act
    const run = await trailwatch(args);
    // Assess
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^trailwatch query: [^\n]+\n$/);
    expect(run.stderr.slice('trailwatch query: '.length).trimEnd()).toMatch(message);
  });

  it('refuses a v0 table in one line, exit code 1, instead of printing no events', async () => {
    // Prepare
    const client = new DynamoDBClient({
      endpoint: server.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    await client.send(new CreateTableCommand(v0TableDefinition('v0-events')));
    await client.send(new PutItemCommand({ TableName: 'v0-events', Item: V0_ITEM }));
    client.destroy();
    // Act
    const run = await trailwatch(['--table', 'v0-events', '--service', 'glue', '--from', '2024-02-14']);
    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      'trailwatch query: table v0-events is not a v1 trailwatch table: it has the v0 layout (failures index keyed by failureDay); this trailwatch reads table contract v1 (docs/table.md, "Versions")\n',
    );
  });

  it('reports a missing table in one line, exit code 1', async () => {
    const run = await trailwatch(['--table', 'no-such-table', '--service', 'glue']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^trailwatch query: cannot query table no-such-table at http:\/\/127\.0\.0\.1:\d+: ResourceNotFoundException: [^\n]+\n$/,
    );
  });

  it('prints its options with --help', async () => {
    const run = await trailwatch(['--help']);
    expect(run.code).toBe(0);
    for (const flag of [
      '--service',
      '--since',
      '--from',
      '--to',
      '--failed',
      '--principal',
      '--resource',
      '--limit',
      '--json',
      '--table',
      '--endpoint-url',
      '--region',
    ]) {
      expect(run.stdout).toContain(flag);
    }
  });

  it('runs as `trailwatch query` from the command line', async () => {
    // Act: the real entry point in a child process (asynchronously: dynalite answers from this process).
    const bin = path.join(__dirname, '../../cli/bin.js');
    // No credentials in the environment: a local endpoint gets the local ones.
    const env: NodeJS.ProcessEnv = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')),
    );
    env.TRAILWATCH_TABLE = TABLE;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        bin,
        'query',
        '--endpoint-url',
        server.endpoint,
        '--service',
        'glue',
        '--from',
        '2017-10-11',
        '--to',
        '2017-10-11T23:59:59Z',
      ],
      { env },
    );
    // Assess
    expect(stdout.split('\n')[1]).toBe(
      '2017-10-11T22:29:49Z  glue     DeleteCrawler  ok      johndoe    glue:crawler#tes-alpha  us-east-1',
    );
  });
});
