import { parseEngineOptions } from '../../cli/backfill-engine';
import { parseOnAwsOptions } from '../../cli/backfill-on-aws';
import { UsageError } from '../../cli/usage';

const Q = 'https://sqs.eu-west-1.amazonaws.com/111122223333/Trailwatch-BackfillQueue';

function usage(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('backfill --on-aws flags', () => {
  it('reads the scope, the listing, the queue and the estimate knobs', () => {
    const o = parseOnAwsOptions(
      [
        '--on-aws',
        '--manifest',
        's3://inv/r/manifest.json',
        '--prefix',
        'org/AWSLogs/',
        '--from',
        '2025-01-01',
        '--to',
        '2025-12-31',
        '--regions',
        'eu-west-1',
        '--queue-url',
        Q,
        '--max-concurrency',
        '30',
        '--target-share',
        '0.1',
        '--memory-mb',
        '2048',
        '--region',
        'eu-west-1',
      ],
      {},
    );
    expect(o).toMatchObject({
      manifest: { bucket: 'inv', key: 'r/manifest.json' },
      scope: { prefix: 'org/', from: '2025-01-01', to: '2025-12-31', regions: ['eu-west-1'] },
      queueUrl: Q,
      dryRun: false,
      maxConcurrency: 30,
      targetShare: 0.1,
      memoryGb: 2,
    });
    expect(o?.bucket).toBeUndefined();
  });

  it.each([
    [
      ['--on-aws', '--queue-url', Q],
      '--bucket is required (the bucket CloudTrail delivers to), or give --manifest',
    ],
    [
      ['--on-aws', '--bucket', 'b'],
      '--queue-url is required (the backfill queue, BackfillQueueUrl in the stack outputs)',
    ],
    [
      ['--on-aws', '--manifest', 'inv/manifest.json', '--dry-run'],
      "--manifest: expected s3://bucket/key, got 'inv/manifest.json'",
    ],
    [
      ['--on-aws', '--bucket', 'b', '--dry-run', '--target-share', '5'],
      "--target-share: expected a fraction above 0 and at most 1, got '5'",
    ],
    [
      ['--on-aws', '--bucket', 'b', '--dry-run', '--from', '2025-02-30'],
      "--from: expected a UTC day YYYY-MM-DD, got '2025-02-30'",
    ],
    [['--on-aws', '--bucket', 'b', '--queue-url', 'my-queue'], "--queue-url: expected the queue's URL"],
  ])('%j: %s', (argv, message) => {
    expect(usage(() => parseOnAwsOptions(argv, {}))).toContain(message);
  });
});

describe('backfill status | stop | resume flags', () => {
  it.each([
    ['status', [], '--queue-url is required'],
    [
      'stop',
      [],
      '--mapping-id is required (the event source mapping, BackfillEventSourceMappingId in the stack outputs)',
    ],
    ['resume', ['--mapping-id', 'abc'], "--mapping-id: expected the mapping's UUID, got 'abc'"],
    [
      'status',
      ['--queue-url', Q, '--interval', '1h'],
      "--interval: expected a whole number from 0 to 600, got '1h'",
    ],
  ] as const)('%s %j: %s', (sub, argv, message) => {
    expect(usage(() => parseEngineOptions(sub, [...argv], {}))).toContain(message);
  });
});
