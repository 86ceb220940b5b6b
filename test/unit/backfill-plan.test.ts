import {
  daysBetween,
  discoverTrailRoots,
  isRegionName,
  normalizeLogPrefix,
  parseDay,
  planBackfill,
  type PrefixLister,
} from '../../lambdas/core/backfill-plan';

/** An in-memory bucket answering Delimiter '/' listings, recording every prefix it was asked for. */
class FakeBucket implements PrefixLister {
  readonly calls: string[] = [];
  constructor(private readonly keys: readonly string[]) {}

  async listChildPrefixes(prefix: string): Promise<string[]> {
    this.calls.push(prefix);
    const children = new Set<string>();
    for (const key of this.keys) {
      if (!key.startsWith(prefix)) continue;
      const slash = key.indexOf('/', prefix.length);
      if (slash >= 0) children.add(key.slice(0, slash + 1));
    }
    return [...children].sort();
  }
}

const A1 = '111111111111';
const A2 = '222222222222';
const A3 = '333333333333';
const ORG = 'o-abcdef1234';

function logKey(prefix: string, account: string, region: string, day: string, org?: string): string {
  const [y, m, d] = day.split('-');
  const orgPart = org ? `${org}/` : '';
  return `${prefix}AWSLogs/${orgPart}${account}/CloudTrail/${region}/${y}/${m}/${d}/${account}_CloudTrail_${region}_${y}${m}${d}T0000Z_x.json.gz`;
}

const KEYS = [
  logKey('', A1, 'us-east-1', '2024-02-28'),
  logKey('', A1, 'us-east-1', '2024-02-29'),
  logKey('', A1, 'eu-west-1', '2024-03-01'),
  logKey('', A2, 'us-east-1', '2023-12-31'),
  logKey('', A3, 'us-east-1', '2024-03-02', ORG),
  logKey('', A3, 'ap-southeast-2', '2024-02-29', ORG),
  // Not part of any trail root: digest files and stray objects.
  `AWSLogs/${A1}/CloudTrail-Digest/us-east-1/2024/02/29/digest.json.gz`,
  `AWSLogs/${A1}/CloudTrail/not-a-region/2024/02/29/x.json.gz`,
  'AWSLogs/README.txt',
  'other/stuff.json',
];

