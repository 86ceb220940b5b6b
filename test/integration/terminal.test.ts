import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { loadSamples, SAMPLES_DIR } from '../../local/samples';
import { startLocalStack, type LocalStack } from '../../local/stack';
import { describeWithTmux, TmuxTerminal } from '../helpers/tmux';

// The progress display as a person sees it: each command runs in a real pseudo-terminal (tmux) of
// 80 columns, and the screen is read back. A line wider than the terminal would wrap (tmux joins
// wrapped lines back with -J, so it shows up as one long line here).
const COLUMNS = 80;
const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'cli', 'bin.js');

function progressLines(screen: string, label: string): string[] {
  return screen
    .split('\n')
    .filter((l) => l.startsWith(`${label} [`) || (l.startsWith(`${label} `) && /\d+%/.test(l)));
}

function shell(values: string[]): string {
  return values.map((v) => `'${v.replace(/'/g, `'\\''`)}'`).join(' ');
}

describeWithTmux('the progress display in an 80-column terminal (tmux)', () => {
  let tmp: string;
  let stack: LocalStack;
  let terminal: TmuxTerminal;
  const env = ['env', 'AWS_ACCESS_KEY_ID=test', 'AWS_SECRET_ACCESS_KEY=test', 'AWS_REGION=us-east-1'];

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trailwatch-terminal-'));
    stack = await startLocalStack({ dataDir: path.join(tmp, 'stack') });
    // Objects for backfill: the generated day's us-east-1 files of one account.
    const day = loadSamples().filter((s) => s.key.startsWith('AWSLogs/111122223333/CloudTrail/us-east-1/'));
    for (const s of day)
      await stack.clients.s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: s.key, Body: s.body }));
    await stack.waitForObjects(day.map((s) => s.key));
    terminal = new TmuxTerminal(COLUMNS, 40);
  }, 120_000);

  afterAll(async () => {
    terminal?.stop();
    await stack?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  function expectFinalBar(screen: string, label: string, objects: number): void {
    const lines = progressLines(screen, label);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line.length).toBeLessThan(COLUMNS);
    const last = lines[lines.length - 1] as string;
    expect(last).toMatch(
      new RegExp(`^${label} \\[=+\\] 100% ${objects}/${objects} obj.*[\\d.]+ obj(ects)?/s.*, ETA 0s$`),
    );
  }

  it('local (npm start): the samples bar fits and ends at 100% with its rate and ETA', async () => {
    const { screen, exitCode } = await terminal.run(
      shell(['node', BIN, 'local', '--data', path.join(tmp, 'local')]),
    );
    expect(exitCode).toBe(0);
    expectFinalBar(screen, 'samples', 107);
  }, 150_000);

  it('ingest: the bar fits and ends at 100%', async () => {
    const { screen, exitCode } = await terminal.run(
      shell([
        ...env,
        'node',
        BIN,
        'ingest',
        '--no-alerts',
        '--dynamodb-endpoint-url',
        stack.endpoints.dynamodb,
        '--table',
        stack.tableName,
        SAMPLES_DIR,
      ]),
    );
    expect(exitCode).toBe(0);
    expectFinalBar(screen, 'ingest', 103);
  }, 150_000);

  it('backfill: the bar fits and ends at 100%', async () => {
    const { screen, exitCode } = await terminal.run(
      shell([
        ...env,
        `AWS_ENDPOINT_URL_S3=${stack.endpoints.s3}`,
        `AWS_ENDPOINT_URL_DYNAMODB=${stack.endpoints.dynamodb}`,
        'node',
        BIN,
        'backfill',
        '--bucket',
        stack.bucket,
        '--table',
        stack.tableName,
        '--checkpoint',
        path.join(tmp, 'checkpoint.json'),
      ]),
    );
    expect(exitCode).toBe(0);
    expectFinalBar(screen, 'backfill', 24);
  }, 150_000);
});
