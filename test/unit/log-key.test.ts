import { classifyLogKey } from '../../lambdas/core/log-key';

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
