import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseBackfillOptions } from '../../cli/commands/backfill';
import { parseIngestArgs } from '../../cli/commands/ingest';
import { parseReplayOptions } from '../../cli/commands/replay';
import { UsageError } from '../../cli/usage';
import { loadIngestConfig, type IngestConfig } from '../../lambdas/ingest/config';

// Every entry point builds its processor with composeProcessor (lambdas/app/compose.ts) from an
// IngestConfig; this proves the CLI's flags give the same IngestConfig the Lambda's environment does.

const TOPIC = 'arn:aws:sns:eu-west-1:111122223333:Trailwatch-AlertTopic';
const RULES = JSON.stringify({
  ignore: [{ errorCode: 'ThrottlingException' }],
  services: ['athena', 'glue'],
});
const CHAT_TOPIC = 'arn:aws:sns:eu-west-1:111122223333:Trailwatch-ChatTopic';
const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/111122223333/Trailwatch-DeadLetterQueue';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trailwatch-config-'));
  fs.writeFileSync(path.join(dir, 'rules.json'), RULES);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** What the CDK stack would set on the function for this deployment. */
const lambdaEnv = {
  TABLE_NAME: 'events',
  ALERT_STATE_TABLE_NAME: 'alert-state',
  ALERT_TOPIC_ARN: TOPIC,
  SOURCE_BUCKETS: 'trail-bucket',
  LOG_PREFIX: 'org-trail',
  RETENTION_DAYS: '30',
  PAYLOAD_MAX_BYTES: '4096',
  ALERT_RULES: RULES,
  ALERT_WINDOW_MINUTES: '15',
  CHAT_TOPIC_ARN: CHAT_TOPIC,
};

const sharedFlags = [
  '--table',
  'events',
  '--alert-state-table',
  'alert-state',
  '--topic-arn',
  TOPIC,
  '--alert-rules',
  'rules.json',
  '--alert-window',
  '15',
  '--payload-max-bytes',
  '4096',
  '--retention-days',
  '30',
  '--chat-topic-arn',
  CHAT_TOPIC,
];

/** The configuration without a source-bucket filter (local files have no bucket). */
// Local files have no bucket and are named freely: ingest reads them with no bucket or prefix filter.
function withoutBuckets(config: IngestConfig): IngestConfig {
  const copy = { ...config };
  delete (copy as { sourceBuckets?: unknown }).sourceBuckets;
  delete (copy as { logPrefix?: unknown }).logPrefix;
  return copy;
}

describe('the CLI entry points configure the processor as the Lambda for the same settings', () => {
  const lambda: IngestConfig = loadIngestConfig(lambdaEnv);

  test('the Lambda configuration carries the rules, window and limits (what the others must match)', () => {
    expect(lambda).toMatchObject({
      retentionDays: 30,
      payloadMaxBytes: 4096,
      alerts: { windowMinutes: 15, rules: { services: ['athena', 'glue'] }, chatTopicArn: CHAT_TOPIC },
    });
  });

  test('backfill', () => {
    const options = parseBackfillOptions(
      ['--bucket', 'trail-bucket', '--prefix', 'org-trail/AWSLogs/', '--alerts', ...sharedFlags],
      {},
      dir,
    );
    expect(options?.config).toEqual(lambda);
  });

  test('replay', () => {
    const options = parseReplayOptions(
      ['--queue', QUEUE, '--source-buckets', 'trail-bucket', '--prefix', 'org-trail', ...sharedFlags],
      {},
      dir,
    );
    expect(options?.config).toEqual(lambda);
  });

  test('ingest (local files: no bucket or prefix filter, the rest the same)', () => {
    const args = parseIngestArgs([...sharedFlags, 'some.json.gz'], {}, dir);
    expect(args.config).toEqual(withoutBuckets(lambda));
  });

  test('without the flags, every command has the stack defaults', () => {
    const defaults = loadIngestConfig({
      TABLE_NAME: 'events',
      ALERT_STATE_TABLE_NAME: 'alert-state',
      ALERT_TOPIC_ARN: TOPIC,
      SOURCE_BUCKETS: 'trail-bucket',
    });
    const targets = ['--table', 'events', '--alert-state-table', 'alert-state', '--topic-arn', TOPIC];
    expect(
      parseBackfillOptions(['--bucket', 'trail-bucket', '--alerts', ...targets], {}, dir)?.config,
    ).toEqual({ ...defaults, logPrefix: '' }); // the walk starts at the bucket's AWSLogs/, as the stack's default
    expect(
      parseReplayOptions(['--queue', QUEUE, '--source-buckets', 'trail-bucket', ...targets], {}, dir)?.config,
    ).toEqual(defaults);
    expect(parseIngestArgs([...targets, 'f.json'], {}, dir).config).toEqual(withoutBuckets(defaults));
  });

  test('the read role of the cross-account layout: --read-role-arn is READ_ROLE_ARN', () => {
    const role = 'arn:aws:iam::444455556666:role/trailwatch-log-reader';
    const withRole = loadIngestConfig({ ...lambdaEnv, READ_ROLE_ARN: role });
    const backfill = parseBackfillOptions(
      [
        '--bucket',
        'trail-bucket',
        '--prefix',
        'org-trail',
        '--alerts',
        '--read-role-arn',
        role,
        ...sharedFlags,
      ],
      {},
      dir,
    );
    const replay = parseReplayOptions(
      [
        '--queue',
        QUEUE,
        '--source-buckets',
        'trail-bucket',
        '--prefix',
        'org-trail',
        '--read-role-arn',
        role,
        ...sharedFlags,
      ],
      {},
      dir,
    );
    expect(withRole.readRoleArn).toBe(role);
    expect(backfill?.config).toEqual(withRole);
    // A dry run reads no object but still lists the bucket through the role.
    expect(
      parseBackfillOptions(['--bucket', 'b', '--dry-run', '--read-role-arn', role], {}, dir)?.readRoleArn,
    ).toBe(role);
    expect(replay?.config).toEqual(withRole);
    expect(() => loadIngestConfig({ ...lambdaEnv, READ_ROLE_ARN: 'trailwatch-log-reader' })).toThrow(
      /READ_ROLE_ARN: expected an IAM role ARN/,
    );
    expect(() =>
      parseReplayOptions(
        ['--queue', QUEUE, '--dry-run', '--read-role-arn', 'arn:aws:iam::444455556666:role/*'],
        {},
        dir,
      ),
    ).toThrow(/^--read-role-arn: expected an IAM role ARN/);
  });

  test.each([
    [['--alert-window', '0'], /^--alert-window: expected minutes greater than 0$/],
    [['--payload-max-bytes', 'lots'], /^--payload-max-bytes: expected bytes as a whole number$/],
    [['--alert-rules', 'missing.json'], /^--alert-rules: cannot read missing.json$/],
    [['--chat-topic-arn', 'chat'], /^--chat-topic-arn: expected an SNS topic ARN/],
    [['--chat-topic-arn', CHAT_TOPIC], /^--chat-topic-arn: alerts are off/],
  ])('a bad setting is a usage error naming the flag: %j', (flags, message) => {
    const argv = ['--queue', QUEUE, '--table', 'events', '--no-alerts', ...flags];
    const alertArgv = ['--queue', QUEUE, ...sharedFlags, ...flags];
    const needsAlerts = flags[0] === '--alert-rules' || flags[1] === 'chat';
    const parse = () => parseReplayOptions(needsAlerts ? alertArgv : argv, {}, dir);
    expect(parse).toThrow(UsageError);
    expect(parse).toThrow(message);
  });
});