describe('planBackfill', () => {
  test('discovers account and organization trail roots and computes the day prefixes of a range', async () => {
    // Prepare
    const bucket = new FakeBucket(KEYS);

    // Act
    const plan = await planBackfill(
      { prefix: '', from: '2024-02-29', to: '2024-03-01' },
      bucket,
      '2024-06-01',
    );

    // Assess
    expect(plan.roots.map((r) => [r.prefix, r.accountId, r.region, r.orgId])).toEqual([
      [`AWSLogs/${A1}/CloudTrail/eu-west-1/`, A1, 'eu-west-1', undefined],
      [`AWSLogs/${A1}/CloudTrail/us-east-1/`, A1, 'us-east-1', undefined],
      [`AWSLogs/${A2}/CloudTrail/us-east-1/`, A2, 'us-east-1', undefined],
      [`AWSLogs/${ORG}/${A3}/CloudTrail/ap-southeast-2/`, A3, 'ap-southeast-2', ORG],
      [`AWSLogs/${ORG}/${A3}/CloudTrail/us-east-1/`, A3, 'us-east-1', ORG],
    ]);
    expect(plan.days).toHaveLength(5 * 2);
    // Sorted by day first, so history fills in order.
    expect(plan.days.map((d) => d.day)).toEqual([
      ...Array(5).fill('2024-02-29'),
      ...Array(5).fill('2024-03-01'),
    ]);
    expect(plan.days[0]?.prefix).toBe(`AWSLogs/${A1}/CloudTrail/eu-west-1/2024/02/29/`);
    expect(plan.days[9]?.prefix).toBe(`AWSLogs/${ORG}/${A3}/CloudTrail/us-east-1/2024/03/01/`);
    expect(plan.notes).toEqual([]);
  });

  test('lists one folder level at a time under <prefix>AWSLogs/ and never the bucket itself', async () => {
    // Prepare
    const bucket = new FakeBucket(KEYS.map((k) => `trails/${k}`));

    // Act
    await planBackfill({ prefix: 'trails', from: '2024-02-29', to: '2024-02-29' }, bucket, '2024-06-01');

    // Assess
    expect(bucket.calls).toEqual([
      'trails/AWSLogs/',
      `trails/AWSLogs/${ORG}/`,
      `trails/AWSLogs/${A1}/CloudTrail/`,
      `trails/AWSLogs/${A2}/CloudTrail/`,
      `trails/AWSLogs/${ORG}/${A3}/CloudTrail/`,
    ]);
  });

  test('given accounts and regions, builds the roots without listing regions and notes accounts without logs', async () => {
    // Prepare
    const bucket = new FakeBucket(KEYS);

    // Act
    const plan = await planBackfill(
      {
        prefix: '',
        from: '2024-03-01',
        to: '2024-03-01',
        accounts: [A3, A1, '999999999999'],
        regions: ['us-east-1'],
      },
      bucket,
      '2024-06-01',
    );

    // Assess
    expect(plan.days.map((d) => d.prefix)).toEqual([
      `AWSLogs/${A1}/CloudTrail/us-east-1/2024/03/01/`,
      `AWSLogs/${ORG}/${A3}/CloudTrail/us-east-1/2024/03/01/`,
    ]);
    expect(bucket.calls).toEqual(['AWSLogs/', `AWSLogs/${ORG}/`]);
    expect(plan.notes).toEqual(['account 999999999999: no logs under AWSLogs/']);
  });

  test('without --from, discovers the existing day folders up to --to, pruning years and months out of range', async () => {
    // Prepare
    const bucket = new FakeBucket(KEYS);

    // Act
    const plan = await planBackfill(
      { prefix: '', to: '2024-02-29', accounts: [A1, A2] },
      bucket,
      '2024-06-01',
    );

    // Assess
    expect(plan.days.map((d) => d.prefix)).toEqual([
      `AWSLogs/${A2}/CloudTrail/us-east-1/2023/12/31/`,
      `AWSLogs/${A1}/CloudTrail/us-east-1/2024/02/28/`,
      `AWSLogs/${A1}/CloudTrail/us-east-1/2024/02/29/`,
    ]);
    // The March folder of A1 eu-west-1 is out of range: its month is never listed.
    expect(bucket.calls).not.toContain(`AWSLogs/${A1}/CloudTrail/eu-west-1/2024/03/`);
  });

  test('with --from and no --to, runs to today', async () => {
    // Prepare
    const bucket = new FakeBucket(KEYS);

    // Act
    const plan = await planBackfill({ prefix: '', from: '2024-03-01', accounts: [A2] }, bucket, '2024-03-03');

    // Assess
    expect(plan.days.map((d) => d.day)).toEqual(['2024-03-01', '2024-03-02', '2024-03-03']);
  });

  test('notes an empty prefix instead of failing', async () => {
    // Prepare
    const bucket = new FakeBucket(KEYS);

    // Act
    const plan = await planBackfill(
      { prefix: 'wrong/', from: '2024-03-01', to: '2024-03-01' },
      bucket,
      '2024-06-01',
    );

    // Assess
    expect(plan.days).toEqual([]);
    expect(plan.notes).toEqual(['nothing under wrong/AWSLogs/ (is --prefix right?)']);
  });

  test('discoverTrailRoots ignores folders that are neither account ids nor organization ids', async () => {
    // Prepare
    const bucket = new FakeBucket([...KEYS, 'AWSLogs/12345/CloudTrail/us-east-1/2024/01/01/x.json.gz']);

    // Act
    const { roots } = await discoverTrailRoots({ prefix: '' }, bucket);

    // Assess
    expect(roots.every((r) => /^\d{12}$/.test(r.accountId))).toBe(true);
    expect(roots).toHaveLength(5);
  });
});

describe('day and name helpers', () => {
  test.each([
    ['2024-02-29', '2024-02-29'],
    ['2023-02-29', undefined],
    ['2024-13-01', undefined],
    ['2024-1-01', undefined],
    ['20240101', undefined],
    ['2024-12-31', '2024-12-31'],
  ])('parseDay(%s) = %s', (input, expected) => {
    expect(parseDay(input)).toBe(expected);
  });

  test('daysBetween crosses months and leap days, both ends included', () => {
    expect(daysBetween('2024-02-27', '2024-03-01')).toEqual([
      '2024-02-27',
      '2024-02-28',
      '2024-02-29',
      '2024-03-01',
    ]);
    expect(daysBetween('2024-03-02', '2024-03-01')).toEqual([]);
  });

  test.each([
    ['', ''],
    ['trails', 'trails/'],
    ['trails/', 'trails/'],
    ['/a/b//', 'a/b/'],
  ])('normalizeLogPrefix(%j) = %j', (input, expected) => {
    expect(normalizeLogPrefix(input)).toBe(expected);
  });

  test.each([
    ['us-east-1', true],
    ['us-gov-west-1', true],
    ['ap-southeast-2', true],
    ['eu-central-2', true],
    ['useast1', false],
    ['US-EAST-1', false],
    ['not-a-region', false],
  ])('isRegionName(%s) = %s', (input, expected) => {
    expect(isRegionName(input)).toBe(expected);
  });
});
