import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbEventStore } from '../../lambdas/adapters/event-store';
import { ensureTable, eventTableDefinition } from '../../lambdas/adapters/table-definitions';
import { normalizeRecord } from '../../lambdas/core/normalize';
import { DynaliteServer, startDynalite } from '../../local/dynalite-server';
import { seedRecords } from '../../local/seed-records';

// Every example of docs/table.md runs here as a user types it (AWS CLI blocks with bash, the
// TypeScript with tsx, the Python with python3 and boto3), against a table named as in the docs
// that holds the seed events. Only the endpoint comes from the environment, as it would for a user
// of `npm start -- --serve`. Without the AWS CLI or boto3 those examples skip visibly, unless
// TRAILWATCH_REQUIRE_AWS_CLI / TRAILWATCH_REQUIRE_BOTO3 (set by .ci/run) make that a failure.

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..');
const DOC = fs.readFileSync(path.join(ROOT, 'docs', 'table.md'), 'utf8');
const blocks = (lang: string) =>
  [...DOC.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1] ?? '');

let server: DynaliteServer;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  server = await startDynalite();
  const client = new DynamoDBClient({
    endpoint: server.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  await ensureTable(client, eventTableDefinition('trailwatch-events'));
  const events = seedRecords().map((s) => {
    const r = normalizeRecord(s.record);
    if (!r.ok) throw new Error(`seed ${s.name}: ${r.message}`);
    return r.event;
  });
  await new DynamoDbEventStore({ tableName: 'trailwatch-events', client }).putEvents(events, {
    bucket: 'trail-bucket',
    key: 'AWSLogs/123456789012/CloudTrail/us-east-1/2018/04/01/f.json.gz',
  });
  client.destroy();
  env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ENDPOINT_URL_DYNAMODB: server.endpoint,
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_PAGER: '',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  };
});

afterAll(async () => {
  await server.stop();
});

// The first column of each output line: the time (or sk) the examples print first.
const times = (stdout: string) =>
  stdout
    .trimEnd()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.slice(0, 20));

const available = async (command: string, args: string[]) =>
  run(command, args, { env: process.env }).then(
    () => true,
    () => false,
  );

function requireOrSkip(variable: string, what: string, present: boolean): boolean {
  if (present) return true;
  if (process.env[variable] === '1') throw new Error(`${what} is required (${variable}=1) but not installed`);
  process.stderr.write(`skipped: ${what} is not installed (set ${variable}=1 to make this a failure)\n`);
  return false;
}

describe('the examples of docs/table.md', () => {
  it('are four AWS CLI blocks, two TypeScript blocks and one Python block', () => {
    expect(blocks('bash').filter((b) => b.includes('aws dynamodb'))).toHaveLength(4);
    expect(blocks('ts')).toHaveLength(2);
    expect(blocks('python')).toHaveLength(1);
  });

  it('AWS CLI: each block, run by bash as written, prints the documented events', async () => {
    if (!requireOrSkip('TRAILWATCH_REQUIRE_AWS_CLI', 'the AWS CLI', await available('aws', ['--version'])))
      return;
    const expected = [
      ['2017-10-11T22:29:49Z'],
      ['2017-05-04T00:21:57Z'],
      ['2018-03-31T17:59:21Z'],
      ['2017-05-04T00:21:57Z', '2017-05-04T00:23:55Z', '2017-05-16T22:00:58Z'],
    ];
    const cli = blocks('bash').filter((b) => b.includes('aws dynamodb'));
    // pyenv's shim starts bash and pyenv on every call: the examples start the CLI about 50 times.
    const real = await run('pyenv', ['which', 'aws']).then(
      ({ stdout }) => path.dirname(stdout.trim()),
      () => undefined,
    );
    const cliEnv = real ? { ...env, PATH: `${real}${path.delimiter}${env.PATH ?? ''}` } : env;
    for (const [i, script] of cli.entries()) {
      // Asynchronously: dynalite answers from this very process.
      const { stdout, stderr } = await run('bash', ['-eo', 'pipefail', '-c', script], { env: cliEnv });
      expect(stderr).toBe('');
      expect(times(stdout)).toEqual(expected[i]);
    }
  }, 120_000);

  it('TypeScript: the library and plain SDK examples print the documented events', async () => {
    // The one change: the client package resolves to its sources in this checkout.
    const dir = fs.mkdtempSync(path.join(ROOT, 'node_modules', '.doc-examples-'));
    try {
      const outputs: string[] = [];
      for (const [i, code] of blocks('ts').entries()) {
        const file = path.join(dir, `example-${i}.mts`);
        fs.writeFileSync(
          file,
          code.replace("from '@trailwatch/client'", `from '${ROOT}/packages/client/src/index.ts'`),
        );
        const { stdout } = await run(process.execPath, [require.resolve('tsx/cli'), file], {
          env: { ...env, NODE_NO_WARNINGS: '1' },
          cwd: ROOT,
        });
        outputs.push(stdout);
      }
      expect(outputs[0]?.trimEnd().split('\n')).toEqual([
        '2017-10-11T22:29:49Z DeleteCrawler ok',
        '2017-05-04T00:21:57Z athena InvalidRequestException',
        '2018-03-31T17:59:21Z RunJobFlow',
      ]);
      expect(outputs[1]?.trimEnd().split('\n')).toEqual(['2017-10-11T22:29:49Z DeleteCrawler']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('Python: the boto3 example prints the documented failed calls', async () => {
    const boto3 = await available('python3', ['-c', 'import boto3']);
    if (!requireOrSkip('TRAILWATCH_REQUIRE_BOTO3', 'python3 with boto3', boto3)) return;
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'trailwatch-doc-')), 'example.py');
    fs.writeFileSync(file, blocks('python')[0] ?? '');
    const { stdout } = await run('python3', [file], { env });
    expect(stdout).toBe('2017-05-04T00:21:57Z athena StartQueryExecution InvalidRequestException\n');
  }, 60_000);
});
