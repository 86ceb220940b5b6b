import { checkLogKeyOrigin, classifyLogKey, type CloudTrailKeyLayout } from '../../lambdas/core/log-key';

const FILE = '111122223333_CloudTrail_us-east-1_20240131T2355Z_AbCdEf0123456789.json.gz';

describe('classifyLogKey', () => {
  describe('accepts CloudTrail log keys', () => {
    it.each([
      ['no prefix', `AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/31/${FILE}`, '', undefined],
      [
        'a one-level prefix',
        `trail/AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/31/${FILE}`,
        'trail/',
        undefined,
      ],
      [
        'a prefix with a space and a plus',
        `my logs+archive/x/AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/31/${FILE}`,
        'my logs+archive/x/',
        undefined,
      ],
      [
        'an organization trail',
        `AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/us-east-1/2024/01/31/${FILE}`,
        '',
        'o-a1b2c3d4e5',
      ],
      [
        'an organization trail with a prefix',
        `org/AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/us-east-1/2024/01/31/${FILE}`,
        'org/',
        'o-a1b2c3d4e5',
      ],
    ])('%s', (_name, key, prefix, orgId) => {
      // Act
      const result = classifyLogKey(key);

      // Assess
      expect(result).toEqual({
        ok: true,
        prefix,
        ...(orgId ? { orgId } : {}),
        accountId: '111122223333',
        region: 'us-east-1',
        date: '2024-01-31',
        fileName: FILE,
        deliveredAt: new Date('2024-01-31T23:55:00Z'),
      });
    });

    it.each(['us-gov-west-1', 'cn-north-1', 'ap-southeast-4', 'eu-central-2'])('region %s', (region) => {
      const result = classifyLogKey(`AWSLogs/111122223333/CloudTrail/${region}/2024/02/29/any-name.json.gz`);
      expect(result).toMatchObject({ ok: true, region, date: '2024-02-29' });
    });

    it("a file name without CloudTrail's timestamp gives no delivery time", () => {
      const result = classifyLogKey(
        'AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/31/uploaded-by-hand.json.gz',
      );
      expect(result.ok).toBe(true);
      expect(result).not.toHaveProperty('deliveredAt');
    });
  });

  describe('gives the skip reason for other objects', () => {
    it.each([
      [
        'digest',
        `AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/01/31/111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20240131T235500Z.json.gz`,
      ],
      ['digest', `p/AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail-Digest/us-east-1/2024/01/31/x.json.gz`],
      ['insight', `AWSLogs/111122223333/CloudTrail-Insight/us-east-1/2024/01/31/${FILE}`],
      ['folder', 'AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/31/'],
      ['folder', 'AWSLogs/'],
      ['not-a-log-key', 'README.txt'],
      [
        'not-a-log-key',
        `AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/31/${FILE.replace('.json.gz', '.json')}`,
      ],
      ['not-a-log-key', `AWSLogs/11112222333/CloudTrail/us-east-1/2024/01/31/${FILE}`],
      ['not-a-log-key', `AWSLogs/111122223333/CloudTrail/not_a_region/2024/01/31/${FILE}`],
      ['not-a-log-key', `AWSLogs/111122223333/CloudTrail/us-east-1/2024/02/30/${FILE}`],
      ['not-a-log-key', `AWSLogs/111122223333/CloudTrail/us-east-1/2024/13/01/${FILE}`],
      ['not-a-log-key', `AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/31/extra/${FILE}`],
      ['not-a-log-key', `prefixAWSLogs/111122223333/CloudTrail/us-east-1/2024/01/31/${FILE}`],
      // The key: under account A's AWSLogs/, a layout claiming account B. Never taken as B's.
      ['not-a-log-key', `AWSLogs/111122223333/AWSLogs/999988887777/CloudTrail/us-east-1/2024/01/31/${FILE}`],
      [
        'not-a-log-key',
        `org/AWSLogs/o-a1b2c3d4e5/AWSLogs/999988887777/CloudTrail/us-east-1/2024/01/31/${FILE}`,
      ],
      ['not-a-log-key', `AWSLogs/111122223333/elasticloadbalancing/us-east-1/2024/01/31/${FILE}`],
    ])('%s: %s', (reason, key) => {
      // Act
      const result = classifyLogKey(key);

      // Assess
      expect(result).toMatchObject({ ok: false, reason });
      if (!result.ok) expect(result.message.length).toBeGreaterThan(0);
    });
  });

  it('rejects an impossible timestamp in the file name instead of rolling it over', () => {
    const result = classifyLogKey(
      'AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/31/111122223333_CloudTrail_us-east-1_20240131T2555Z_AB.json.gz',
    );
    expect(result.ok).toBe(true);
    expect(result).not.toHaveProperty('deliveredAt');
  });
});

describe('checkLogKeyOrigin', () => {
  const layout = (prefix: string, accountId: string, orgId?: string): CloudTrailKeyLayout => ({
    prefix,
    accountId,
    ...(orgId !== undefined ? { orgId } : {}),
    region: 'us-east-1',
    date: '2024-01-31',
    fileName: FILE,
  });
  const ORG = 'o-a1b2c3d4e5';

  it.each([
    ['no prefix configured, key without one', { prefix: '' }, layout('', '111122223333'), 'ok'],
    ['no prefix configured, key under one', { prefix: '' }, layout('x/', '111122223333'), 'not-a-log-key'],
    ['the prefix, slashes trimmed', { prefix: '/org/' }, layout('org/', '111122223333'), 'ok'],
    ['a longer prefix', { prefix: 'org' }, layout('x/org/', '111122223333'), 'not-a-log-key'],
    ['any prefix (unset)', {}, layout('x/y/', '111122223333'), 'ok'],
    ['an allowed account', { accounts: ['111122223333'] }, layout('', '111122223333'), 'ok'],
    ['another account', { accounts: ['111122223333'] }, layout('', '999988887777'), 'foreign-account'],
    ['an empty list accepts any', { accounts: [] }, layout('', '999988887777'), 'ok'],
    ['the allowed organization', { organizationIds: [ORG] }, layout('', '999988887777', ORG), 'ok'],
    [
      'another organization',
      { organizationIds: [ORG] },
      layout('', '999988887777', 'o-zzzzzzzzzz'),
      'foreign-account',
    ],
    [
      'an account trail where only the organization is allowed',
      { organizationIds: [ORG] },
      layout('', '111122223333'),
      'foreign-account',
    ],
    [
      'an account trail of an allowed account beside the organization',
      { organizationIds: [ORG], accounts: ['111122223333'] },
      layout('', '111122223333'),
      'ok',
    ],
    [
      'a member of the organization outside the account list',
      { organizationIds: [ORG], accounts: ['111122223333'] },
      layout('', '999988887777', ORG),
      'foreign-account',
    ],
    [
      'an organization key of an allowed account, no organization configured',
      { accounts: ['111122223333'] },
      layout('', '111122223333', ORG),
      'ok',
    ],
  ])('%s: %s', (_name, origins, key, expected) => {
    // Act
    const result = checkLogKeyOrigin(key, origins);

    // Assess
    if (expected === 'ok') {
      expect(result).toEqual({ ok: true });
    } else {
      expect(result).toMatchObject({ ok: false, reason: expected });
      if (!result.ok) expect(result.message).toMatch(/prefix|account|organization/);
    }
  });
});
